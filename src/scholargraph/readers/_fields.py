"""Field helpers shared by the structured-format readers.

>>> iso_date("2020-09")
PartialDate(year=2020, month=9, day=None)
>>> split_pages("12--34")
('12', '34')
>>> is_forthcoming("à paraître")
True
>>> doi_or_hal("https://hal.science/halshs-03099683v2/document")
(None, 'halshs-03099683')
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..dates import MONTHS, ONGOING, fold, parse_date
from ..identifiers import normalise_doi, normalise_hal
from ..lang import guess_language
from ..records import PartialDate, Title

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T[\d:.]+Z?)?$")
FORTHCOMING = frozenset(
    {
        "forthcoming", "to appear", "in press", "accepted", "to be published",
        "a paraitre", "sous presse", "accepte", "a publier",
    }
)
LANGUAGES = {
    "english": "en", "en": "en", "anglais": "en", "american": "en", "british": "en",
    "french": "fr", "fr": "fr", "francais": "fr", "francaise": "fr",
    "spanish": "es", "es": "es", "espagnol": "es", "german": "de", "de": "de", "ngerman": "de",
    "italian": "it", "it": "it", "portuguese": "pt", "pt": "pt",
}


def iso_date(value: Any) -> PartialDate | None:
    """An ISO partial date (``2020``, ``2020-09``, ``2020-09-01``), or any date ``parse_date`` knows.

    Raises :class:`~scholargraph.dates.InvalidDate` for an impossible date;
    None if ``value`` is not a date at all.
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    if m := _ISO.match(text):
        year, month, day = int(m[1]), m[2], m[3]
        return parse_date(f"{year:04d}-{int(month):02d}-{int(day):02d}" if day else f"{year:04d}-{int(month):02d}") \
            if month else PartialDate(year)
    return parse_date(text)


def is_ongoing(value: Any) -> bool:
    """True for "present", "now", "aujourd'hui", ..."""
    return isinstance(value, str) and fold(value).strip(" .") in ONGOING


def month_number(value: str) -> int | None:
    """``10``, ``oct``, ``October``, ``octobre`` → 10."""
    text = fold(value).strip(" .{}")
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(text)


def split_pages(pages: str) -> tuple[str | None, str | None]:
    """Start and end page from ``12-34``, ``12--34``, ``12–34`` or ``pp. 12``."""
    text = re.sub(r"^(?:pp?\.?|pages?)\s*", "", pages.strip(), flags=re.IGNORECASE)
    parts = [p.strip() for p in re.split(r"\s*(?:-{1,3}|–|—)\s*", text, maxsplit=1)]
    start = parts[0] or None
    end = parts[1] if len(parts) > 1 and parts[1] else None
    return start, end


def is_forthcoming(text: str) -> bool:
    """True if ``text`` says the work is not yet published ("to appear", "à paraître")."""
    return fold(text).strip(" .()[]{}") in FORTHCOMING


def doi_or_hal(text: str | None) -> tuple[str | None, str | None]:
    """The DOI and HAL id in a URL or identifier string."""
    if not text:
        return None, None
    return normalise_doi(text), normalise_hal(text)


def language_code(value: str | None) -> str | None:
    """``french``, ``fr``, ``Français`` → ``fr``."""
    if not value:
        return None
    return LANGUAGES.get(fold(value).strip())


def title(text: str, lang: str | None = None) -> Title:
    """A title with its language: the one the document states, else a clear guess."""
    text = clean(text)
    return Title(text, lang or guess_language(text))


_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<!\w)_(?=\w)|(?<=\w)_(?!\w))")
_WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 14)  # pure; the structured readers clean every value
def clean(text: str) -> str:
    """Whitespace collapsed, Markdown emphasis markers removed."""
    if "*" in text or "_" in text:
        text = _EMPHASIS.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()
