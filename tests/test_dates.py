"""Dates in English and French, with their precision: exact outcomes of the date parser."""

from __future__ import annotations

import pytest

from scholargraph.dates import DateRange, InvalidDate, find_dates, fold, parse_date, parse_range
from scholargraph.records import PartialDate, Precision

Y, M, D = PartialDate, PartialDate, PartialDate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # years, ISO forms, numeric forms (day first)
        ("2016", Y(2016)),
        ("2020-01", M(2020, 1)),
        ("2021-09-29", D(2021, 9, 29)),
        ("29/09/2021", D(2021, 9, 29)),
        ("01/2020", M(2020, 1)),
        # English months, full and abbreviated, with or without a period
        ("January 2020", M(2020, 1)),
        ("Jan. 2020", M(2020, 1)),
        ("Jan 2020", M(2020, 1)),
        ("Sept. 2018", M(2018, 9)),
        ("Sep. 2016", M(2016, 9)),
        ("Dec 2019", M(2019, 12)),
        ("14 March 2024", D(2024, 3, 14)),
        ("May 2, 2020", D(2020, 5, 2)),
        ("21 Nov. 2018", D(2018, 11, 21)),
        # French months, accents or not, capitalised or not, abbreviated
        ("janvier 2020", M(2020, 1)),
        ("Mai 2020", M(2020, 5)),
        ("févr. 2019", M(2019, 2)),
        ("fevrier 2019", M(2019, 2)),
        ("août 2017", M(2017, 8)),
        ("juil. 2021", M(2021, 7)),
        ("décembre 2015", M(2015, 12)),
        ("29 septembre 2021", D(2021, 9, 29)),
        ("1er mars 2020", D(2020, 3, 1)),
        ("4 décembre 2015", D(2015, 12, 4)),
        # no-break spaces
        ("29\u00a0septembre\u00a02021", D(2021, 9, 29)),
    ],
)
def test_parse_date(text: str, expected: PartialDate) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "Page 2 of 3", "Lille", "hier", "1999a", "2020 –", "mars"])
def test_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_precision_and_iso() -> None:
    assert [(d.precision, d.iso()) for d in (Y(2016), M(2020, 1), D(2021, 9, 29))] == [
        (Precision.YEAR, "2016"), (Precision.MONTH, "2020-01"), (Precision.DAY, "2021-09-29"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014–2016", DateRange(Y(2014), Y(2016))),
        ("2014 - 2016", DateRange(Y(2014), Y(2016))),
        ("2014-16", DateRange(Y(2014), Y(2016))),
        ("Sep. 2016 - Sep. 2017", DateRange(M(2016, 9), M(2017, 9))),
        ("Sept. 2018 – Aug. 2019", DateRange(M(2018, 9), M(2019, 8))),
        ("mars 2017 – juin 2017", DateRange(M(2017, 3), M(2017, 6))),
        ("de 2012 à 2014", DateRange(Y(2012), Y(2014))),
        ("from 2012 to 2014", DateRange(Y(2012), Y(2014))),
        # ongoing: present, présent, aujourd'hui, now, today, en cours
        ("Jan. 2020 - Present", DateRange(M(2020, 1), None, ongoing=True)),
        ("2021–present", DateRange(Y(2021), None, ongoing=True)),
        ("2019 – présent", DateRange(Y(2019), None, ongoing=True)),
        ("septembre 2018 – aujourd'hui", DateRange(M(2018, 9), None, ongoing=True)),
        ("septembre 2018 – aujourd’hui", DateRange(M(2018, 9), None, ongoing=True)),
        ("2021 – now", DateRange(Y(2021), None, ongoing=True)),
        ("2020 - today", DateRange(Y(2020), None, ongoing=True)),
        ("2022 – en cours", DateRange(Y(2022), None, ongoing=True)),
        # since / depuis: ongoing from the start
        ("since 2016", DateRange(Y(2016), None, ongoing=True)),
        ("Since March 2016", DateRange(M(2016, 3), None, ongoing=True)),
        ("depuis 2019", DateRange(Y(2019), None, ongoing=True)),
        ("Depuis janvier 2021", DateRange(M(2021, 1), None, ongoing=True)),
        # one date: a range with no end, not ongoing
        ("2023", DateRange(Y(2023), None)),
        ("novembre 2021", DateRange(M(2021, 11), None)),
    ],
)
def test_parse_range(text: str, expected: DateRange) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["", "Lecturer", "2019 – someday soon", "Page 2 of 3"])
def test_not_a_range(text: str) -> None:
    assert parse_range(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2020", "'31/02/2020' is not a calendar date (February has 29 days)"),
        ("29/02/2021", "'29/02/2021' is not a calendar date (February has 28 days)"),
        ("2021-02-30", "'2021-02-30' is not a calendar date (February has 28 days)"),
        ("31 avril 2020", "'31 avril 2020' is not a calendar date (April has 30 days)"),
        ("31 June 2019", "'31 June 2019' is not a calendar date (June has 30 days)"),
        ("2020-13", "'2020-13' has month 13; months run from 1 to 12"),
        ("13/2020", "'13/2020' has month 13; months run from 1 to 12"),
    ],
)
def test_impossible_dates(text: str, message: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019 – 2017", "'2019 – 2017' ends before it starts"),
        ("juin 2017 – mars 2017", "'juin 2017 – mars 2017' ends before it starts"),
        ("30 février 2021 – 2022", "'30 février 2021' is not a calendar date (February has 28 days)"),
    ],
)
def test_impossible_ranges(text: str, message: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_range(text)
    assert str(caught.value) == message


def test_find_dates_gives_offsets_into_the_original_text() -> None:
    text = "Défendue le 4 décembre 2015, publiée en mai 2016 (rev. 2017)."
    found = find_dates(text)
    assert [(text[a:b], date) for a, b, date in found] == [
        ("4 décembre 2015", D(2015, 12, 4)), ("mai 2016", M(2016, 5)), ("2017", Y(2017)),
    ]


def test_find_dates_skips_impossible_dates_and_numbers_in_words() -> None:
    assert find_dates("31/02/2020, hal-02139528, 10.5555/x.2020.1") == []


def test_fold() -> None:
    assert fold("Aujourd’hui ÉTÉ Août") == "aujourd'hui ete aout"


def test_fold_by_character_as_fold_of_the_whole_text() -> None:
    """``fold`` folds non-ASCII text through a per-character table: the same as folding it whole.

    Random texts of accents (precomposed and combining, several marks in a row), ligatures,
    compatibility characters, typographic apostrophes, French and Greek (a capital sigma lowers
    by its neighbours) and Korean.
    """
    import random

    from scholargraph import dates

    alphabet = list("abcXYZ ’ʼ'-.,éÉèàÀçÇœŒæßﬁﬀİıΣσςΑλφαΣ\u0301\u0327\u0308\u0323\u00a0\u2003①㎏ℌ𝚺Åå한국ǅ«»–—") + [
        "Σ ", "ΑΣ", "e\u0301", "Février", "août", "Ελλάς", "ΟΔΟΣ", "Œuvres", "l’État",
    ]
    rng = random.Random(3)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert fold(text) == dates._fold_text(text), repr(text)
    assert fold("ΟΔΟΣ Σ") == dates._fold_text("ΟΔΟΣ Σ") == "οδος σ"


def test_find_dates_case_sensitive_on_folded_text_as_ignorecase() -> None:
    """``find_dates`` searches folded text case-sensitively: the dates IGNORECASE finds, in order, at the same offsets."""
    import random

    from scholargraph import dates

    # (a dotless "ı" in "juin" or "juillet" makes parse_date fail: not here)
    pieces = ["Janvier", "FÉVRIER", "août", "avrıl 2020", "Janvıer 1999", "juillet", "Sept.", "MAY", "mai", "1er", "29", "3rd", "2,", " ",
              "\u00a0", "2021", "1999", "2020-01", "2021-09-29", "29/09/2021", "01/2020", "31/02/2020", "hal-", "10.",
              "/", ".", "-", "ſeptembre", "İ", "\u212a", "Σ", "ﬁ", "e\u0301", "«", "Avril", "DEC", "déc."]
    rng = random.Random(23)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        folded = fold(text)
        if len(folded) != len(text):
            folded = dates.fold_each(text)
        expected = []
        for m in dates._FIND_RE.finditer(folded):
            try:
                date = parse_date(m.group(1))
            except InvalidDate:
                continue
            if date is not None:
                expected.append((m.start(1), m.end(1), date))
        assert find_dates(text) == expected, repr(text)
    assert find_dates("avrıl 2020") == [(0, 10, PartialDate(2020, 4))]  # IGNORECASE takes "ı" for "i"


def test_a_dotless_i_makes_no_month_and_no_crash() -> None:
    """The date pattern ignores case, and Python's IGNORECASE takes 'ı' for 'i': 'juın' looked like
    a month name to the pattern and to no look-up (StopIteration: an 'internal error' for the document)."""
    assert parse_date("juın 2020") is None
    assert find_dates("de juın 2020 à mai 2021") == [(15, 23, PartialDate(2021, 5))]
    assert parse_date("juin 2020") == PartialDate(2020, 6)
