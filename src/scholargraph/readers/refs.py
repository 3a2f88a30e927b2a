"""The reference-string parser shared by every free-text reader.

One bibliographic line in, its parts out: ordered authors, date, title (and a
bracketed translation), venue, publisher, volume, issue, pages, DOI, HAL id and
status.  It understands the layouts CVs and project pages use:

* ``A, B and **C**. Title. In *Venue*, May 2021``  (CV style, italic venue)
* ``A, B, C (2020). Title. Journal, Publisher, 14 (1), pp.67-82. ⟨10.…⟩. ⟨hal-…⟩``  (HAL style)
* ``Doe, J., & Roe, R. (2021). Title. *Journal*, 12(3), 45–67. https://doi.org/…``  (APA)
* ``Title. *Event*, City, Mar 2021``  (a talk whose only author is the CV owner)

Text is handled with its character offsets intact: matched parts are masked
with spaces rather than cut out, so italic and bold ranges stay valid.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..dates import InvalidDate, find_dates, parse_date
from ..identifiers import normalise_doi, normalise_hal
from ..names import display_person_name, is_initial, looks_like_org, looks_like_person
from ..records import PartialDate
from .text import BREAK, QUOTES, Styled, clean_spaces, strip_quotes, tidy


@dataclass
class NameRef:
    """A name in an author list, with its place in the line."""

    name: str
    bold: bool = False
    organization: bool = False


@dataclass
class Reference:
    authors: list[NameRef] = field(default_factory=list)
    by: list[NameRef] = field(default_factory=list)  # "Par M. X", "by X": the body's author
    contributors: list[NameRef] = field(default_factory=list)  # "Contributing author: X"
    title: str = ""
    translated_title: str | None = None
    venue: str | None = None
    venue_italic: bool = False
    publisher: str | None = None
    volume: str | None = None
    issue: str | None = None
    page_start: str | None = None
    page_end: str | None = None
    date: PartialDate | None = None
    forthcoming: bool = False
    doi: str | None = None
    hal: str | None = None
    extra: list[str] = field(default_factory=list)  # sentences after the venue
    place: str | None = None
    editors: list[NameRef] = field(default_factory=list)  # "In A & B (Eds.), *Book*"
    book: str | None = None
    event_hint: str | None = None  # a sentence that names an event ("École d'hiver …")


_DOI_FULL = re.compile(
    r"(?:https?://(?:dx\.)?doi\.org/|\bdoi:\s*)?\b10\.\d{4,9}/[^\s\"<>⟨⟩\]]+", re.IGNORECASE
)
_HAL_FULL = re.compile(
    r"(?:https?://[\w.-]*hal[\w.-]*/)?\b(?:hal|halshs|tel|inria|hprints|dumas|sic|medihal|cea|ird|pasteur|insu|lirmm)-\d{8}(?:v\d+)?\b",
    re.IGNORECASE,
)
_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
# Literal parts that every match of the pattern above them holds
_DOI_HINT = re.compile(r"10\.")
_HAL_HINT = re.compile(r"-\d{8}")
_URL_HINT = re.compile(r"://")
_IDENTIFIER_WORD = re.compile(r"doi|hal|DOI|HAL")
_EMPTY_BRACKETS = re.compile(r"[⟨<\[(]\s*[⟩>\])]")
_STATUS = re.compile(
    r"\b(?:to be published|forthcoming|in press|to appear|accepted for publication|"
    r"à paraître|a paraitre|à paraitre|sous presse|en cours de publication)\b",
    re.IGNORECASE,
)
# Every phrase of _STATUS holds one of these, in any case; _STATUS is slow to fail (IGNORECASE).
_STATUS_WORDS = ("publi", "forth", "pres", "appear", "para")
# The characters that IGNORECASE takes for an ASCII letter without being one in lower case:
# dotted and dotless i, long s, Kelvin sign.
_IGNORECASE_ODD = ("\u0130", "\u0131", "\u017f", "\u212a")


def _may_hold_status(text: str) -> bool:
    """False only if _STATUS finds nothing in ``text`` (a few substring tests instead of the pattern)."""
    lowered = text.lower()
    return any(word in lowered for word in _STATUS_WORDS) or (
        not text.isascii() and any(odd in text for odd in _IGNORECASE_ODD)
    )


def _may_hold_by(text: str) -> bool:
    """False only if _BY finds nothing in ``text``: it needs "par" or "by", capitalised or not."""
    return "ar" in text and ("par" in text or "Par" in text) or "by" in text or "By" in text


_ABBREVIATIONS = frozenset(
    "pp p vol no nos n° ed eds dir dirs coll cf vs st dr mr mrs ms m mme mlle pr prof jr sr inc ltd co fig chap sect éd".split()
)
_APA_HEAD = re.compile(
    r"^\s*(?P<auth>[^()]{2,}?)\s*\((?P<year>(?:19|20)\d\d)[a-z]?(?:,\s*(?P<when>[^)]*))?\)\s*[.,:]?\s*"
)
_CHICAGO_HEAD = re.compile(
    r"^\s*(?P<auth>[^()“”\"«»\[\]]{2,}?)\.\s+(?P<year>(?:19|20)\d\d)[a-z]?\.\s+"
)
# Chicago venue numbers: "Journal 37 (4): 912–931"
_CHICAGO_NUMBERS = re.compile(
    r"\s+(?P<vol>\d+)\s*(?:\(\s*(?P<issue>[\w\-–/]+)\s*\))?\s*:\s*(?P<start>[A-Za-z]?\d+)(?:\s*[-–—]+\s*(?P<end>[A-Za-z]?\d+))?\s*$"
)
_QUOTED_TITLE = re.compile(r"^\s*(?:[“\"«]\s*(?P<title>.+?)\s*[”\"»]|‘(?P<single>.+?)’(?=[\s,.:;]|$))")
# the parts after a venue: ", " or a sentence end, but not the period of "vol.", "p.", "pp.", "no."
_TAIL_SPLIT = re.compile(r"\s*,\s*|(?<!\bvol)(?<!\bVol)(?<!\bp)(?<!\bpp)(?<!\bno)(?<!\bNo)(?<!\bnr)\.\s+")


def _quoted(m: re.Match[str]) -> str:
    return m["title"] if m["title"] is not None else m["single"]
_PLACE_PUBLISHER = re.compile(r"^(?P<place>[A-ZÀ-Ý][\w'’\- ]{1,40}?)\s*:\s+(?P<publisher>[^,:]+)$")
_CONTRIBUTORS = re.compile(
    r"^(?:contributing authors?|contributors?|with contributions? (?:from|by)|contributions? de|avec la contribution de)\s*:?\s*(?P<names>.+)$",
    re.IGNORECASE,
)
_PLACE = re.compile(r"^[A-ZÀ-Ý][\w'’\-]+(?:[ -][A-ZÀ-Ý][\w'’\-]+)?(?:,\s*[A-ZÀ-Ý][\w'’\- ]+)?$")
_SEPARATORS = re.compile(r"\s*(?:,|;|\band\b|&|\bet\b)\s*")
_BY = re.compile(
    r"(?:^|[\s,.;])(?:[Pp]ar|[Bb]y)\s+(?P<names>(?:(?:M|Mme|Mr|Mrs|Ms|Dr|Pr|Prof)\.?\s+)?[A-ZÀ-Ý][\w.'’\- ]*?)(?=\s*(?:,|;|\.\s|$))",
)
EVENT_WORDS = re.compile(
    r"^(?:école|ecole|summer school|winter school|séminaire|seminaire|seminar|workshop|atelier|"
    r"conference|conférence|colloque|journée|journee|journées|congrès|congres|symposium|"
    r"doctoriales|meeting|forum|rencontres?|webinar|webinaire|table ronde|panel)\b",
    re.IGNORECASE,
)
_PAGES = re.compile(r"^(?:pp?\.?\s*|pages?\s+)?(?P<start>[A-Za-z]?\d+)\s*(?:[-–—]+\s*(?P<end>[A-Za-z]?\d+))?$")
_VOL_ISSUE = re.compile(
    r"^(?:vol\.?\s*|volume\s+)?(?P<vol>\d+(?:[-–]\d+)?)\s*(?:\(\s*(?P<issue>[\w\-–/]+)\s*\)|,?\s*(?:no\.?|n°|issue)\s*(?P<issue2>[\w\-–/]+))?"
    r"(?:\s*:\s*(?P<pages>[\w\-–—]+))?$",
    re.IGNORECASE,
)


_EDITOR_ROLE = re.compile(r"\s*\((?:dir|dirs|eds?|éds?|coord)\.?\)\s*$")
_BRACKETED_PAGES = re.compile(r"\((?:pp?\.|pages?)\s*(?P<start>[A-Za-z]?\d+)(?:\s*[-–—]+\s*(?P<end>[A-Za-z]?\d+))?\)")
_EMPTY_PARENTHESES = re.compile(r"\(\s*\)")
_BRACKETED = re.compile(r"\[([^\]]{3,})\]")
_VENUE_LEAD = re.compile(r"(?:\b(?:In|in|Dans|dans)\s*:?|[.?!:]|^)\s*$")
_TRAILING_IN = re.compile(r"\s+(?:In|in)$")


def mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def sentence_ends(text: str) -> list[int]:
    """Offsets of the ``.`` that end a sentence (not an initial or abbreviation)."""
    ends: list[int] = []
    depth = 0
    quote_depth = 0
    for mark in _SENTENCE_MARKS.finditer(text):  # the characters below; the others change nothing
        i = mark.start()
        char = text[i]
        if char in "([⟨":
            depth += 1
        elif char in ")]⟩" and depth:
            depth -= 1
        elif char in "«“":
            quote_depth += 1
        elif char in "»”" and quote_depth:
            quote_depth -= 1
        if char != "." or depth or quote_depth:
            continue
        if i + 1 < len(text) and not text[i + 1].isspace():
            continue
        token = _token_before(text, i)
        if token and (
            (is_initial(token + ".") and not _ends_name(text, i - len(token), token))
            or token.lower().rstrip(".") in _ABBREVIATIONS
        ):
            continue
        ends.append(i)
    return ends


_SHOUTED = re.compile(r"[A-Z]{2}")
_WORD_BEFORE = re.compile(r"(\S+)\s+$")


def _ends_name(text: str, start: int, token: str) -> bool:
    """True if ``token`` (at ``start``, a period after it) is a family name in capitals, not initials.

    ``Alice RANHOL.``, ``J.-P. DUPONT.``, ``Jones CD.``: two capitals or more, no period,
    after a capitalised word or an initial of the same name.  ``JP. Dupont`` (first in
    its name, after a comma, ``and`` or the start) stays initials.
    """
    if "." in token or not _SHOUTED.search(token):
        return False
    before = _WORD_BEFORE.search(text, max(0, start - 100), start)
    if before is None:
        return False
    word = before.group(1)
    if is_initial(word):
        return True
    return word[0].isupper() and any(c.islower() for c in word) and all(c.isalpha() or c in "-'’" for c in word)


_SENTENCE_MARKS = re.compile(r"[(\[⟨)\]⟩«“»”.]")


def _token_before(text: str, end: int) -> str:
    """What ``re.findall(r"[\\w°'’\\-.]+$", text[:end])`` finds first, without copying the text.

    The run of word characters (and ``°'’-.``) that ends at ``end`` — or just before
    a newline at ``end - 1``, where ``$`` also matches — read backwards, so that
    :func:`sentence_ends` stays linear in the length of the text.
    """
    if end and text[end - 1] == "\n":
        end -= 1
    start = end
    while start:
        char = text[start - 1]
        if not (char.isalnum() or char in "_°'’-."):  # [\w°'’\-.] (\w: isalnum() or "_"), without a call
            break
        start -= 1
    return text[start:end]


def _split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    last = 0
    for end in sentence_ends(text):
        pieces.append(text[last:end])
        last = end + 1
    pieces.append(text[last:])
    return [clean_spaces(p) for p in pieces if clean_spaces(p).strip(" .,;:")]


def _pair_inverted(pieces: list[str]) -> list[str]:
    """``["Doe", "J.", "Roe", "R. A."]`` (APA "Surname, I.") → ``["J. Doe", "R. A. Roe"]``."""
    out: list[str] = []
    for piece in pieces:
        words = piece.split()
        if out and words and all(_initials_word(w) for w in words):
            out[-1] = f"{piece} {out[-1]}"
        else:
            out.append(piece)
    return out


def split_names(segment: str) -> list[str]:
    """Names of an author list, in order (``,``, ``;``, ``and``, ``&``, ``et``)."""
    segment = re.sub(r"\bet al\.?", "", segment)
    pieces = [_name_piece(p) for p in _SEPARATORS.split(segment) if p.strip(" .*")]
    return _pair_inverted(pieces)


_LONG_SHOUT = re.compile(r"[A-Z]{3}")


@functools.lru_cache(maxsize=1 << 14)  # pure; asked for every word of every piece of every author list
def _initials_word(word: str) -> bool:
    """``J.``, ``J.-P.``, ``JP``: initials; ``DUPONT`` (three capitals in a row, no period) is a family name."""
    if not (is_initial(word) or is_initial(word + ".")):
        return False
    return "." in word or not _LONG_SHOUT.search(word)


def _name_piece(piece: str) -> str:
    """A piece of an author list without markup; an initial keeps (or gets) its period: ``J.``, ``R. A.``."""
    piece = piece.strip(" *")
    words = piece.split()
    if words and all(_initials_word(w) for w in words):
        return " ".join(w if w.endswith(".") else w + "." for w in words)
    return piece.rstrip(".").strip()


def _name_pieces(styled: Styled, base: int, segment: str) -> Iterator[tuple[str, int, int]]:
    """Pieces of ``segment`` (which starts at ``base`` in the line) with offsets, as they are asked for.

    APA initials are joined to their surname (the piece before them), so a piece is given
    once the next one is known.  The author list stops at its first piece that is not a
    name (the title), usually long before the segment's end: the rest is never split.
    """
    pending: tuple[str, int, int] | None = None
    pos = 0
    for match in _SEPARATORS.finditer(segment + ","):
        piece = segment[pos : match.start()]
        text = piece.strip(" .*")
        if text:
            start = base + pos + len(piece) - len(piece.lstrip(" .*"))
            end = start + len(text)
            if pending is not None and _initials_only(text):
                prev_text, prev_start, _ = pending
                pending = (f"{text if text.endswith('.') else text + '.'} {prev_text}", prev_start, end)
            else:
                if pending is not None:
                    yield pending
                pending = (text, start, end)
        pos = match.end()
    if pending is not None:
        yield pending


@functools.lru_cache(maxsize=1 << 14)  # pure; every piece of every author list, and names recur
def _initials_only(text: str) -> bool:
    """``text`` has words, all initials: the ``J. R.`` of an APA ``Doe, J. R.``."""
    words = text.split()
    return bool(words) and all(_initials_word(w) for w in words)


def _invert_first(pieces: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Chicago ``Surname, Given, B and C``: the first author is written surname first."""
    if len(pieces) >= 2:
        (family, a, _), (given, _, b) = pieces[0], pieces[1]
        if (
            not looks_like_person(family) and not looks_like_org(family) and not looks_like_org(given)
            and family[:1].isupper() and given[:1].isupper()
            and len(given.split()) <= 3
            and (not looks_like_person(given) or is_initial(given.split()[-1]))
        ):
            return [(f"{given} {family}", a, b)] + pieces[2:]
    return pieces


def _author_refs(styled: Styled, text: str, start: int, end: int, inverted_first: bool = False) -> tuple[list[NameRef], int]:
    """Authors at ``text[start:end]``; returns them and where the rest begins.

    Stops at the first piece that is not a name (the hearing line's report title).
    """
    segment = text[start:end]
    refs: list[NameRef] = []
    rest = start
    later = _name_pieces(styled, start, segment)
    first = list(itertools.islice(later, 3))  # what _invert_first and the one-piece test read
    if inverted_first:
        first = _invert_first(first)
    if len(first) == 1:  # (three pieces make two at least: none is left in ``later``)
        name, a, b = first[0]
        if looks_like_org(name) and not looks_like_person(name):
            return [NameRef(clean_spaces(name), styled.is_bold(a, b), organization=True)], end
    for name, a, b in itertools.chain(first, later):
        bold = False
        for x, y in styled.bold:  # (a loop: most lines have one bold range, or none)
            if x < b and a < y:
                bold = True
                break
        cleaned = clean_spaces(name)
        if cleaned.endswith(")"):
            cleaned = _EDITOR_ROLE.sub("", cleaned)  # "X (dir.)": a role, not the name
        if not looks_like_person(cleaned) and not (bold and len(cleaned.split()) <= 5 and not looks_like_org(cleaned)):
            if not refs and bold and looks_like_org(cleaned):
                refs.append(NameRef(cleaned, True, organization=True))
                rest = b
                continue
            return refs, (a if refs else start)
        refs.append(NameRef(display_person_name(cleaned), bold))
        rest = b
    return refs, end if refs else start


def _parse_numbers(parts: list[str], ref: Reference) -> list[str]:
    """Take volume, issue and pages off the end of comma-separated venue parts."""
    while parts:
        last = parts[-1].strip()
        if m := _PAGES.match(last):
            after_volume = len(parts) >= 2 and bool(_VOL_ISSUE.match(parts[-2].strip()))
            if ref.page_start is None and (last.lower().startswith("p") or m["end"] or after_volume):
                ref.page_start, ref.page_end = m["start"], m["end"]
                parts.pop()
                continue
        if m := _VOL_ISSUE.match(last):
            ref.volume = m["vol"]
            ref.issue = m["issue"] or m["issue2"] or ref.issue
            if m["pages"]:
                pages = re.split(r"[-–—]+", m["pages"])
                ref.page_start = pages[0]
                ref.page_end = pages[1] if len(pages) > 1 else None
            parts.pop()
            continue
        if re.fullmatch(r"(?:no\.?|n°|issue)\s*[\w\-]+", last, re.IGNORECASE):
            ref.issue = re.sub(r"^(?:no\.?|n°|issue)\s*", "", last, flags=re.IGNORECASE)
            parts.pop()
            continue
        break
    return parts


def _venue_parts(venue_text: str, ref: Reference) -> None:
    """HAL/plain venue: ``Journal, Publisher, 14 (1), pp.67-82``."""
    parts = [p for p in re.split(r"\s*,\s*", venue_text) if p.strip()]
    parts = _parse_numbers(parts, ref)
    if len(parts) >= 2:
        ref.publisher = tidy(parts[-1])
        ref.venue = tidy(", ".join(parts[:-1]))
    elif parts:
        ref.venue = tidy(parts[0])


def parse_reference(styled: Styled, links: list[str] | None = None) -> Reference:
    """Parse one bibliographic entry."""
    text = styled.text.replace(BREAK, " ")
    ref = Reference()
    for link in links if links is not None else styled.links:
        ref.doi = ref.doi or normalise_doi(link)
        ref.hal = ref.hal or normalise_hal(link)

    for pattern, kind, hint in ((_DOI_FULL, "doi", _DOI_HINT), (_HAL_FULL, "hal", _HAL_HINT), (_URL, "url", _URL_HINT)):
        if not hint.search(text):  # what every match holds, found faster than the pattern fails
            continue
        for m in pattern.finditer(text):
            found = m.group(0)
            if kind == "doi":
                ref.doi = ref.doi or normalise_doi(found.rstrip(".,;)"))
            elif kind == "hal":
                ref.hal = ref.hal or normalise_hal(found)
            else:
                ref.doi = ref.doi or normalise_doi(found)
                ref.hal = ref.hal or normalise_hal(found)
            text = mask(text, m.start(), m.end())
    for m in _BRACKETED_PAGES.finditer(text):
        ref.page_start, ref.page_end = m["start"], m["end"]  # APA chapter "(pp. 233–250)"
        text = mask(text, m.start(), m.end())
    for m in _STATUS.finditer(text) if _may_hold_status(text) else ():
        ref.forthcoming = True
        text = mask(text, m.start(), m.end())
    for m in _EMPTY_BRACKETS.finditer(text):
        text = mask(text, m.start(), m.end())
    if _IDENTIFIER_WORD.search(text):
        text = re.sub(r"(?<=\s)(?:doi|hal|DOI|HAL)\s*:?(?=\s*$|\s{2,})", lambda m: " " * len(m.group(0)), text)

    # --- authors
    rest_start = 0
    if m := _APA_HEAD.match(text):
        authors, _ = _author_refs(styled, text, m.start("auth"), m.end("auth"))
        if authors:
            ref.authors = authors
            ref.date = PartialDate(int(m["year"]))
            if m["when"]:  # APA "(2022, April)", "(2021, July 5)"
                try:
                    ref.date = parse_date(f"{m['when']} {m['year']}") or ref.date
                except InvalidDate:
                    pass
            rest_start = m.end()
    if not ref.authors and (m := _CHICAGO_HEAD.match(text)):
        authors, _ = _author_refs(styled, text, m.start("auth"), m.end("auth"), inverted_first=True)
        if authors:
            ref.authors = authors
            ref.date = PartialDate(int(m["year"]))
            rest_start = m.end()
    if not ref.authors:
        ends = sentence_ends(text)
        first_end = ends[0] if ends else len(text)
        authors, rest = _author_refs(styled, text, 0, first_end)
        if authors:
            ref.authors = authors
            rest_start = first_end + 1 if rest >= first_end else rest
    rest_text = mask(text, 0, rest_start)

    # --- "Par M. X" / "by X": the author of the body the entry is about
    for m in _BY.finditer(rest_text) if _may_hold_by(rest_text) else ():
        names = [n for n in split_names(m["names"]) if looks_like_person(n)]
        if names:
            ref.by = [NameRef(display_person_name(n)) for n in names]
            rest_text = mask(rest_text, m.start("names") - 4 if m.start("names") >= 4 else 0, m.end("names"))
            rest_text = re.sub(r"\b(?:[Pp]ar|[Bb]y)\s*$", "", rest_text.rstrip()).ljust(len(rest_text))
            break

    # --- date: the last one outside the italic venue
    dates = [d for d in find_dates(rest_text) if not styled.is_italic(d[0], d[1])]
    if dates:
        a, b, date = dates[-1]
        if ref.date is None or (date.year == ref.date.year and date.precision != ref.date.precision):
            ref.date = date
        elif ref.date is not None and date.year != ref.date.year:
            a = b = 0  # a year inside the title: leave it
        if b:
            rest_text = mask(rest_text, a, b)
    if "(" in rest_text:
        rest_text = _EMPTY_PARENTHESES.sub(lambda m: " " * len(m.group(0)), rest_text)

    _title_and_venue(styled, rest_text, ref)
    _editors_and_book(ref)
    return ref


def _title_and_venue(styled: Styled, text: str, ref: Reference) -> None:
    italic = [
        (a, b) for a, b in styled.italic if text[a:b].strip(" .,;:") and clean_spaces(text[a:b])
    ]
    bracket = _BRACKETED.search(text)
    quoted = _QUOTED_TITLE.match(text)
    if quoted and italic and italic[0][0] >= quoted.end():
        # “Title.” Keynote, *Event*, City.
        _set_title(ref, _quoted(quoted))
        a, b = italic[0]
        ref.venue = tidy(strip_quotes(clean_spaces(text[a:b])))
        ref.venue_italic = True
        tail = [tidy(p) for p in _TAIL_SPLIT.split(clean_spaces(text[b:])) if p.strip(" .,;:")]
        leftover = [tidy(p) for p in _parse_numbers(tail, ref) if tidy(p)]
        if leftover:
            ref.place = ", ".join(leftover)
        return
    if italic and not text[: italic[0][0]].strip(" .,;:"):
        # APA report or book: "Author (Year). *Title*. Place: Publisher." — the italic is the title
        a, b = italic[0]
        _set_title(ref, clean_spaces(text[a:b]))
        for sentence in _split_sentences(text[b:]):
            cleaned = tidy(sentence)
            if m := _CONTRIBUTORS.match(cleaned):
                ref.contributors = [NameRef(display_person_name(n)) for n in split_names(m["names"]) if looks_like_person(n)]
            elif (m := _PLACE_PUBLISHER.match(cleaned)) and ref.publisher is None:
                ref.place, ref.publisher = tidy(m["place"]), tidy(m["publisher"])
            elif looks_like_org(cleaned) and ref.publisher is None:
                ref.publisher = cleaned
            elif _PLACE.match(cleaned) and ref.place is None:
                ref.place = cleaned
            elif cleaned:
                ref.extra.append(cleaned)
        return
    if italic:
        a, b = italic[0]
        before = text[:a]
        after = text[b:]
        venue = clean_spaces(text[a:b])
        lead = _VENUE_LEAD.search(before)
        if lead is None:
            # the italic starts inside a sentence: "Doctoriales de *l'Institut …*"
            sentence_start = max([e + 1 for e in sentence_ends(before)] + [0])
            head = clean_spaces(before[sentence_start:])
            if head and not re.search(r"[?!]\s*$", head):
                venue = f"{head} {venue}"
                before = before[:sentence_start]
        else:
            before = before[: lead.start()] if lead.group(0).strip().lower().rstrip(":") in ("in", "dans") else before
        ref.venue = tidy(strip_quotes(venue))
        ref.venue_italic = True
        sentences = _split_sentences(before)
        event_idx = [i for i, s in enumerate(sentences) if EVENT_WORDS.match(s)]
        if event_idx and event_idx[-1] > 0:
            ref.event_hint = tidy(sentences[event_idx[-1]])
            sentences = sentences[: event_idx[-1]] + sentences[event_idx[-1] + 1 :]
        _set_title(ref, ". ".join(sentences))
        tail = [tidy(p) for p in _TAIL_SPLIT.split(clean_spaces(after)) if p.strip(" .,;:")]
        tail = _parse_numbers(tail, ref)
        leftover = [tidy(p) for p in tail if tidy(p)]
        if leftover:
            ref.place = ", ".join(leftover)
        return
    if quoted := _QUOTED_TITLE.match(text):
        # Chicago: “Title.” Journal 37 (4): 912–931.
        _set_title(ref, _quoted(quoted))
        after = clean_spaces(text[quoted.end():]).strip(" .,;")
        if numbers := _CHICAGO_NUMBERS.search(after):
            ref.volume, ref.issue = numbers["vol"], numbers["issue"]
            ref.page_start, ref.page_end = numbers["start"], numbers["end"]
            ref.venue = tidy(after[: numbers.start()]) or None
        elif after:
            _venue_or_extra(_split_sentences(after), ref)
        return
    if bracket:
        ref.translated_title = tidy(strip_quotes(bracket.group(1)))
        _set_title(ref, text[: bracket.start()])
        rest = _split_sentences(text[bracket.end() :])
        if rest:
            _venue_or_extra(rest, ref)
        return
    sentences = _split_sentences(text)
    if not sentences:
        return
    if len(sentences) == 1:
        _set_title(ref, sentences[0])
        return
    _set_title(ref, ". ".join(sentences[:-1]))
    _venue_or_extra(sentences[-1:], ref)


_EDITED = re.compile(
    r"^(?:In|Dans)\s*:?\s+(?P<eds>.+?)\s*\((?:Eds?|éds?|Éds?|dir|dirs|coord|Hrsg)\.?\)\s*,?\s*(?P<book>.+)$"
)


def _editors_and_book(ref: Reference) -> None:
    """``In S. Lindqvist & P. Moreau (Eds.), *Handbook*``: the editors and the book, not a venue."""
    if not ref.venue:
        return
    m = _EDITED.match(ref.venue)
    if not m:
        return
    names = [n for n in split_names(m["eds"]) if looks_like_person(n)]
    if not names:
        return
    ref.editors = [NameRef(display_person_name(n)) for n in names]
    ref.book = tidy(strip_quotes(m["book"]))
    ref.venue = None
    if ref.place and not ref.publisher:
        ref.publisher, ref.place = ref.place, None


def _venue_or_extra(sentences: list[str], ref: Reference) -> None:
    for sentence in sentences:
        cleaned = tidy(sentence)
        if not cleaned:
            continue
        if ref.publisher is None and (m := _PLACE_PUBLISHER.match(cleaned)) and looks_like_org(m["publisher"]):
            ref.place, ref.publisher = tidy(m["place"]), tidy(m["publisher"])
        elif ref.venue is None and not re.search(r"\b(?:report|rapport)\b", cleaned, re.IGNORECASE):
            _venue_parts(cleaned, ref)
        else:
            ref.extra.append(cleaned)


_DESCRIPTOR = re.compile(
    r"\s*\[[^\]]*\b(?:presentation|poster|paper|session|keynote|abstract|communication)\b[^\]]*\]\s*\.?$", re.I
)


def _set_title(ref: Reference, text: str) -> None:
    text = tidy(text)
    if "[" in text:
        text = _DESCRIPTOR.sub("", text)  # APA "[Paper presentation]" describes, it is not the title
    title = tidy(strip_quotes(tidy(text)))
    title = _TRAILING_IN.sub("", title)
    ref.title = tidy(strip_quotes(title))


def has_quotes(text: str) -> bool:
    return any(q in text for q in QUOTES)
