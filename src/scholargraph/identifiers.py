"""Identifier normalisation (DOI, HAL, ORCID, ROR) and IRI minting.

>>> normalise_doi("https://doi.org/10.13169/WorkOrgaLaboGlob.14.1.0067")
'10.13169/workorgalaboglob.14.1.0067'
>>> normalise_hal("hal-02139528v1")
'hal-02139528'
>>> orcid_checksum_ok("0000-0002-1825-0097")
True
>>> slug("Clément Le Ludec")
'clement-le-ludec'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>⟨⟩,;]+)", re.IGNORECASE)
HAL_RE = re.compile(r"\b((?:hal|halshs|tel|inria|cea|in2p3|ird|pasteur|sic|hprints|dumas|medihal|insu|ineris|lirmm|mem)-\d{8})(?:v\d+)?\b", re.IGNORECASE)
ORCID_RE = re.compile(r"\b(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\b")
ROR_RE = re.compile(r"(?:https?://ror\.org/)?\b(0[a-hj-km-np-tv-z0-9]{6}\d{2})\b")


def normalise_doi(text: str) -> str | None:
    """The bare, lower-cased DOI in ``text`` (``10.…``), or None."""
    match = DOI_RE.search(text)
    if not match:
        return None
    return match.group(1).rstrip(".").lower()


def normalise_hal(text: str) -> str | None:
    """The HAL id in ``text`` without its version suffix, or None."""
    match = HAL_RE.search(text)
    return match.group(1).lower() if match else None


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 11,2 check digit, as ORCID computes it."""
    digits = orcid.replace("-", "")
    if not re.fullmatch(r"\d{15}[\dX]", digits):
        return False
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def normalise_orcid(text: str) -> str | None:
    """The ORCID iD in ``text`` (``0000-0002-1825-0097``) if its check digit is right."""
    match = ORCID_RE.search(text.upper())
    if not match or not orcid_checksum_ok(match.group(1)):
        return None
    return match.group(1)


def normalise_ror(text: str) -> str | None:
    """The bare ROR id in ``text`` (``05qec5a53``), or None."""
    match = ROR_RE.search(text.lower())
    return match.group(1) if match else None


def slug(text: str, limit: int = 60) -> str:
    """A lower-case ASCII slug: letters, digits and hyphens only."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    out = "-".join(words)[:limit].strip("-")
    return out or "x"


def short_hash(*parts: str, length: int = 8) -> str:
    """A stable short hex digest of ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


def iri_segment(text: str) -> str:
    """``text`` percent-encoded so that it is safe as one IRI path segment."""
    return quote(text, safe="-._~:@!$&'()*+,;=")
