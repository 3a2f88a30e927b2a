"""Names of people and organisations: display forms, comparison keys, person/organisation tests."""

from __future__ import annotations

import pytest

from scholargraph.names import (
    display_org_name,
    display_person_name,
    initials_key,
    is_initial,
    looks_like_org,
    looks_like_person,
    org_key,
    person_key,
    split_person_name,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("M. Pascal SAVOLDELLI", "Pascal Savoldelli"),
        ("Mme Sophie LAMBERT-DUPRÉ", "Sophie Lambert-Dupré"),
        ("Dr. Kwame MENSAH", "Kwame Mensah"),
        ("Dr Mariam Touré", "Mariam Touré"),
        ("Prof. Alice Martin", "Alice Martin"),
        ("Camille BERTHIER", "Camille Berthier"),
        ("Antonio A. Casilli", "Antonio A. Casilli"),
        ("M. Schultz", "M. Schultz"),  # an initial, not "Monsieur"
        ("H. R. Whitfield", "H. R. Whitfield"),
        ("L. van der Berg", "L. van der Berg"),
        ("Clément\u00a0Le Ludec", "Clément Le Ludec"),
        ("Jane Doe.", "Jane Doe"),
    ],
)
def test_display_person_name(raw: str, shown: str) -> None:
    assert display_person_name(raw) == shown


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Paola Tubaro", ("Paola", "Tubaro")),
        ("Antonio A. Casilli", ("Antonio", "Casilli")),
        ("Clément Le Ludec", ("Clément", "Le Ludec")),
        ("Hannah", ("", "Hannah")),
    ],
)
def test_split_person_name(name: str, parts: tuple[str, str]) -> None:
    assert split_person_name(name) == parts


def test_person_keys_ignore_middle_names_accents_case_and_honorifics() -> None:
    same = ["Antonio A. Casilli", "Antonio Casilli", "ANTONIO CASILLI", "M. Antonio Casilli"]
    assert {person_key(n) for n in same} == {"antonio casilli"}
    assert person_key("Tomás Rivera") == person_key("Tomas RIVERA") == "tomas rivera"
    assert person_key("Paola Tubaro") != person_key("Paolo Tubaro")
    assert initials_key("Alice Martin") == initials_key("A. Martin") == "a martin"


@pytest.mark.parametrize(
    ("word", "initial"),
    [("A.", True), ("J.-H.", True), ("Th.", True), ("R", True), ("Jo", False), ("Anna", False), ("van", False)],
)
def test_is_initial(word: str, initial: bool) -> None:
    assert is_initial(word) is initial


@pytest.mark.parametrize(
    ("name", "person", "org"),
    [
        ("Paola Tubaro", True, False),
        ("H. R. Whitfield", True, False),
        ("L. van der Berg", True, False),
        ("Sophie Lambert-Dupré", True, False),
        ("Conseil national du numérique", False, True),
        ("University of Leeds", False, True),
        ("European Digital Labour Observatory", False, True),
        ("CNRS", False, True),
        ("Page 2 of 3", False, False),
        ("hello world", False, False),
        ("Hannah", False, False),
    ],
)
def test_person_or_organisation(name: str, person: bool, org: bool) -> None:
    assert (looks_like_person(name), looks_like_org(name)) == (person, org)


def test_org_keys_ignore_case_accents_punctuation_and_small_words() -> None:
    assert org_key("CONSEIL NATIONAL DU NUMÉRIQUE") == org_key("Conseil national du numérique") == "conseil national numerique"
    assert org_key("Université de Lille") == org_key("UNIVERSITÉ DE LILLE") == "universite lille"
    assert org_key("Work, Employment & Society") == org_key("Work Employment and Society")
    assert display_org_name("**INSTITUT POLYTECHNIQUE DE PARIS**") == "INSTITUT POLYTECHNIQUE DE PARIS"
    assert display_org_name("  University of Leeds, ") == "University of Leeds"


def test_guess_language_word_by_word_as_language_by_language() -> None:
    """``guess_language`` counts each title word once per language it belongs to: the tags of counting per language."""
    import random
    import re

    from scholargraph import lang
    from scholargraph.dates import fold

    def per_language(text: str) -> str | None:
        words = re.findall(r"[a-z]+", fold(text))
        if len(words) < 3:
            return None
        scores = {code: sum(1 for w in words if w in vocab) for code, vocab in lang._WORDS.items()}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        (best, top), (_, second) = ranked[0], ranked[1]
        return best if top >= 2 and top >= second + 2 and top >= len(words) * 0.15 else None

    words = ["the", "of", "and", "le", "la", "les", "des", "de", "et", "el", "los", "y", "der", "die", "und", "il", "della",
             "o", "os", "da", "em", "travail", "labour", "plateformes", "platforms", "Économie", "numérique", "l’État",
             "qu'il", "für", "über", "en", "un", "una", "e", "con", "per", "2020", ":", "?"]
    rng = random.Random(29)
    for _ in range(5000):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))
        assert lang.guess_language(title) == per_language(title), title
    assert lang.guess_language("Quel statut pour les petits doigts de l'intelligence artificielle ?") == "fr"
    assert lang.guess_language("Hidden inequalities: the gendered labour of women on micro-tasking platforms") == "en"
