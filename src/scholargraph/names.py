"""Names of people and organisations: display forms and comparison keys.

>>> display_person_name("M. Pascal SAVOLDELLI")
'Pascal Savoldelli'
>>> person_key("Antonio A. Casilli") == person_key("antonio casilli")
True
>>> org_key("CONSEIL NATIONAL DU NUMÉRIQUE") == org_key("Conseil national du numérique")
True
"""

from __future__ import annotations

import functools
import re

from nameparser import HumanName

from .dates import fold

HONORIFICS = frozenset(
    {
        "m", "mr", "mrs", "ms", "miss", "mme", "mlle", "mx", "dr", "prof", "pr",
        "professor", "professeur", "professeure", "sir", "dame", "monsieur", "madame",
    }
)
PARTICLES = frozenset(
    {"de", "du", "des", "da", "di", "del", "della", "van", "von", "der", "den", "le", "la",
     "les", "ben", "bin", "el", "al", "dos", "das", "do", "ter", "ten", "st", "y", "d'"}
)
# Readers and resolution ask for the same names again and again; these functions are
# pure functions of their string, so they are memoised (bounded, for long-lived processes).
_memo = functools.lru_cache(maxsize=1 << 16)
_INITIAL = re.compile(r"^(?:[A-Z]\.?-?)+$|^[A-Z][a-z]?\.$|^[A-Z]\.-[A-Z]\.$")
_WORD = re.compile(r"[^\W\d_][\w'’\-.]*", re.UNICODE)


def _case_word(word: str) -> str:
    if word.isupper() and len(word) > 1 and not re.fullmatch(r"(?:[A-Z]\.)+", word):
        return "-".join(part.capitalize() for part in word.split("-"))
    return word


@_memo
def display_person_name(raw: str) -> str:
    """A person's name as it should be shown: no honorific, no capitals shouting."""
    words = raw.replace("\u00a0", " ").split()
    while words and fold(words[0]).rstrip(".") in HONORIFICS and len(words) > 1:
        if len(fold(words[0]).rstrip(".")) == 1 and len(words) < 3:
            break  # "M. Schultz": an initial, not "Monsieur"
        words = words[1:]
    if any(w.isupper() and len(w) > 2 for w in words):
        words = [_case_word(w) for w in words]
    text = " ".join(words).strip(" ,;")
    if text.endswith(".") and not is_initial(words[-1]):
        text = text[:-1]
    return text


# Every name split so far, kept (up to a bound) so that the build can carry them over to the
# next build (:meth:`scholargraph.cache.DocumentCache.load_names`): nameparser takes ~0.5 ms a
# name, and a rebuild at a million triples would split ~4,000 names again (2 s).
KNOWN_SPLITS: dict[str, tuple[str, str]] = {}
_KNOWN_SPLITS_MAX = 1 << 18


@_memo
def split_person_name(name: str) -> tuple[str, str]:
    """(given name, family name) of a display name; middle names are not part of either."""
    known = KNOWN_SPLITS.get(name)
    if known is not None:
        return known
    parsed = HumanName(name)
    given = parsed.first.strip()
    family = parsed.last.strip()
    split = ("", given) if not family else (given, family)
    if len(KNOWN_SPLITS) < _KNOWN_SPLITS_MAX:
        KNOWN_SPLITS[name] = split
    return split


@_memo
def _fold_token(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def person_key(name: str) -> str:
    """Comparison key: first given name and family name, folded; middle names dropped.

    Two names with equal keys are the same person (when no ORCID says otherwise).
    """
    given, family = split_person_name(display_person_name(name))
    first = _fold_token(given).split(" ")[0] if given else ""
    return f"{first} {_fold_token(family)}".strip()


def initials_key(name: str) -> str:
    """Key with the given name cut to its initial: ``a casilli`` for ``Antonio Casilli``."""
    given, family = split_person_name(display_person_name(name))
    first = _fold_token(given)[:1]
    return f"{first} {_fold_token(family)}".strip()


@_memo
def is_initial(word: str) -> bool:
    """``A.``, ``J.-P.``, ``Th.``: an abbreviated given name."""
    return bool(_INITIAL.match(word))


ORG_WORDS = frozenset(
    """
    conseil council institut institute institution university universite universidad universita
    universitat school ecole college lycee laboratory laboratoire lab labs centre center
    ministry ministere commission committee comite agency agence foundation fondation
    association society societe department departement office bureau group groupe
    cnrs inria inserm senat senate assemblee parliament parlement mission observatoire
    observatory network reseau consortium company inc ltd gmbh corporation corp city ville
    mairie region federation union syndicat board chambre chamber academy academie
    academia museum musee library bibliotheque hospital hopital ministerio msh anr erc
    press editions publishing publisher journals springer elsevier sage wiley
    government gouvernement direction service services strategie national nationale
    fund fonds trust polytechnique polytechnic sciences telecom
    """.split()
)


@_memo
def looks_like_org(name: str) -> bool:
    """Heuristic: does this name denote an organisation rather than a person?"""
    words = [_fold_token(w) for w in name.split()]
    words = [w for w in words if w]
    if not words:
        return False
    if any(w in ORG_WORDS for w in words):
        return True
    raw = name.strip()
    if len(words) == 1 and raw.isupper() and len(raw) >= 2:
        return True  # an acronym: CNRS, UCO
    return False


@_memo
def looks_like_person(name: str) -> bool:
    """Heuristic: 2 to 6 name words, capitalised (particles and initials allowed), no digits."""
    text = display_person_name(name).strip()
    if not text or re.search(r"[\d:;()\[\]«»“”\"/@]", text) or looks_like_org(text):
        return False
    words = text.replace(",", " ").split()
    if not 2 <= len(words) <= 6:
        return False
    capitalised = 0
    for word in words:
        bare = word.strip(".")
        if fold(word) in PARTICLES or fold(bare) in PARTICLES:
            continue
        if is_initial(word):
            capitalised += 1
            continue
        if not bare or not bare[0].isupper():
            return False
        capitalised += 1
    return capitalised >= 2 or (capitalised >= 1 and len(words) >= 2 and not is_initial(words[-1]))


ORG_STOPWORDS = frozenset({"the", "of", "and", "for", "de", "du", "des", "la", "le", "les", "l", "d", "et", "pour", "a", "au", "aux", "en"})


def org_key(name: str) -> str:
    """Comparison key of an organisation: folded, punctuation and small words dropped."""
    words = _fold_token(name.replace("&", " and ")).split()
    return " ".join(w for w in words if w not in ORG_STOPWORDS)


def display_org_name(raw: str) -> str:
    """An organisation's name with markup and outer punctuation removed (case kept)."""
    return re.sub(r"\s+", " ", raw).strip(" ,;.:*")


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)
