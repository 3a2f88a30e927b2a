"""Random edits, one rebuild after each: every rebuild writes what a build from scratch writes.

``test_rebuild.py`` checks a fixed list of edits to one CV.  A rebuild that resolves
(merges people and works named twice) and maps only what the changed documents touch
can go wrong in ways no fixed list foresees: a work that merges with one in another
document, or stops merging, a person whose spelling changes in one CV only, a document
that goes and comes back.  Here a generated corpus (bench/generate.py: Markdown CVs in
three layouts, YAML CVs, BibTeX lists, project pages) gets a seeded random sequence of
such edits; after each, the same output folder is rebuilt and compared, byte for byte
(graph.nt, merges.yaml, report.yaml) and line for line, with a fresh build of the same
documents in another folder.  A rebuild that fails validation must fail as the fresh
build does.

The fresh builds (the slow half) run in two spawned processes while the rebuilds go on,
each on a snapshot of the documents.  More seeds::

    SCHOLARGRAPH_STRESS_SEEDS=40 .venv/bin/python -m pytest tests/test_rebuild_random.py -s
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import multiprocessing
import os
import random
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import yaml

from scholargraph.config import Settings
from scholargraph.errors import ValidationFailed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
generate = importlib.import_module("generate")
build_module = importlib.import_module("scholargraph.build")

SEEDS = int(os.environ.get("SCHOLARGRAPH_STRESS_SEEDS", "2"))
RESEARCHERS = 30
STEPS = 20  # rebuilds per seed; with 0-2 edits each, about 24 edits
COMPARED = ("graph.nt", "merges.yaml", "report.yaml")
DIFF_LINES = 40
MONTHS_EN = generate.MONTHS_EN
MONTHS_FR = generate.MONTHS_FR
EXTRA_WORDS = ("revisited", "reconsidered", "again", "today", "compared", "redux")
NEW_FAMILIES = ("Quennevel", "Orbasquin", "Thalmerot", "Wistrange", "Pollavaine", "Durcellin")


# ----------------------------------------------------------- the fresh builds, in other processes


@dataclass(frozen=True)
class Outcome:
    """What a build gave: its lines and counts, or the validation results it failed with."""

    lines: list[str] | None
    counts: dict[str, int] | None
    failed: str | None  # repr of ValidationFailed.report.results


def _failure(failed: ValidationFailed, data: Path) -> str:
    """The validation's results, with the documents folder (a snapshot's differs) left out."""
    return repr(failed.report.results).replace(f"{data}{os.sep}", f"<data>{os.sep}")  # type: ignore[attr-defined]


def _fresh_build(data: str, out: str) -> Outcome:
    """A build from scratch of ``data`` into the empty folder ``out`` (run in a worker process)."""
    try:
        result = build_module.build(Settings(data_dir=Path(data), out_dir=Path(out)), use_cache=False, jobs=1)
    except ValidationFailed as failed:
        return Outcome(None, None, _failure(failed, Path(data)))
    return Outcome(result.lines, result.counts, None)


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    # spawn, not fork: the parent holds pyoxigraph stores and threads.  The workers run niced:
    # the rebuilds, one after the other, are the test's critical path; the fresh builds keep up.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=os.nice, initargs=(10,)) as executor:
        yield executor


# ----------------------------------------------------------- publications in each format


@dataclass(frozen=True)
class Pub:
    authors: tuple[str, ...]  # display names, the owner's without its ** **
    title: str
    venue: str
    year: int
    month: int
    doi: str | None
    bold: str | None = None  # the author written in bold (the CV's owner), if any


MD_PUB = {
    "en": re.compile(r"^(?P<n>\d+)\. (?P<authors>.+?)\. (?P<title>[^.]+)\. In \*(?P<venue>.+?)\*, (?P<month>\S+) (?P<year>\d{4})\.(?: https://doi\.org/(?P<doi>\S+))?$"),
    "fr": re.compile(r"^(?P<n>\d+)\. (?P<authors>.+?), « (?P<title>.+?) », \*(?P<venue>.+?)\*, (?P<month>\S+) (?P<year>\d{4})\.(?: DOI : (?P<doi>\S+))?$"),
    "table": re.compile(r"^(?P<n>\d+)\. (?P<authors>.+?) \((?P<year>\d{4})\)\. (?P<title>[^.]+)\. \*(?P<venue>.+?)\*\.(?: doi: (?P<doi>\S+))?$"),
}
JOINERS = {"en": "and", "fr": "et", "table": "&", "yaml": "and"}
MD_HEADS = {"en": "Journal articles", "fr": "Articles dans des revues à comité de lecture", "table": "Articles"}
YAML_SECTIONS = ("articles", "conference papers", "reports")


def _kind(path: Path) -> str:
    """en, fr, table (the Markdown layouts), yaml, bib or project."""
    if path.suffix == ".bib":
        return "bib"
    if path.suffix == ".yml":
        return "yaml"
    if path.suffix == ".txt":
        return "project"
    text = path.read_text(encoding="utf-8")
    return "fr" if "## Parcours" in text else "table" if "## Positions" in text else "en"


def _split_authors(text: str, joiner: str) -> tuple[tuple[str, ...], str | None]:
    names = re.split(rf", | {re.escape(joiner)} ", text)
    bold = next((n.strip("*") for n in names if n.startswith("**")), None)
    return tuple(n.strip("*") for n in names), bold


def _join_authors(pub: Pub, joiner: str, bold: bool = True) -> str:
    names = [f"**{n}**" if bold and n == pub.bold else n for n in pub.authors]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {joiner} " + names[-1]


def _md_parse(layout: str, line: str) -> Pub | None:
    found = MD_PUB[layout].match(line)
    if found is None:
        return None
    authors, bold = _split_authors(found["authors"], JOINERS[layout])
    months = MONTHS_FR if layout == "fr" else MONTHS_EN
    month = months.index(found["month"]) + 1 if layout != "table" and found["month"] in months else 1
    return Pub(authors, found["title"], found["venue"], int(found["year"]), month, found["doi"], bold)


def _md_line(layout: str, n: int, pub: Pub) -> str:
    authors = _join_authors(pub, JOINERS[layout])
    if layout == "en":
        doi = f" https://doi.org/{pub.doi}" if pub.doi else ""
        return f"{n}. {authors}. {pub.title}. In *{pub.venue}*, {MONTHS_EN[pub.month - 1]} {pub.year}.{doi}"
    if layout == "fr":
        doi = f" DOI : {pub.doi}" if pub.doi else ""
        return f"{n}. {authors}, « {pub.title} », *{pub.venue}*, {MONTHS_FR[pub.month - 1]} {pub.year}.{doi}"
    doi = f" doi: {pub.doi}" if pub.doi else ""
    return f"{n}. {authors} ({pub.year}). {pub.title}. *{pub.venue}*.{doi}"


def _yaml_split(text: str) -> tuple[str, dict[str, object]]:
    """The leading comment lines, and the data."""
    head = "".join(re.match(r"(?:#.*\n)*", text).group(0))  # type: ignore[union-attr]
    return head, yaml.safe_load(text)


def _yaml_join(head: str, data: dict[str, object]) -> str:
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


def _yaml_pub(entry: dict[str, str]) -> Pub:
    authors, _ = _split_authors(str(entry.get("authors", "")), "and")
    year, _, month = str(entry.get("date", "2020-01")).partition("-")
    return Pub(authors, str(entry["title"]), str(entry.get("journal", "")), int(year), int(month or 1), entry.get("doi"))


def _yaml_entry(pub: Pub) -> dict[str, str]:
    return {
        "title": pub.title,
        "authors": _join_authors(pub, "and", bold=False),
        "journal": pub.venue,
        "date": f"{pub.year}-{pub.month:02d}",
        **({"doi": pub.doi} if pub.doi else {}),
    }


@dataclass
class BibEntry:
    kind: str
    key: str
    fields: dict[str, str]

    def text(self) -> str:
        return f"@{self.kind}{{{self.key},\n" + ",\n".join(f"  {k} = {{{v}}}" for k, v in self.fields.items()) + ",\n}\n"


BIB_ENTRY = re.compile(r"^@(\w+)\{([^,\n]+),\n((?:  .*\n)*?)\}\n", re.M)
BIB_VENUE = ("journal", "booktitle", "institution")


def _bib_split(text: str) -> tuple[str, list[BibEntry]]:
    first = BIB_ENTRY.search(text)
    head = text[: first.start()] if first else text
    entries = [
        BibEntry(m[1], m[2], dict(re.findall(r"^  (\w+) = \{(.*)\},?$", m[3], flags=re.M)))
        for m in BIB_ENTRY.finditer(text)
    ]
    return head, entries


def _bib_join(head: str, entries: list[BibEntry]) -> str:
    return head + "\n".join(e.text() for e in entries)


def _bib_name(name: str) -> str:
    given, _, family = name.rpartition(" ")
    return f"{family}, {given}" if given else family


def _bib_pub(entry: BibEntry) -> Pub:
    authors = tuple(" ".join(reversed(a.split(", ", 1))) for a in entry.fields.get("author", "").split(" and "))
    venue = next((entry.fields[k] for k in BIB_VENUE if k in entry.fields), "")
    return Pub(authors, entry.fields.get("title", ""), venue, int(entry.fields.get("year", "2020")), 1, entry.fields.get("doi"))


def _bib_fields(pub: Pub, venue_key: str) -> dict[str, str]:
    fields = {"author": " and ".join(_bib_name(a) for a in pub.authors), "title": pub.title, venue_key: pub.venue, "year": str(pub.year)}
    if pub.doi:
        fields["doi"] = pub.doi
    return fields


def _pubs(path: Path) -> list[Pub]:
    """The publications of one document, in order."""
    kind, text = _kind(path), path.read_text(encoding="utf-8")
    if kind in MD_PUB:
        return [p for line in _md_pub_lines(text) if (p := _md_parse(kind, line)) is not None]
    if kind == "yaml":
        data = _yaml_split(text)[1]
        return [_yaml_pub(e) for s in YAML_SECTIONS for e in data.get(s) or []]
    if kind == "bib":
        return [_bib_pub(e) for e in _bib_split(text)[1] if "title" in e.fields and "author" in e.fields]
    return []


def _md_pub_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if "## Publications" not in lines:
        return []
    return [line for line in lines[lines.index("## Publications") :] if re.match(r"\d+\. ", line)]


def _change_pub(path: Path, rng: random.Random, change: Callable[[Pub], Pub | None]) -> str | None:
    """Change (or with None remove) one random publication of ``path``; None if it has none."""
    kind, text = _kind(path), path.read_text(encoding="utf-8")
    if kind in MD_PUB:
        lines = text.split("\n")
        start = lines.index("## Publications") if "## Publications" in lines else len(lines)
        places = [i for i in range(start, len(lines)) if _md_parse(kind, lines[i]) is not None]
        if not places:
            return None
        i = rng.choice(places)
        new = change(_md_parse(kind, lines[i]))  # type: ignore[arg-type]
        if new is None:
            del lines[i]
        else:
            lines[i] = _md_line(kind, int(lines[i].split(".", 1)[0]), new)
        path.write_text("\n".join(lines), encoding="utf-8")
        return f"{lines[i][:60] if new is not None else 'line ' + str(i + 1)}"
    if kind == "yaml":
        head, data = _yaml_split(text)
        places = [(s, j) for s in YAML_SECTIONS for j in range(len(data.get(s) or []))]
        if not places:
            return None
        section, j = rng.choice(places)
        entries: list[dict[str, str]] = data[section]  # type: ignore[assignment]
        new = change(_yaml_pub(entries[j]))
        if new is None:
            del entries[j]
        else:
            entries[j] = _yaml_entry(new)
        path.write_text(_yaml_join(head, data), encoding="utf-8")
        return f"{section}[{j}]"
    if kind == "bib":
        head, bib = _bib_split(text)
        places = [j for j, e in enumerate(bib) if "title" in e.fields and "author" in e.fields]
        if not places:
            return None
        j = rng.choice(places)
        new = change(_bib_pub(bib[j]))
        key = bib[j].key
        if new is None:
            del bib[j]
        else:
            venue_key = next((k for k in BIB_VENUE if k in bib[j].fields), "journal")
            bib[j] = BibEntry(bib[j].kind, key, {**_bib_fields(new, venue_key), **{k: v for k, v in bib[j].fields.items() if k == "howpublished"}})
        path.write_text(_bib_join(head, bib), encoding="utf-8")
        return f"@{key}"
    return None


def _add_pub(path: Path, pub: Pub, rng: random.Random) -> None:
    kind, text = _kind(path), path.read_text(encoding="utf-8")
    if kind in MD_PUB:
        lines = text.rstrip("\n").split("\n")
        line = _md_line(kind, 1, replace(pub, bold=None))
        if "## Publications" in lines:
            heads = [i for i in range(lines.index("## Publications"), len(lines)) if lines[i].startswith("### ")]
            if heads:
                lines.insert(rng.choice(heads) + 2, line)
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                return
        lines += ["", "## Publications", "", f"### {MD_HEADS[kind]}", "", line]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif kind == "yaml":
        head, data = _yaml_split(text)
        section = rng.choice(YAML_SECTIONS)
        entries = data.setdefault(section, None) or []
        entries.insert(rng.randrange(len(entries) + 1), _yaml_entry(pub))
        data[section] = entries
        path.write_text(_yaml_join(head, data), encoding="utf-8")
    elif kind == "bib":
        head, bib = _bib_split(text)
        kind_key = rng.choice((("article", "journal"), ("inproceedings", "booktitle")))
        bib.insert(rng.randrange(len(bib) + 1), BibEntry(kind_key[0], f"x{rng.randrange(10**6)}", _bib_fields(pub, kind_key[1])))
        path.write_text(_bib_join(head, bib), encoding="utf-8")


# ----------------------------------------------------------- the edits


@dataclass
class Corpus:
    """The documents folder and what the edits remember: documents removed, names made."""

    data: Path
    removed: dict[str, bytes] = field(default_factory=dict)
    copies: int = 0
    broken: dict[str, str] = field(default_factory=dict)  # documents made to violate the shapes, as they were

    def repair(self) -> list[str]:
        """Put back the documents broken at the last step (a removed one in its stash)."""
        repaired = []
        for name, text in sorted(self.broken.items()):
            if name in self.removed:
                self.removed[name] = text.encode("utf-8")
            elif (self.data / name).exists():
                (self.data / name).write_text(text, encoding="utf-8")
            repaired.append(f"shapes repaired: {name}")
        self.broken.clear()
        return repaired

    def documents(self, *kinds: str) -> list[Path]:
        paths = sorted(p for p in self.data.iterdir() if p.suffix in (".md", ".yml", ".bib", ".txt"))
        return [p for p in paths if not kinds or _kind(p) in kinds]


Edit = Callable[[Corpus, random.Random], str | None]  # what it did, or None when it could not
WITH_PUBS = ("en", "fr", "table", "yaml", "bib")


def _one_letter(title: str, rng: random.Random) -> str:
    places = [i for i, c in enumerate(title) if c.isalpha() and c.islower()]
    i = rng.choice(places)
    return title[:i] + rng.choice([c for c in "aeioulnrst" if c != title[i]]) + title[i + 1 :]


def _pub_edit(change: Callable[[Pub, random.Random], Pub | None]) -> Edit:
    def edit(corpus: Corpus, rng: random.Random) -> str | None:
        candidates = [p for p in corpus.documents(*WITH_PUBS) if _pubs(p)]
        if not candidates:
            return None
        path = rng.choice(candidates)
        done = _change_pub(path, rng, lambda pub: change(pub, rng))
        return f"{path.name} {done}" if done is not None else None

    return edit


def _new_doi(rng: random.Random) -> str:
    return f"10.5555/sg.{rng.randrange(900000, 999999)}"


def _swap_authors(pub: Pub, rng: random.Random) -> Pub | None:
    if len(pub.authors) < 2:
        return pub
    authors = list(pub.authors)
    i, j = rng.sample(range(len(authors)), 2)
    authors[i], authors[j] = authors[j], authors[i]
    return replace(pub, authors=tuple(authors))


def _copy_pub(variant: str) -> Edit:
    """A publication of one document listed in another too: as it is, without DOI, or spelled otherwise."""

    def edit(corpus: Corpus, rng: random.Random) -> str | None:
        sources = [p for p in corpus.documents(*WITH_PUBS) if _pubs(p)]
        if len(sources) < 2:
            return None
        source = rng.choice(sources)
        target = rng.choice([p for p in corpus.documents(*WITH_PUBS) if p != source])
        pub = rng.choice(_pubs(source))
        if variant == "without DOI":
            pub = replace(pub, doi=None)
        elif variant == "title variant":
            pub = replace(pub, doi=None, title=rng.choice((_one_letter(pub.title, rng), pub.title.lower(), pub.title.replace(": ", " : ", 1))))
        _add_pub(target, pub, rng)
        return f"{source.name} -> {target.name}: {pub.title[:40]!r} doi={pub.doi}"

    return edit


def _text_edit(kinds: tuple[str, ...], change: Callable[[str, str, random.Random], str | None]) -> Edit:
    """``change(kind, text, rng)`` on one random document of those kinds."""

    def edit(corpus: Corpus, rng: random.Random) -> str | None:
        paths = corpus.documents(*kinds)
        rng.shuffle(paths)
        for path in paths[:5]:
            text = path.read_text(encoding="utf-8")
            new = change(_kind(path), text, rng)
            if new is not None and new != text:
                path.write_text(new, encoding="utf-8")
                return path.name
        return None

    return edit


def _coauthors(kind: str, text: str) -> list[str]:
    """The co-authors' display names in a document (not its owner's, not initials already)."""
    if kind == "bib":
        names = [" ".join(reversed(a.split(", ", 1))) for f in re.findall(r"^  author = \{(.*)\},$", text, re.M) for a in f.split(" and ")]
    else:
        lines = _md_pub_lines(text) if kind in MD_PUB else [line for line in text.split("\n") if line.lstrip().startswith("authors: ")]
        names = [a for line in lines for a in re.findall(r"(?:^\d+\. |, | and | et | & |authors: )([A-Z][a-z]+(?: [A-Z]\.)? [A-Z][A-Za-z]+)(?=,| and | et | & | \(|\.|$)", line)]
    return sorted({n for n in names if not re.match(r"[A-Z]\. ", n)})


def _rename(kind: str, text: str, old: str, new: str) -> str:
    if kind == "bib":
        return text.replace(_bib_name(old), _bib_name(new))
    return re.sub(rf"(?<![\w*]){re.escape(old)}(?![\w*])", new, text)


def _coauthor_renamed(how: str) -> Callable[[str, str, random.Random], str | None]:
    def change(kind: str, text: str, rng: random.Random) -> str | None:
        names = _coauthors(kind, text)
        if not names:
            return None
        old = rng.choice(names)
        given, family = old.split(" ", 1)[0], old.rsplit(" ", 1)[1]
        new = f"{given[0]}. {family}" if how == "initials" else f"{given} {rng.choice(NEW_FAMILIES)}"
        return _rename(kind, text, old, new)

    return change


def _owner_spelled_otherwise(kind: str, text: str, rng: random.Random) -> str | None:
    def respell(name: str) -> str:
        *given, family = name.split(" ")
        options = [f"{' '.join(given)} {family.upper()}", f"{' '.join(given)} {family.capitalize()}"]
        if len(given) == 1:
            options.append(f"{given[0]} {rng.choice('BCDKMRT')}. {family}")
        else:
            options.append(f"{given[0]} {family}")
        return rng.choice([o for o in options if o != name] or options)

    if kind in MD_PUB:
        heading = re.match(r"# (.+)\n", text)
        return None if heading is None else f"# {respell(heading[1])}\n" + text[heading.end() :]
    if kind == "yaml":
        head, data = _yaml_split(text)
        data["name"] = respell(str(data["name"]))
        return _yaml_join(head, data)
    return None


TOP = {"en": "<!-- updated -->\n", "fr": "<!-- mis à jour -->\n", "table": "<!-- updated -->\n", "yaml": "# updated\n", "bib": "% updated\n"}


def _junk(kind: str, text: str, rng: random.Random) -> str | None:
    if kind in MD_PUB:
        return text.rstrip("\n") + "\n\n## Notes\n\n" + rng.choice(generate.DEFECTS) + "\n"
    if kind == "yaml":
        head, data = _yaml_split(text)
        data.setdefault("awards", []).append(f"Best paper award {rng.randint(2010, 2024)}")
        return _yaml_join(head, data)
    return None


ROLES = {
    "position": {
        "en": ("## Professional Experience\n\n", "- {start}–present — Professor, {org}\n", r"^- \d{4}–\d{4} — (?!(?:PhD|MSc|BA|MA) ).*\n"),
        "fr": ("## Parcours\n\n", "1. {start}-aujourd’hui : professeure, {org}\n", r"^\d+\. \d{4}-\d{4} : (?!(?:PhD|MSc|BA|MA) ).*\n"),
        "table": ("| Dates | Position | Institution |\n|---|---|---|\n", "| {start} – now | <b>Professor</b> | <b>{org}</b> |\n", r"^\| \d{4} – \d{4} \| <b>(?!(?:PhD|MSc|BA|MA) ).*\n"),
    },
    "education": {
        "en": ("## Education\n\n", "- {start}–{end} — MA in Political Science, {org}\n", r"^- \d{4}–\d{4} — (?:PhD|MSc|BA|MA) .*\n"),
        "fr": ("## Formation\n\n", "1. {start}-{end} : MA in Political Science, {org}\n", r"^\d+\. \d{4}-\d{4} : (?:PhD|MSc|BA|MA) .*\n"),
        "table": ("| Dates | Degree | Institution |\n|---|---|---|\n", "| {start} – {end} | <b>MA in Political Science</b> | {org} |\n", r"^\| \d{4} – \d{4} \| <b>(?:PhD|MSc|BA|MA) .*\n"),
    },
}
YAML_ROLES = {"position": "experience", "education": "education"}


def _role(what: str, add: bool) -> Callable[[str, str, random.Random], str | None]:
    def change(kind: str, text: str, rng: random.Random) -> str | None:
        org = rng.choice(generate.UNIVERSITIES)
        start = rng.randint(1990, 2025)
        if kind == "yaml":
            head, data = _yaml_split(text)
            entries = data.setdefault(YAML_ROLES[what], []) or []
            data[YAML_ROLES[what]] = entries
            if add:
                entries.insert(0, {"title": "Professor", "company": org, "from": str(start), "to": "present"} if what == "position"
                               else {"degree": "MA in Political Science", "institution": org, "date": f"{start} – {start + 2}"})
            elif entries:
                del entries[rng.randrange(len(entries))]
            else:
                return None
            return _yaml_join(head, data)
        anchor, line, pattern = ROLES[what][kind]
        if add:
            return text.replace(anchor, anchor + line.format(start=start, end=start + 2, org=org), 1) if anchor in text else None
        found = list(re.finditer(pattern, text, flags=re.M))
        if not found:
            return None
        gone = rng.choice(found)
        return text[: gone.start()] + text[gone.end() :]

    return change


def _talk(kind: str, text: str, rng: random.Random) -> str | None:
    title = " ".join(rng.sample(generate.WORDS, 4)).capitalize()
    year = rng.randint(2012, 2024)
    event = f"{rng.choice(generate.CONFERENCES)} {year}"
    month = rng.randrange(12)
    if kind in ("en", "table"):
        return text.rstrip("\n") + f"\n\n## Talks\n\n- {title}. *{event}*, {rng.choice(('Paris', 'Leeds', 'Berlin'))}, {MONTHS_EN[month]} {year}\n"
    if kind == "fr":
        return text.rstrip("\n") + f"\n\n## Conférences invitées\n\n- {title}. *{event}*, Lyon, {MONTHS_FR[month]} {year}\n"
    if kind == "yaml":
        head, data = _yaml_split(text)
        data.setdefault("talks", []).append({"title": title, "event": event, "date": f"{year}-{month + 1:02d}"})
        return _yaml_join(head, data)
    if kind == "bib":
        head, bib = _bib_split(text)
        owner = re.search(r"% Publications of (.+)", head)
        if owner is None:
            return None
        bib.append(BibEntry("misc", f"talk{rng.randrange(10**6)}", {"author": _bib_name(owner[1]), "title": title, "howpublished": f"Talk at {event}", "year": str(year)}))
        return _bib_join(head, bib)
    return None


def _team_member(kind: str, text: str, rng: random.Random) -> str | None:
    lines = text.rstrip("\n").split("\n")
    if "Team" not in lines:
        return None
    members = list(range(lines.index("Team") + 1, len(lines)))
    if members and rng.random() < 0.5:
        del lines[rng.choice(members)]
    else:
        lines.append(f"{rng.choice(generate.GIVEN)} {rng.choice(NEW_FAMILIES)}, PhD student")
    return "\n".join(lines) + "\n"


def _shapes_broken(corpus: Corpus, rng: random.Random) -> str | None:
    """A position without its organisation violates sg:EmployeeRoleShape: the build fails
    (and the next one starts from a failed build); the next step puts the document back."""
    paths = corpus.documents("en")
    for path in rng.sample(paths, len(paths)):
        text = path.read_text(encoding="utf-8")
        end = text.find("## Education")
        found = list(re.finditer(r"^(- \d{4}–(?:\d{4}|present) — [^,\n]+), [^\n]+$", text[:end], flags=re.M))
        if found:
            gone = rng.choice(found)
            corpus.broken[path.name] = text
            path.write_text(text[: gone.start()] + gone[1] + text[gone.end() :], encoding="utf-8")
            return f"{path.name}: {gone[1]}"
    return None


def _document_removed(corpus: Corpus, rng: random.Random) -> str | None:
    paths = corpus.documents()
    if len(paths) < 25:
        return None
    path = rng.choice(paths)
    corpus.removed[path.name] = path.read_bytes()
    path.unlink()
    return path.name


def _document_restored(corpus: Corpus, rng: random.Random) -> str | None:
    if not corpus.removed:
        return None
    name = rng.choice(sorted(corpus.removed))
    (corpus.data / name).write_bytes(corpus.removed.pop(name))
    return name


def _document_copied(corpus: Corpus, rng: random.Random) -> str | None:
    path = rng.choice(corpus.documents())
    corpus.copies += 1
    copy = path.with_name(f"{path.stem}-copy{corpus.copies}{path.suffix}")
    shutil.copyfile(path, copy)
    return f"{path.name} -> {copy.name}"


def _new_year(pub: Pub, rng: random.Random) -> Pub:
    return replace(pub, year=pub.year + rng.choice((-2, -1, 1)))


BREAKING = "position without its organisation (fails validation)"
EDITS: dict[str, Edit] = {
    "title: a word appended": _pub_edit(lambda p, rng: replace(p, title=f"{p.title} {rng.choice(EXTRA_WORDS)}")),
    "title: one letter changed": _pub_edit(lambda p, rng: replace(p, title=_one_letter(p.title, rng))),
    "publication removed": _pub_edit(lambda p, rng: None),
    "publication copied to another document, same DOI": _copy_pub("same"),
    "publication copied to another document, without DOI": _copy_pub("without DOI"),
    "publication copied to another document, title spelled otherwise": _copy_pub("title variant"),
    "year changed": _pub_edit(_new_year),
    "DOI changed": _pub_edit(lambda p, rng: replace(p, doi=_new_doi(rng)) if p.doi else p),
    "DOI added": _pub_edit(lambda p, rng: p if p.doi else replace(p, doi=_new_doi(rng))),
    "DOI removed": _pub_edit(lambda p, rng: replace(p, doi=None)),
    "two authors swapped": _pub_edit(_swap_authors),
    "co-author written with initials": _text_edit(WITH_PUBS, _coauthor_renamed("initials")),
    "co-author renamed (a new person)": _text_edit(WITH_PUBS, _coauthor_renamed("new")),
    "owner's name spelled otherwise": _text_edit(("en", "fr", "table", "yaml"), _owner_spelled_otherwise),
    "a line at the top": _text_edit(tuple(TOP), lambda kind, text, rng: TOP[kind] + text),
    "an unmapped line": _text_edit(("en", "fr", "table", "yaml"), _junk),
    "position added": _text_edit(("en", "fr", "table", "yaml"), _role("position", add=True)),
    "position removed": _text_edit(("en", "fr", "table", "yaml"), _role("position", add=False)),
    "education added": _text_edit(("en", "fr", "table", "yaml"), _role("education", add=True)),
    "education removed": _text_edit(("en", "fr", "table", "yaml"), _role("education", add=False)),
    "talk added": _text_edit(WITH_PUBS, _talk),
    "project team member added or removed": _text_edit(("project",), _team_member),
    "document removed": _document_removed,
    "document copied under a new name": _document_copied,
    "document restored": _document_restored,
    BREAKING: _shapes_broken,
}


# ----------------------------------------------------------- the test


def _fingerprint(data: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(data.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _diff(name: str, got: bytes, expected: bytes) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(), got.decode("utf-8", "replace").splitlines(),
        f"fresh/{name}", f"rebuilt/{name}", n=1, lineterm="",
    )
    return "\n".join(list(lines)[:DIFF_LINES])


@dataclass
class Step:
    number: int
    outcome: Outcome
    files: dict[str, bytes]  # the rebuild's outputs (empty when it failed)
    expected: Future[Outcome]
    fresh: Path


def _check(step: Step, history: list[str], seed: int) -> None:
    expected = step.expected.result()
    story = (
        f"seed {seed} (rerun: SCHOLARGRAPH_STRESS_SEEDS={seed + 1} pytest "
        f"'tests/{Path(__file__).name}::test_random_edits_rebuild_as_a_fresh_build[{seed}]'), "
        f"after edit step {step.number}; the edits so far:\n  " + "\n  ".join(history[: step.number + 1])
    )
    if expected.failed is not None or step.outcome.failed is not None:
        assert step.outcome.failed == expected.failed, f"validation differs (rebuild, then fresh):\n{step.outcome.failed}\n{expected.failed}\n{story}"
        return
    for name in COMPARED:
        fresh = (step.fresh / name).read_bytes()
        assert step.files[name] == fresh, f"{name} differs from a fresh build's\n{story}\n{_diff(name, step.files[name], fresh)}"
    assert step.outcome.lines == expected.lines, f"result.lines differ\n{story}"
    assert step.outcome.counts == expected.counts, f"result.counts differ: {step.outcome.counts} != {expected.counts}\n{story}"


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_edits_rebuild_as_a_fresh_build(seed: int, tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    rng = random.Random(seed)
    data, out = tmp_path / "data", tmp_path / "out"
    generate.generate(data, RESEARCHERS, seed=seed)
    corpus = Corpus(data)
    settings = Settings(data_dir=data, out_dir=out)
    build_module.build(settings, jobs=1)

    history: list[str] = []
    steps: list[Step] = []
    by_fingerprint: dict[str, tuple[Future[Outcome], Path]] = {}
    differences: Counter[str] = Counter()
    resolutions: Counter[str] = Counter()
    try:
        for number in range(STEPS):
            edits = corpus.repair()
            for _ in range(rng.choices((0, 1, 2), weights=(1, 6, 3))[0]):
                while True:
                    kind = rng.choice(sorted(EDITS))
                    done = EDITS[kind](corpus, rng)
                    if done is not None:
                        edits.append(f"{kind}: {done}")
                        break
                if kind == BREAKING:
                    break  # no copy of the broken document: it is repaired at the next step
            history.append(f"{number}: " + ("; ".join(edits) or "nothing changed"))
            fingerprint = _fingerprint(data)
            if fingerprint not in by_fingerprint:  # the same documents built from scratch give the same
                snapshot, fresh = tmp_path / f"data-{number:02d}", tmp_path / f"fresh-{number:02d}"
                shutil.copytree(data, snapshot)
                by_fingerprint[fingerprint] = (pool.submit(_fresh_build, str(snapshot), str(fresh)), fresh)
            expected, fresh = by_fingerprint[fingerprint]
            try:
                result = build_module.build(settings, jobs=1)
            except ValidationFailed as failed:
                outcome, files = Outcome(None, None, _failure(failed, data)), {}
                differences["failed validation"] += 1
            else:
                outcome = Outcome(result.lines, result.counts, None)
                files = {name: (out / name).read_bytes() for name in COMPARED}
                differences["by difference" if result.difference is not None else "written afresh"] += 1
                resolution = getattr(result, "resolution", None)
                if resolution is not None:
                    resolutions[str(resolution)[:80]] += 1
            steps.append(Step(number, outcome, files, expected, fresh))
            while steps and steps[0].expected.done():
                _check(steps.pop(0), history, seed)
        for step in steps:
            _check(step, history, seed)
    finally:
        for future, _ in by_fingerprint.values():
            future.cancel()
    print(
        f"\nseed {seed}: {STEPS} rebuilds, {differences['by difference']} by difference, "
        f"{differences['written afresh']} written afresh, {differences['failed validation']} failed validation, "
        f"resolution: {dict(resolutions)}"
    )
