"""The reference-string parser: exact outcomes for the layouts CVs and project pages use."""

from __future__ import annotations

from typing import Any

import pytest

from scholargraph.readers.refs import parse_reference, split_names
from scholargraph.readers.text import parse_inline
from scholargraph.records import PartialDate


def parse(text: str) -> dict[str, Any]:
    """The parsed reference as plain data, empty fields left out."""
    ref = parse_reference(parse_inline(text))
    out: dict[str, Any] = {
        "authors": [a.name for a in ref.authors],
        "title": ref.title,
        "date": ref.date.iso() if ref.date else None,
        "translated_title": ref.translated_title,
        "venue": ref.venue,
        "publisher": ref.publisher,
        "volume": ref.volume,
        "issue": ref.issue,
        "pages": (ref.page_start, ref.page_end) if ref.page_start else None,
        "doi": ref.doi,
        "hal": ref.hal,
        "forthcoming": ref.forthcoming or None,
        "place": ref.place,
        "by": [a.name for a in ref.by] or None,
        "contributors": [a.name for a in ref.contributors] or None,
        "organization_authors": [a.name for a in ref.authors if a.organization] or None,
        "bold_authors": [a.name for a in ref.authors if a.bold] or None,
    }
    return {k: v for k, v in out.items() if v not in (None, [])}


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Paola Tubaro, Marion Coville and Antonio A. Casilli", ["Paola Tubaro", "Marion Coville", "Antonio A. Casilli"]),
        ("Aminata Diallo et Julien Moreau", ["Aminata Diallo", "Julien Moreau"]),
        ("Tomás Rivera & Camille Berthier", ["Tomás Rivera", "Camille Berthier"]),
        ("Jane Doe; John Roe; Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
        ("Doe, J., Roe, R. A., & Poe, E.", ["J. Doe", "R. A. Roe", "E. Poe"]),
        ("Kim, J.-H., & van der Berg, L.", ["J.-H. Kim", "L. van der Berg"]),
        ("Jane Doe, John Roe et al.", ["Jane Doe", "John Roe"]),
    ],
)
def test_split_names(text: str, names: list[str]) -> None:
    assert split_names(text) == names


def test_cv_style_bold_self_name_italic_venue_forthcoming() -> None:
    assert parse(
        "Paola Tubaro, Marion Coville, **Clément Le Ludec** and Antonio A. Casilli. Hidden inequalities: the "
        "gendered labour of women on micro-tasking platforms In *Internet Policy Review*, *To be published*"
    ) == {
        "authors": ["Paola Tubaro", "Marion Coville", "Clément Le Ludec", "Antonio A. Casilli"],
        "bold_authors": ["Clément Le Ludec"],
        "title": "Hidden inequalities: the gendered labour of women on micro-tasking platforms",
        "venue": "Internet Policy Review",
        "forthcoming": True,
    }


def test_cv_style_month_year_after_venue() -> None:
    assert parse("**Clément Le Ludec**. The fabric of AI systems. In *EGOS 2021*. July 2021") == {
        "authors": ["Clément Le Ludec"], "bold_authors": ["Clément Le Ludec"],
        "title": "The fabric of AI systems", "venue": "EGOS 2021", "date": "2021-07",
    }


def test_apa_journal_article() -> None:
    assert parse(
        "Kim, J.-H., Nguyen, T. H., **Whitfield, H. R.**, Okafor, C., Martin, A., & Price, D. (2020). Delivering on "
        "demand: A six-city survey of app-based couriers. *Journal of Industrial Relations*, 62(5), 745-768. "
        "doi:10.5555/JIR.2020.62.5.745"
    ) == {
        "authors": ["J.-H. Kim", "T. H. Nguyen", "H. R. Whitfield", "C. Okafor", "A. Martin", "D. Price"],
        "bold_authors": ["H. R. Whitfield"],
        "title": "Delivering on demand: A six-city survey of app-based couriers",
        "date": "2020", "venue": "Journal of Industrial Relations", "volume": "62", "issue": "5",
        "pages": ("745", "768"), "doi": "10.5555/jir.2020.62.5.745",
    }


def test_apa_in_press_and_month() -> None:
    assert parse("Whitfield, H. R., & Price, D. (in press). Managing by dashboard. *Economic and Industrial Democracy*.") == {
        "authors": ["H. R. Whitfield", "D. Price"], "title": "Managing by dashboard",
        "venue": "Economic and Industrial Democracy", "forthcoming": True,
    }
    assert parse("Whitfield, H. R. (2022, April). Algorithmic management. *Labour Process Conference*, Padua.")["date"] == "2022-04"


def test_apa_report_by_an_organisation_with_a_contributor() -> None:
    assert parse(
        "European Digital Labour Observatory (2021). *Logistics platforms in Europe: working conditions and "
        "regulation*. Brussels. Contributing author: Tomás Rivera."
    ) == {
        "authors": ["European Digital Labour Observatory"],
        "organization_authors": ["European Digital Labour Observatory"],
        "title": "Logistics platforms in Europe: working conditions and regulation",
        "date": "2021", "place": "Brussels", "contributors": ["Tomás Rivera"],
    }


def test_apa_report_place_and_publisher() -> None:
    assert parse("Lindqvist, S. (2020). *Last-mile logistics in Swedish cities*. Stockholm: Vinnova.") == {
        "authors": ["S. Lindqvist"], "title": "Last-mile logistics in Swedish cities", "date": "2020",
        "place": "Stockholm", "publisher": "Vinnova",
    }


def test_hal_style_with_translation_and_identifiers() -> None:
    assert parse(
        "Antonio A. Casilli, Paola Tubaro, Clément Le Ludec (2019). Le micro-travail en France "
        "[Micro-work in France]. [Rapport de recherche] DiPLab. ⟨hal-02139528v2⟩"
    ) == {
        "authors": ["Antonio A. Casilli", "Paola Tubaro", "Clément Le Ludec"],
        "title": "Le micro-travail en France", "translated_title": "Micro-work in France",
        "date": "2019", "hal": "hal-02139528",
    }


def test_hal_style_journal_with_publisher_volume_issue_pages() -> None:
    assert parse(
        "Paola Tubaro, Clément Le Ludec, Antonio A. Casilli (2020). Counting 'micro-workers': societal and "
        "methodological challenges around new forms of labour. Work Organisation, Labour and Globalisation, "
        "Pluto Journals, 14 (1), pp.67-82. ⟨10.13169/workorgalaboglob.14.1.0067⟩. ⟨hal-02898905⟩"
    ) == {
        "authors": ["Paola Tubaro", "Clément Le Ludec", "Antonio A. Casilli"],
        "title": "Counting 'micro-workers': societal and methodological challenges around new forms of labour",
        "date": "2020", "venue": "Work Organisation, Labour and Globalisation", "publisher": "Pluto Journals",
        "volume": "14", "issue": "1", "pages": ("67", "82"),
        "doi": "10.13169/workorgalaboglob.14.1.0067", "hal": "hal-02898905",
    }


def test_chicago_author_date() -> None:
    assert parse(
        "Whitfield, Hannah, Alice Martin, and Chidi Okafor. 2023. “Rate, Rank, Repeat.” Work, Employment and "
        "Society 37 (4): 912–931. https://doi.org/10.5555/WES.2023.374"
    ) == {
        "authors": ["Hannah Whitfield", "Alice Martin", "Chidi Okafor"], "title": "Rate, Rank, Repeat",
        "date": "2023", "venue": "Work, Employment and Society", "volume": "37", "issue": "4",
        "pages": ("912", "931"), "doi": "10.5555/wes.2023.374",
    }


def test_french_guillemets_no_break_spaces_a_paraitre() -> None:
    assert parse(
        "**Camille Berthier**, «\u00a0Modérer en sous-traitance\u00a0: le travail invisible\u00a0»,"
        " *Réseaux*, à paraître."
    ) == {
        "authors": ["Camille Berthier"], "bold_authors": ["Camille Berthier"],
        "title": "Modérer en sous-traitance : le travail invisible", "venue": "Réseaux", "forthcoming": True,
    }


def test_french_vol_no_pages_doi_with_french_colon_and_hal_version() -> None:
    assert parse(
        "**Camille Berthier**, Aminata Diallo et Julien Moreau, « Les petites mains de la modération », "
        "*Sociologie du travail*, vol. 64, n° 2, 2022, p. 145-168. DOI : 10.5555/sdt.2022.642 ⟨hal-03567812v2⟩"
    ) == {
        "authors": ["Camille Berthier", "Aminata Diallo", "Julien Moreau"], "bold_authors": ["Camille Berthier"],
        "title": "Les petites mains de la modération", "venue": "Sociologie du travail", "volume": "64",
        "issue": "2", "date": "2022", "pages": ("145", "168"), "doi": "10.5555/sdt.2022.642", "hal": "hal-03567812",
    }


@pytest.mark.parametrize(
    ("quoted", "title"),
    [
        ("‘Counting micro-workers’", "Counting micro-workers"),
        ("“Counting micro-workers”", "Counting micro-workers"),
        ("« Counting micro-workers »", "Counting micro-workers"),
        ('"Counting micro-workers"', "Counting micro-workers"),
    ],
)
def test_any_quotes_around_a_title(quoted: str, title: str) -> None:
    assert parse(f"Jane Doe, {quoted}, *Journal of Tests*, 2021.")["title"] == title


@pytest.mark.parametrize(
    ("tail", "doi", "hal"),
    [
        ("⟨10.5555/tee.2020.162.33⟩ ⟨hal-02987654⟩", "10.5555/tee.2020.162.33", "hal-02987654"),
        ("<10.5555/tee.2020.162.33> <hal-02987654v3>", "10.5555/tee.2020.162.33", "hal-02987654"),
        ("https://doi.org/10.5555/TEE.2020.162.33", "10.5555/tee.2020.162.33", None),
        ("doi:10.5555/tee.2020.162.33.", "10.5555/tee.2020.162.33", None),
        ("https://hal.science/halshs-03112233v2/document", None, "halshs-03112233"),
        ("hal-03301457", None, "hal-03301457"),
    ],
)
def test_identifiers(tail: str, doi: str | None, hal: str | None) -> None:
    got = parse(f"Jane Doe, « Titre », *Revue*, 2020. {tail}")
    assert (got.get("doi"), got.get("hal"), got["title"]) == (doi, hal, "Titre")


def test_doi_hidden_in_a_link_on_the_title() -> None:
    assert parse("[Port cities and the platform economy](https://doi.org/10.5555/ecgeo.2023.0007). *Economic Geography* 99(2): 150–172.") == {
        "title": "Port cities and the platform economy", "venue": "Economic Geography", "volume": "99",
        "issue": "2", "pages": ("150", "172"), "doi": "10.5555/ecgeo.2023.0007",
    }


@pytest.mark.parametrize("status", ["To be published", "forthcoming", "Forthcoming", "à paraître", "in press", "sous presse"])
def test_forthcoming_status_invents_no_date(status: str) -> None:
    assert parse(f"Jane Doe. A title. *Journal of Tests*, {status}") == {
        "authors": ["Jane Doe"], "title": "A title", "venue": "Journal of Tests", "forthcoming": True,
    }


def test_report_by_a_rapporteur() -> None:
    got = parse(
        "Paola Tubaro and **Clément Le Ludec**, RAPPORT D'INFORMATION fait au nom de la mission d'information "
        "sur : « l'uberisation de la société » Par M. Pascal SAVOLDELLI, 29 septembre 2021"
    )
    assert (got["authors"], got["by"], got["date"]) == (["Paola Tubaro", "Clément Le Ludec"], ["Pascal Savoldelli"], "2021-09-29")


def test_article_number_instead_of_pages() -> None:
    got = parse("**Tomás Rivera** & Camille Berthier (2024). Outsourcing moderation. *Global Networks*, 24(1), e12455.")
    assert (got["volume"], got["issue"], got["pages"]) == ("24", "1", ("e12455", None))


def test_date_is_a_partial_date() -> None:
    ref = parse_reference(parse_inline("Jane Doe. A title. *Journal of Tests*, 14 mars 2022"))
    assert ref.date == PartialDate(2022, 3, 14)


@pytest.mark.parametrize(
    ("text", "authors"),
    [
        ("Bob Martin, Carol Dupont and Alice RANHOL. A study of graphs. *Journal of Tests*, 2020",
         ["Bob Martin", "Carol Dupont", "Alice Ranhol"]),
        ("Bob Martin and Alice RANHOL. A study of graphs. *Journal of Tests*, 2020", ["Bob Martin", "Alice Ranhol"]),
        ("Alice RANHOL. A study of graphs. *Journal of Tests*, 2020", ["Alice Ranhol"]),
        ("Bob Martin and Alice RANHOL-DUPONT. A study of graphs. *Journal of Tests*, 2020",
         ["Bob Martin", "Alice Ranhol-Dupont"]),
        ("Bob Martin and J.-P. DUPONT. A study of graphs. *Journal of Tests*, 2020", ["Bob Martin", "J.-P. Dupont"]),
        # undotted initials that start a name stay initials
        ("Bob Martin and JP. Dupont. A study of graphs. *Journal of Tests*, 2020", ["Bob Martin", "Jp. Dupont"]),
    ],
)
def test_last_author_in_capitals_ends_the_author_list(text: str, authors: list[str]) -> None:
    """A family name in capitals before the period is not a run of initials (``RANHOL.`` is not ``R. A. N.``)."""
    assert parse(text) == {
        "authors": authors, "title": "A study of graphs", "venue": "Journal of Tests", "date": "2020",
    }


def test_bold_and_italic_without_markdown_it_as_markdown_it() -> None:
    """Lines whose only markup is ``*`` skip markdown-it (a transcription of its emphasis rules): same marks."""
    import random

    from scholargraph.readers import text

    pieces = ["*", "*", "*", "**", "***", " ", " ", "a", "É", "1", ".", ",", ":", "(", ")", '"', "«", "»", "–",
              "-", "\u00a0", "\u2003", "\t", "€", "& ", "&"]
    rng = random.Random(7)
    for _ in range(5000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
        if text._ENTITY_START.search(line):
            continue
        fast = text._styled(text._star_tokens(line))
        slow = text._markdown_inline(line)
        assert (fast.text, fast.bold, fast.italic) == (slow.text, slow.bold, slow.italic), line


def test_project_sniff_prefilter_misses_no_project_label() -> None:
    """Sniffing skips lines that cannot be a project label without parsing them: it never skips one."""
    import random

    from scholargraph.readers import project

    lines = [
        "Funding bodies: ANR", "## Financeurs", "**Équipe** :", "Team Members:", "### Membres de l’équipe",
        "<b>Host institution</b>: CNRS", "Acronyme : OPLA", "Financé par l'ANR", "- Doe, J. & Roe, R. (2020). Title.",
        "Dupont, J. et Durand, M. (2019). « Titre ». *Revue*, 3(2), 1–2.", "## Publications", "Team_members: x",
        "T*ea*m: A", "&#84;eam: B", "[Team](http://x): C", "    # Host", "Short name — X", "2019 – 2023 Team lead",
    ]
    pieces = ["team", "Team", "host", "Fund", "ing", "funders", "Équipe", "membres", "acronym", "short", " name",
              " bodies", "*", "**", "_", "#", "## ", ":", " : ", " ", "’", "'", "&", "&amp;", "<b>", "</b>", "<span>",
              "[", "](u)", "É", "ﬁ", "1", "2020", "-", "–", ",", ".", "(", ")", "\u00a0", "de l'", "equipe", "x"]
    rng = random.Random(11)
    lines += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(20000)]
    found = 0
    for line in lines:
        label = project._label(line)
        is_project = label is not None and label[0] in project._PROJECT_LABELS
        found += is_project
        assert project._may_be_project_label(line) or not is_project, line
    assert found > 100  # the random lines do hold project labels
    assert not project._may_be_project_label("Dupont, J. et Durand, M. (2019). « Titre ». *Revue*, 3(2), 1–2.")


def test_clean_spaces_fast_path_as_the_substitution() -> None:
    """``clean_spaces`` (and inline parsing) skip the substitution when the text has only single plain spaces: same result."""
    import random

    from scholargraph.readers import text

    pieces = [" ", " ", "  ", "\t", "\u00a0", "\u2003", "\u200b", "\u202f", "\u3000", "\n", "a", "É", "1", ",", ".",
              "é", "«", "»", "Doe, J.", " et ", " & ", "2020"]
    rng = random.Random(5)
    for _ in range(20000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert text.clean_spaces(line) == text._SPACES.sub(" ", line).strip(), repr(line)
        if text._ODD_SPACES.search(line) is None:  # what clean_spaces and _parse_inline rely on
            assert text._SPACES.sub(" ", line) == line, repr(line)


def test_initials_word_memo_answers_as_the_function() -> None:
    """``_initials_word`` is memoised: asked twice, it answers as unmemoised (initials, names, French and English)."""
    from scholargraph.readers import refs

    words = ["J.", "J.-P.", "JP", "DUPONT", "Th.", "R.", "A", "Doe", "É.", "Éric", "de", "LE", "JPD", "M.-C.", "Jr.",
             "et", "and", "Ch.", "CD", "O'Neil", "Ó.", "x."]
    for _ in range(2):
        for word in words:
            assert refs._initials_word(word) == refs._initials_word.__wrapped__(word), word
    assert refs._initials_word("J.-P.") and not refs._initials_word("DUPONT")
    for piece in ["J. R.", "R. A. Roe", "", " ", "JP", "J.-P. M.", "DUPONT J.", "É. F.", "Th. Ch.", "A B C"]:
        words = piece.split()
        assert refs._initials_only(piece) == (bool(words) and all(refs._initials_word(w) for w in words)), piece


def test_status_and_by_prefilters_miss_nothing() -> None:
    """The substring tests before ``_STATUS`` and ``_BY`` say no only where the patterns find nothing.

    Random lines of the phrases in random case (with the characters IGNORECASE takes for ASCII
    letters: ``İ ı ſ K``), French and English, with no-break spaces, names and dates.
    """
    import random

    from scholargraph.readers import refs

    phrases = ["to be published", "forthcoming", "in press", "to appear", "accepted for publication", "à paraître",
               "a paraitre", "à paraitre", "sous presse", "en cours de publication", "par M. Jean Dupont", "by Jane Doe",
               "Par Dr. A. Martin", "By R. Roe", "paru", "parfois", "abbey", "Doe, J. (2020).", "« Titre »", "*Revue*",
               "mars 2021", "2019-05", " ", "\u00a0", ", ", ". ", "İ", "ı", "ſ", "\u212a", "e\u0301"]
    rng = random.Random(13)

    def scramble(text: str) -> str:
        odd = {"i": "\u0131\u0130", "s": "\u017f", "k": "\u212a"}
        return "".join(
            rng.choice(odd[c]) if c in odd and rng.random() < 0.2 else c.upper() if rng.random() < 0.3 else c
            for c in text
        )

    found_status = found_by = 0
    for _ in range(20000):
        line = "".join(rng.choice(phrases) for _ in range(rng.randint(1, 6)))
        line = scramble(line) if rng.random() < 0.5 else line
        if refs._STATUS.search(line):
            found_status += 1
            assert refs._may_hold_status(line), repr(line)
        if refs._BY.search(line):
            found_by += 1
            assert refs._may_hold_by(line), repr(line)
    assert found_status > 1000 and found_by > 1000
    assert not refs._may_hold_status("Doe, J. (2020). A study. *Journal*, 3(2), 1–2.")


def test_name_pieces_given_lazily_as_split_at_once() -> None:
    """``_name_pieces`` gives pieces as they are asked for: all of them are those of the whole segment split at once."""
    import random

    from scholargraph.readers import refs

    def at_once(segment: str) -> list[tuple[str, int, int]]:
        pieces = []
        pos = 0
        for match in refs._SEPARATORS.finditer(segment + ","):
            piece = segment[pos : match.start()]
            if piece.strip(" .*"):
                lead = len(piece) - len(piece.lstrip(" .*"))
                stripped = piece.strip(" .*")
                pieces.append((stripped, pos + lead, pos + lead + len(stripped)))
            pos = match.end()
        joined: list[tuple[str, int, int]] = []
        for text, start, end in pieces:
            words = text.split()
            if joined and words and all(refs._initials_word(w) for w in words):
                joined[-1] = (f"{text if text.endswith('.') else text + '.'} {joined[-1][0]}", joined[-1][1], end)
            else:
                joined.append((text, start, end))
        return joined

    parts = ["Doe", "J.", "R. A.", "J.-P.", "Dupont", "Marie Curie", "**Ada Lovelace**", "CNRS", "« Titre »", "\u00a0",
             ", ", "; ", " and ", " et ", " & ", " ", ".", "*", "2020"]
    rng = random.Random(17)
    for _ in range(5000):
        segment = "".join(rng.choice(parts) for _ in range(rng.randint(0, 14)))
        assert list(refs._name_pieces(parse_inline(""), 0, segment)) == at_once(segment), repr(segment)


def test_token_before_as_findall() -> None:
    """``_token_before`` reads characters backwards with ``str`` tests: what the docstring's ``findall`` finds."""
    import random
    import re

    from scholargraph.readers import refs

    pieces = ["J", "r", ".", "-", "'", "’", "°", "_", " ", "\n", ",", "é", "É", "٣", "½", "²", "Σ", "ﬁ", "(", "n°", "Dr",
              "\u00a0", "\u0301", "日本"]
    rng = random.Random(31)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        for end in range(len(text) + 1):
            found = re.findall(r"[\w°'’\-.]+$", text[:end])
            assert refs._token_before(text, end) == (found[0] if found else ""), (text, end)
