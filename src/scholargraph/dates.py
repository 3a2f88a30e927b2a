"""Dates in English and French, with the precision the document gives.

>>> parse_date("Jan. 2020")
PartialDate(year=2020, month=1, day=None)
>>> parse_date("29 septembre 2021")
PartialDate(year=2021, month=9, day=29)
>>> parse_range("Sep. 2016 - Sep. 2017")
DateRange(start=PartialDate(year=2016, month=9, day=None), end=PartialDate(year=2017, month=9, day=None), ongoing=False)
>>> parse_range("Jan. 2020 - Present").ongoing
True
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass

from .records import PartialDate

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("january", "jan", "janvier", "janv"),
        ("february", "feb", "fevrier", "fev", "fevr"),
        ("march", "mar", "mars"),
        ("april", "apr", "avril", "avr"),
        ("may", "mai"),
        ("june", "jun", "juin"),
        ("july", "jul", "juillet", "juil"),
        ("august", "aug", "aout"),
        ("september", "sep", "sept", "septembre"),
        ("october", "oct", "octobre"),
        ("november", "nov", "novembre"),
        ("december", "dec", "decembre"),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

ONGOING = frozenset(
    {
        "present", "now", "today", "current", "ongoing", "to date",
        "present day", "aujourd'hui", "aujourdhui", "present jour",
        "en cours", "actuel", "actuellement", "maintenant", "ce jour",
    }
)

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d\d"
# One date, in any of the accepted shapes.
DATE_PATTERN = (
    rf"(?:{_YEAR}-\d\d-\d\d"  # 2021-09-29
    rf"|{_YEAR}-\d\d(?!\d)"  # 2020-01
    rf"|\d\d?/\d\d?/{_YEAR}"  # 29/09/2021
    rf"|\d\d?/{_YEAR}"  # 01/2020
    rf"|(?:\d\d?(?:er)?\.?\s+)?(?:{_MONTH_ALT})\.?,?\s+(?:\d\d?(?:st|nd|rd|th)?,?\s+)?{_YEAR}"  # Jan. 2020, 29 septembre 2021, May 2, 2020
    rf"|{_YEAR})"
)
_DATE_RE = re.compile(rf"^\s*({DATE_PATTERN})\s*$", re.IGNORECASE)
_SEPARATORS = r"\s*(?:-|–|—|−|to|au|à|a|until|jusqu'à|jusqu'a|→)\s*"
_RANGE_RE = re.compile(
    rf"^\s*(?:(?:from|de|du|depuis|since)\s+)?(?P<start>{DATE_PATTERN})"
    rf"(?:{_SEPARATORS}(?P<end>{DATE_PATTERN}|\d\d|[a-z' ]+?))?\s*\.?\s*$",
    re.IGNORECASE,
)
_SHORT_RANGE_RE = re.compile(r"^\s*(?P<start>(?:19|20)\d\d)-(?P<end>\d\d)\s*$")
_SINCE_RE = re.compile(rf"^\s*(?:since|depuis)\s+(?P<start>{DATE_PATTERN})\s*$", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain."""
    if text.isascii():  # nothing to decompose or replace (readers call this ~2,500 times per researcher)
        return text.lower()
    return _fold(text)


@functools.lru_cache(maxsize=1 << 16)
def _fold(text: str) -> str:
    folded = text.translate(_FOLD_TABLE)
    if "σ" in folded or "ς" in folded:  # a capital sigma lowers as its neighbours say: fold the text as a whole
        return _fold_text(text)
    return folded


def _fold_text(text: str) -> str:
    """What :func:`fold` returns for non-ASCII text, by definition (one pass over the whole text)."""
    text = text.replace("\u2019", "'").replace("\u02bc", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class _FoldTable(dict):  # type: ignore[type-arg]
    """``str.translate`` table: each character to its fold, built as met.

    Folding a text character by character gives :func:`_fold_text`: decomposition is per
    character; canonical reordering moves only combining marks, which are dropped; lower case is
    per character but for the capital sigma (final or not by its neighbours), whose text
    :func:`_fold` folds whole.
    """

    def __missing__(self, code: int) -> str:
        self[code] = folded = _fold_text(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


class InvalidDate(ValueError):
    """A date-shaped string that names no calendar day (``31/02/2020``)."""


def _check(year: int, month: int | None, day: int | None, text: str) -> PartialDate:
    if month is not None and not 1 <= month <= 12:
        raise InvalidDate(f"{text!r} has month {month}; months run from 1 to 12")
    if day is not None and month is not None:
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise InvalidDate(f"{text!r} is not a calendar date ({calendar.month_name[month]} has {last} days)")
    return PartialDate(year, month, day)


@functools.lru_cache(maxsize=1 << 14)  # pure; readers try the same strings again and again
def parse_date(text: str) -> PartialDate | None:
    """One date, or None if ``text`` is not a date; raises InvalidDate for impossible ones."""
    match = _DATE_RE.match(fold(text).replace("\u00a0", " "))
    if not match:
        return None
    value = match.group(1).strip()
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", value):
        return _check(int(m[1]), int(m[2]), int(m[3]), text)
    if m := re.fullmatch(r"(\d{4})-(\d\d)", value):
        return _check(int(m[1]), int(m[2]), None, text)
    if m := re.fullmatch(r"(\d\d?)/(\d\d?)/(\d{4})", value):
        return _check(int(m[3]), int(m[2]), int(m[1]), text)
    if m := re.fullmatch(r"(\d\d?)/(\d{4})", value):
        return _check(int(m[2]), int(m[1]), None, text)
    if m := re.fullmatch(r"\d{4}", value):
        return PartialDate(int(value))
    words = re.findall(r"[a-z]+|\d+", value)
    year = int(words[-1])
    # the pattern ignores case, so it takes a dotless ı for an i ("juın"): no month word then, no date
    month = next((MONTHS[w] for w in words if w in MONTHS), None)
    if month is None:
        return None
    days = [int(w) for w in words[:-1] if w.isdigit()]
    return _check(year, month, days[0] if days else None, text)


@dataclass(frozen=True)
class DateRange:
    start: PartialDate | None
    end: PartialDate | None
    ongoing: bool = False


@functools.lru_cache(maxsize=1 << 14)  # pure; readers try every prefix of every entry
def parse_range(text: str) -> DateRange | None:
    """``Jan. 2020 - Present``, ``2014–2016``, ``depuis 2019``, or a single date; else None.

    Raises InvalidDate for an impossible date or an end before the start.
    """
    original = text.replace("\u00a0", " ").strip()
    folded = fold(original)

    def as_written(match: re.Match[str], group: str) -> str:
        """The date as the document writes it, for error messages (folding may change lengths)."""
        if len(folded) == len(original):
            return original[match.start(group) : match.end(group)]
        return match[group]

    if m := _SINCE_RE.match(folded):
        start = parse_date(as_written(m, "start"))
        return DateRange(start, None, ongoing=True)
    if (m := _SHORT_RANGE_RE.match(folded)) and int(m["end"]) > 12:
        return parse_range(f"{m['start']}–{m['end']}")  # "2014-16": not a month 16
    m = _RANGE_RE.match(folded)
    if not m:
        return None
    start = parse_date(as_written(m, "start"))
    end_text = (m["end"] or "").strip()
    if not end_text:
        return DateRange(start, None)
    if end_text in ONGOING:
        return DateRange(start, None, ongoing=True)
    end = parse_date(as_written(m, "end").strip())
    if end is None:
        if re.fullmatch(r"\d\d", end_text) and start is not None:  # 2014-16
            end = PartialDate(start.year // 100 * 100 + int(end_text))
        else:
            return None
    if start is not None and ends_before(start, end):
        raise InvalidDate(f"{text.strip()!r} ends before it starts")
    return DateRange(start, end)


def ends_before(start: PartialDate, end: PartialDate) -> bool:
    """True if ``end`` is before ``start`` at the precision both dates share."""
    shared = min(len(_parts(start)), len(_parts(end)))
    return _parts(end)[:shared] < _parts(start)[:shared]


def _parts(date: PartialDate) -> tuple[int, ...]:
    return tuple(p for p in (date.year, date.month, date.day) if p is not None)


# not inside a word, an identifier or a number ("hal-02139528", "10.5555/x.2020.1")
# (?=…): every date starts with a digit or a month's first letter; checking that first halves the search
_DATE_STARTS = "".join(sorted({name[0] for name in MONTHS}))
_FIND_RE = re.compile(rf"(?<![\w\-./])(?=[\d{_DATE_STARTS}])({DATE_PATTERN})(?![\w-]|[./]\d)", re.IGNORECASE)
# The same, case-sensitive (faster): on folded text it finds the same dates, for folding leaves
# no capital; IGNORECASE also takes the dotless "ı" (and "İ", "ſ", the Kelvin sign, which folding
# replaces) for an ASCII letter, so a text with one of them is searched with _FIND_RE.
_FIND_FOLDED = re.compile(_FIND_RE.pattern)
_IGNORECASE_ODD = ("\u0131", "\u0130", "\u017f", "\u212a")


class _FoldChar(dict):  # type: ignore[type-arg]
    """``str.translate`` table: each character to the first character of its fold (itself if none), built as met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = folded = fold(char)[:1] or char
        return folded


_FOLD_CHAR = _FoldChar()


def fold_each(text: str) -> str:
    """``text`` folded character by character (each to the first character of its fold): same length."""
    return text.translate(_FOLD_CHAR)


def find_dates(text: str) -> list[tuple[int, int, PartialDate]]:
    """Every date in free text, as (start offset, end offset, date), left to right.

    Offsets index the original text (folding keeps lengths for the characters
    involved in dates).
    """
    folded = fold(text)
    if len(folded) != len(text):  # folding changed lengths: search a length-preserving copy
        folded = fold_each(text)
    found: list[tuple[int, int, PartialDate]] = []
    odd = not folded.isascii() and any(char in folded for char in _IGNORECASE_ODD)
    for m in (_FIND_RE if odd else _FIND_FOLDED).finditer(folded):
        try:
            date = parse_date(m.group(1))
        except InvalidDate:
            continue
        if date is not None:
            found.append((m.start(1), m.end(1), date))
    return found
