"""The Markdown CV reader's structure handling and the reST reader's line-exact conversion."""

from __future__ import annotations

from pathlib import Path

from scholargraph.readers import markdown, rst
from scholargraph.records import Course, PersonFacts, Role, Work


def test_table_header_row_is_markup_not_an_entry() -> None:
    doc = markdown.read(
        "# Ana Lopes\n\n## Positions\n\n| Dates | Role | Institution |\n|---|---|---|\n"
        "| 2019 – 2021 | <b>Postdoc</b> | <b>University of Porto</b> |\n",
        "cv.md",
    )
    roles = [r for r in doc.records if isinstance(r, Role)]
    assert [(r.role_name, r.organization.name if r.organization else None, r.span.start) for r in roles] == [
        ("Postdoc", "University of Porto", 7)
    ]
    assert 5 in doc.markup_lines and 6 in doc.markup_lines and doc.unmapped == ()


def test_orcid_line_sets_the_owner_orcid() -> None:
    doc = markdown.read("# Ana Lopes\n\nORCID: https://orcid.org/0000-0002-1825-0097\n", "cv.md")
    assert doc.owner is not None and doc.owner.orcid == "0000-0002-1825-0097"
    facts = [r for r in doc.records if isinstance(r, PersonFacts)]
    assert [(f.person.orcid, f.span.start) for f in facts] == [("0000-0002-1825-0097", 3)]


def test_page_footer_is_not_a_work() -> None:
    doc = markdown.read("# Ana Lopes\n\n## Publications\n\nPage 2 of 3\n", "cv.md")
    assert [r for r in doc.records if isinstance(r, Work)] == []
    assert [(u.span.start, u.text) for u in doc.unmapped] == [(5, "Page 2 of 3")]


def test_tab_separated_teaching_with_an_empty_column() -> None:
    doc = markdown.read("# Ana Lopes\n\n## Teaching\n\n2022-2023\tSupervision\tMaster theses\t\tM1\tUniversity of Porto\n", "cv.md")
    courses = [r for r in doc.records if isinstance(r, Course)]
    assert [(c.name, c.mode, c.workload, c.audience, c.provider.name if c.provider else None, str(c.start), str(c.end)) for c in courses] == [
        ("Master theses", "Supervision", None, "M1", "University of Porto", "2022", "2023")
    ]


def test_html_block_lines_keep_their_line_numbers() -> None:
    doc = markdown.read(
        "<h1>Ana Lopes</h1>\n<h2>Education</h2>\n<ul>\n<li>PhD in Sociology, University of Porto, 2015–2019</li>\n</ul>\n",
        "cv.md",
    )
    roles = [r for r in doc.records if isinstance(r, Role)]
    assert [(r.role_name, r.span.start) for r in roles] == [("PhD in Sociology", 4)]
    assert doc.owner is not None and doc.owner.name == "Ana Lopes"
    assert set(doc.markup_lines) >= {1, 2, 3, 5}


def test_rst_conversion_keeps_one_line_per_line() -> None:
    lines = [
        "=========", "Ana Lopes", "=========", "", ":ORCID: 0000-0002-1825-0097", "",
        "Positions", "---------", "", "2019–2021", "    Postdoc, University of Porto", "",
        "#. `A title <https://doi.org/10.5555/x>`_", "", ".. a comment", "", ".. note:: Updated.",
    ]
    converted = rst.to_markdown(lines)
    assert converted.lines == [
        "", "# Ana Lopes", "", "", "ORCID: 0000-0002-1825-0097", "",
        "## Positions", "", "", "- 2019–2021", "  Postdoc, University of Porto", "",
        "1. [A title](https://doi.org/10.5555/x)", "", "", "", "",
    ]
    assert converted.markup == {1, 3, 8, 15}
    assert converted.unmapped == [(17, 17, ".. note:: Updated.", "a reStructuredText 'note' directive is not read")]


def test_rst_reader() -> None:
    text = "Ana Lopes\n#########\n\nPositions\n*********\n\n- 2019–2021 Postdoc, University of Porto\n"
    doc = rst.read(text, "cv.rst")
    assert doc.kind == "rst-cv" and doc.line_count == 7
    assert doc.owner is not None and doc.owner.name == "Ana Lopes"
    roles = [r for r in doc.records if isinstance(r, Role)]
    assert [(r.role_name, str(r.start), str(r.end), r.span.start) for r in roles] == [("Postdoc", "2019", "2021", 7)]
    assert rst.sniff(Path("cv.rst"), text) and not rst.sniff(Path("cv.md"), text)


def test_is_owner_memo_answers_as_the_function() -> None:
    """``_is_owner`` (and the folded words of each name) are memoised: asked again, it answers as folding each time."""
    owners = ["Hannah R. Whitfield", "Clément Le Ludec", "Jean-Pierre Dupont", "Ana Lúcia Sá"]
    names = ["H. R. Whitfield", "Whitfield H.", "Hannah Whitfield", "R. Whitfield", "Berthier C.", "C. Le Ludec",
             "Clement Le Ludec", "Le Ludec C.", "J.-P. Dupont", "JP Dupont", "Dupont, J.-P.", "Pierre Dupont",
             "A. L. Sá", "Ana Sa", "Sá A.", "Hannah R. Whitfield", "ludec", "A. Lúcia Sá", "Whitfield"]
    from scholargraph.dates import fold

    def by_words(name: str, owner: str) -> bool:  # folding each word at each call
        if name == owner:
            return False
        owner_words = [fold(w).strip(".,") for w in owner.split()]
        words = [fold(w).strip(".,") for w in name.split()]
        family = owner_words[-1]
        if family not in words or len(words) < 2:
            return False
        given = [w for w in words if w != family]
        owner_given = owner_words[:-1]
        if not given or not owner_given:
            return False
        letters = [part[:1] for w in given for part in w.split("-") if part]
        owner_letters = [part[:1] for w in owner_given for part in w.split("-") if part]
        if any(len(w) > 1 and w not in owner_given for w in given if "-" not in w and len(w) > 2):
            return False
        return letters[0] == owner_letters[0] and all(letter in owner_letters for letter in letters)

    for _ in range(2):
        for owner in owners:
            for name in names:
                expected = by_words(name, owner)
                assert markdown._is_owner(name, owner) == markdown._is_owner.__wrapped__(name, owner) == expected
    assert markdown._is_owner("H. R. Whitfield", "Hannah R. Whitfield")
    assert not markdown._is_owner("Hannah R. Whitfield", "Hannah R. Whitfield")
