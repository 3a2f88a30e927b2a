"""A synthetic corpus of researchers as real input documents, with its ground truth.

``generate(out_dir, researchers, seed)`` writes, for ``researchers`` invented
people grouped in labs:

* one CV each, in one of four layouts the readers handle: an English Markdown
  CV with dash-separated bullets, a French Markdown CV with numbered entries
  and « quoted » titles, a Markdown CV with tables and APA-like references,
  and a YAML data file (``cv-*.yml``);
* for about one researcher in six, the publications in a BibTeX file
  (``publications-*.bib``) instead of the CV;
* one project page per lab (``project-*.txt``: title, acronym, funders, host,
  team);
* ``ground-truth.expected.yaml``: the persons, works and co-author pairs the
  build should find (``*.expected.yaml`` files are not read as documents).

Distributions: 3–8 positions, 20–60 works started per researcher (with the
works co-authors start, a researcher lists 25–100, median ~50), 1–12
authors per work drawn with preferential attachment (weight: works so far)
and a same-lab bias, some external co-authors (people without a CV), a few
hyperauthored works (more than 100 authors, in BibTeX), shared works listed in
every co-author's CV with spelling variants (middle initial present or not,
family name in capitals, DOI given or not), and a few deliberate defects: lines
that no reader understands, which the build lists as unmapped.

Same seed, same bytes.  Usage::

    .venv/bin/python bench/generate.py OUT_DIR --researchers 200 [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

GIVEN = (
    "Alice Amara Anders Anouk Arjun Beatriz Bruno Camille Carla Chidi Clara Daniel Dario Elena Elif "
    "Emma Farid Fatou Felix Greta Hana Hugo Ines Ivan Jonas Julia Karim Kenji Lara Leila Lucas Lukas "
    "Maja Marco Marta Mateo Nadia Nina Noah Olga Omar Paula Pedro Priya Rafael Rosa Sami Sara Selma "
    "Simon Sofia Tariq Teresa Tomas Vera Victor Yara Yusuf Zoe Adrian Bianca Cyril Diane Edgar Flora"
).split()
SYLLABLES = (
    "ka lo mir tan vel dor ris bel nor sar ten qui pal mo ran sek vo lin har bru zen fal gor tis "
    "mar cel dun ros kov ber nak sil fen tor gan lev hol rin"
).split()
WORDS = (
    "platform labour data work algorithmic management digital care migration logistics moderation "
    "precarity automation gig economy surveillance workers unions metrics scoring warehouse "
    "delivery crowdwork annotation outsourcing temporality skills training inequality gender "
    "regulation policy households cities infrastructure maintenance repair consent control "
    "visibility trust ethics evaluation ranking markets firms networks careers mobility"
).split()
VENUES = (
    "Work, Employment and Society", "New Technology, Work and Employment", "Sociology",
    "Journal of Industrial Relations", "Economic and Industrial Democracy", "Big Data & Society",
    "Information, Communication & Society", "Réseaux", "Sociologie du travail", "Travail et emploi",
    "Global Networks", "Antipode", "Socio-Economic Review", "Organization Studies",
    "Journal of Digital Labour", "Revue française de sociologie",
)
CONFERENCES = (
    "International Labour Process Conference", "SASE Annual Meeting", "ISA World Congress of Sociology",
    "Congrès de l'Association française de sociologie", "EGOS Colloquium", "ICA Annual Conference",
)
UNIVERSITIES = (
    "University of Leeds", "University of Manchester", "University of York", "Université de Lille",
    "Université Paris Nanterre", "Sciences Po", "University of Amsterdam", "Universidad de Granada",
    "University of Edinburgh", "Université de Montréal", "University of Bologna", "University of Vienna",
    "Université de Genève", "University of Warwick", "University of Copenhagen", "Aarhus University",
    "Université Lumière Lyon 2", "University of Toronto", "Tilburg University", "University of Glasgow",
)
FUNDERS = ("European Research Council", "Economic and Social Research Council", "Agence nationale de la recherche", "The Leverhulme Trust", "Volkswagen Foundation")
POSITIONS_EN = ("Research fellow", "Lecturer in Sociology", "Postdoctoral researcher", "Research associate", "Senior lecturer", "Visiting researcher", "Teaching assistant", "Associate professor")
POSITIONS_FR = ("chargée de recherche", "chercheur invité", "post-doctorant", "maître de conférences", "ATER en sociologie", "ingénieur d'études", "chargé d'études", "professeure associée")
DEGREES = ("PhD in Sociology", "MSc in Social Research Methods", "BA in Sociology and Politics", "MA in Political Science")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
LAYOUTS = ("en", "fr", "table", "yaml")
LAB_SIZE = 8
# Lines no reader understands: each becomes one unmapped line of the build report.
DEFECTS = (
    "- ??? (list to be completed, see attached PDF)",
    "- TODO: ask the co-authors for the final page numbers",
)


@dataclass
class Person:
    index: int
    given: str
    family: str
    middle: str | None  # a middle initial, e.g. "R."
    lab: int | None  # None: an external co-author, without a CV
    layout: str = "en"
    works: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.given} {self.middle} {self.family}" if self.middle else f"{self.given} {self.family}"

    @property
    def slug(self) -> str:
        return f"{self.given}-{self.family}".lower()

    def variant(self, rng: random.Random, shout: bool = True) -> str:
        """How another document spells this name: middle initial dropped, family name shouted."""
        roll = rng.random()
        if roll < 0.15 and shout:
            return f"{self.given} {self.family.upper()}"
        if roll < 0.45 and self.middle:
            return f"{self.given} {self.family}"
        return self.name


@dataclass
class Work:
    index: int
    kind: str  # "article", "conference", "report"
    title: str
    year: int
    month: int
    venue: str
    authors: list[int]
    doi: str | None
    hyper: bool = False


@dataclass
class Corpus:
    persons: list[Person]
    works: list[Work]
    labs: int


def _family(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))).capitalize()


def _new_person(rng: random.Random, persons: list[Person], keys: set[str], lab: int | None) -> Person:
    while True:
        given, family = rng.choice(GIVEN), _family(rng)
        key = f"{given} {family}".lower()
        initials = f"{given[0]} {family}".lower()
        if key not in keys and initials not in keys and len(family) >= 5:
            keys.update((key, initials))
            middle = f"{rng.choice('ABCDEFGHJKLMNPRST')}." if rng.random() < 0.3 else None
            person = Person(len(persons), given, family, middle, lab)
            persons.append(person)
            return person


def _title(rng: random.Random, titles: set[str]) -> str:
    while True:
        words = rng.sample(WORDS, rng.randint(4, 8))
        head = " ".join(words[:3]).capitalize()
        title = f"{head}: {' '.join(words[3:])} in {rng.choice(('Europe', 'France', 'Leeds', 'Lagos', 'Madrid', 'Montreal', 'Nairobi', 'Lyon'))}"
        if title.lower() not in titles:
            titles.add(title.lower())
            return title


def make_corpus(researchers: int, seed: int = 7) -> Corpus:
    """The people and works of a corpus (no files)."""
    rng = random.Random(seed)
    persons: list[Person] = []
    keys: set[str] = set()
    labs = max(1, (researchers + LAB_SIZE - 1) // LAB_SIZE)
    for i in range(researchers):
        person = _new_person(rng, persons, keys, i % labs)
        person.layout = LAYOUTS[rng.randrange(len(LAYOUTS))]
    targets = [rng.randint(20, 60) for _ in range(researchers)]
    by_lab: list[list[int]] = [[] for _ in range(labs)]
    for p in persons[:researchers]:
        by_lab[p.lab].append(p.index)  # type: ignore[index]
    externals: list[int] = []
    works: list[Work] = []
    titles: set[str] = set()
    degree = [1] * researchers
    order = list(range(researchers))
    # each round: every researcher still short of works starts one, drawing co-authors
    while True:
        short = [i for i in order if len(persons[i].works) < targets[i]]
        if not short:
            break
        for first in short:
            if len(persons[first].works) >= targets[first]:
                continue
            size = min(12, max(1, int(rng.expovariate(1 / 3.0)) + 1))
            authors = [first]
            while len(authors) < size:
                roll = rng.random()
                if roll < 0.12:  # an external co-author, often one already seen
                    if externals and rng.random() < 0.7:
                        cand = rng.choice(externals)
                    else:
                        cand = _new_person(rng, persons, keys, None).index
                        externals.append(cand)
                elif roll < 0.7:  # same lab
                    pool = by_lab[persons[first].lab]  # type: ignore[index]
                    cand = rng.choices(pool, weights=[degree[j] for j in pool])[0]
                else:  # preferential attachment over everyone
                    cand = rng.choices(range(researchers), weights=degree)[0]
                if cand not in authors:
                    authors.append(cand)
                elif len(authors) >= researchers:
                    break
            rng.shuffle(authors)
            kind = rng.choices(("article", "conference", "report"), weights=(6, 3, 1))[0]
            year = rng.randint(2008, 2024)
            venue = rng.choice(VENUES) if kind != "conference" else f"{rng.choice(CONFERENCES)} {year}"
            doi = f"10.5555/sg.{len(works) + 1:06d}" if kind == "article" and rng.random() < 0.7 else None
            work = Work(len(works), kind, _title(rng, titles), year, rng.randint(1, 12), venue, authors, doi)
            works.append(work)
            for a in authors:
                persons[a].works.append(work.index)
                if a < researchers:
                    degree[a] += 1
    # a few hyperauthored works: a consortium paper with 110-160 authors
    for h in range(max(1, researchers // 150)):
        members = rng.sample(range(researchers), min(researchers, rng.randint(2, 5)))
        authors = list(members)
        while len(authors) < rng.randint(110, 160):
            authors.append(_new_person(rng, persons, keys, None).index)
        rng.shuffle(authors)
        year = rng.randint(2015, 2024)
        work = Work(len(works), "article", _title(rng, titles), year, rng.randint(1, 12), rng.choice(VENUES), authors, f"10.5555/hyper.{h + 1:04d}", hyper=True)
        works.append(work)
        for a in authors:
            persons[a].works.append(work.index)
    return Corpus(persons, works, labs)


# ----------------------------------------------------------------- writers


def _authors_text(corpus: Corpus, work: Work, owner: Person, rng: random.Random, joiner: str) -> str:
    # a shouted last author ("and Alice MARTIN. Title") is misread as part of the title (a reader gap)
    last = len(work.authors) - 1
    names = [f"**{owner.name}**" if a == owner.index else corpus.persons[a].variant(rng, shout=i < last) for i, a in enumerate(work.authors)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + f" {joiner} " + names[-1]


def _doi(work: Work, rng: random.Random, style: str) -> str:
    if not work.doi or rng.random() < 0.2:  # some listings leave the DOI out
        return ""
    return {"en": f" https://doi.org/{work.doi}", "fr": f" DOI : {work.doi}", "table": f" doi: {work.doi}"}[style]


def _positions(person: Person, rng: random.Random) -> list[tuple[int, int | None, str, str]]:
    """(start year, end year or None for ongoing, role, organisation), newest first."""
    count = rng.randint(3, 8)
    year = 2024 - rng.randint(0, 2)
    out: list[tuple[int, int | None, str, str]] = []
    roles = POSITIONS_FR if person.layout == "fr" else POSITIONS_EN
    for i in range(count):
        start = year - rng.randint(1, 4)
        org = UNIVERSITIES[(person.lab or 0) % len(UNIVERSITIES)] if i == 0 else rng.choice(UNIVERSITIES)
        role = roles[i % len(roles)] if i else roles[rng.randrange(len(roles))]
        out.append((start, None if i == 0 else year, role, org))
        year = start
    return out


def _education(person: Person, rng: random.Random, before: int) -> list[tuple[int, int, str, str]]:
    out = []
    year = before
    for degree in DEGREES[: rng.randint(1, 3)]:
        start = year - rng.randint(1, 4)
        out.append((start, year, degree, rng.choice(UNIVERSITIES)))
        year = start
    return out


def _kinds(corpus: Corpus, person: Person) -> dict[str, list[Work]]:
    out: dict[str, list[Work]] = {"article": [], "conference": [], "report": []}
    for index in sorted(person.works, key=lambda w: (-corpus.works[w].year, w)):
        work = corpus.works[index]
        if not work.hyper:
            out[work.kind].append(work)
    return out


def _cv_en(corpus: Corpus, person: Person, rng: random.Random, with_works: bool) -> str:
    lines = [f"# {person.name}", "", "## Professional Experience", ""]
    positions = _positions(person, rng)
    for start, end, role, org in positions:
        lines.append(f"- {start}–{end or 'present'} — {role}, {org}")
    lines += ["", "## Education", ""]
    for start, end, degree, org in _education(person, rng, positions[-1][0]):
        lines.append(f"- {start}–{end} — {degree}, {org}")
    if with_works:
        lines += ["", "## Publications", ""]
        heads = {"article": "Journal articles", "conference": "Conference papers", "report": "Reports"}
        for kind, works in _kinds(corpus, person).items():
            if not works:
                continue
            lines += [f"### {heads[kind]}", ""]
            for n, work in enumerate(works, start=1):
                when = f"{MONTHS_EN[work.month - 1]} {work.year}"
                lines.append(f"{n}. {_authors_text(corpus, work, person, rng, 'and')}. {work.title}. In *{work.venue}*, {when}.{_doi(work, rng, 'en')}")
            lines.append("")
    if person.index % 37 == 5:
        lines += ["## Other", "", DEFECTS[0]]
    return "\n".join(lines).rstrip() + "\n"


def _cv_fr(corpus: Corpus, person: Person, rng: random.Random, with_works: bool) -> str:
    lines = [f"# {person.given} {person.family.upper()}" if not person.middle else f"# {person.name}", "", "## Parcours", ""]
    positions = _positions(person, rng)
    for n, (start, end, role, org) in enumerate(positions, start=1):
        lines.append(f"{n}. {start}-{end if end else 'aujourd’hui'} : {role}, {org}")
    lines += ["", "## Formation", ""]
    for n, (start, end, degree, org) in enumerate(_education(person, rng, positions[-1][0]), start=1):
        lines.append(f"{n}. {start}-{end} : {degree}, {org}")
    if with_works:
        lines += ["", "## Publications", ""]
        heads = {"article": "Articles dans des revues à comité de lecture", "conference": "Communications dans des colloques", "report": "Rapports"}
        for kind, works in _kinds(corpus, person).items():
            if not works:
                continue
            lines += [f"### {heads[kind]}", ""]
            for n, work in enumerate(works, start=1):
                when = f"{MONTHS_FR[work.month - 1]} {work.year}"
                lines.append(f"{n}. {_authors_text(corpus, work, person, rng, 'et')}, « {work.title} », *{work.venue}*, {when}.{_doi(work, rng, 'fr')}")
            lines.append("")
    if person.index % 37 == 11:
        lines += ["## Divers", "", DEFECTS[1]]
    return "\n".join(lines).rstrip() + "\n"


def _cv_table(corpus: Corpus, person: Person, rng: random.Random, with_works: bool) -> str:
    lines = [f"# {person.name}", "", "## Positions", "", "| Dates | Position | Institution |", "|---|---|---|"]
    positions = _positions(person, rng)
    for start, end, role, org in positions:
        lines.append(f"| {start} – {end or 'now'} | <b>{role}</b> | <b>{org}</b> |")
    lines += ["", "## Education", "", "| Dates | Degree | Institution |", "|---|---|---|"]
    for start, end, degree, org in _education(person, rng, positions[-1][0]):
        lines.append(f"| {start} – {end} | <b>{degree}</b> | {org} |")
    if with_works:
        lines += ["", "## Publications", ""]
        heads = {"article": "Articles", "conference": "Conference papers", "report": "Reports"}
        for kind, works in _kinds(corpus, person).items():
            if not works:
                continue
            lines += [f"### {heads[kind]}", ""]
            for n, work in enumerate(works, start=1):
                lines.append(f"{n}. {_authors_text(corpus, work, person, rng, '&')} ({work.year}). {work.title}. *{work.venue}*.{_doi(work, rng, 'table')}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cv_yaml(corpus: Corpus, person: Person, rng: random.Random, with_works: bool) -> str:
    positions = _positions(person, rng)
    data: dict[str, object] = {
        "name": person.name,
        "experience": [
            {"title": role, "company": org, "from": str(start), "to": str(end) if end else "present"}
            for start, end, role, org in positions
        ],
        "education": [
            {"degree": degree, "institution": org, "date": f"{start} – {end}"}
            for start, end, degree, org in _education(person, rng, positions[-1][0])
        ],
    }
    if with_works:
        heads = {"article": "articles", "conference": "conference papers", "report": "reports"}
        for kind, works in _kinds(corpus, person).items():
            if works:
                data[heads[kind]] = [
                    {
                        "title": work.title,
                        "authors": _authors_text(corpus, work, person, rng, "and").replace("**", ""),
                        "journal": work.venue,
                        "date": f"{work.year}-{work.month:02d}",
                        **({"doi": work.doi} if work.doi else {}),
                    }
                    for work in works
                ]
    return f"# CV data of {person.name}\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


def _bibtex(corpus: Corpus, person: Person, rng: random.Random, hyper_only: bool) -> str:
    entries = []
    for index in sorted(person.works, key=lambda w: (-corpus.works[w].year, w)):
        work = corpus.works[index]
        if hyper_only and not work.hyper:
            continue
        authors = " and ".join(f"{corpus.persons[a].family}, {corpus.persons[a].given}" for a in work.authors)
        kind = {"article": "article", "conference": "inproceedings", "report": "techreport"}[work.kind]
        venue_key = {"article": "journal", "conference": "booktitle", "report": "institution"}[work.kind]
        fields = [f"  author = {{{authors}}}", f"  title = {{{work.title}}}", f"  {venue_key} = {{{work.venue}}}", f"  year = {{{work.year}}}"]
        if work.doi:
            fields.append(f"  doi = {{{work.doi}}}")
        entries.append(f"@{kind}{{w{work.index},\n" + ",\n".join(fields) + ",\n}\n")
    return f"% Publications of {person.name}\n\n" + "\n".join(entries)


def _project(corpus: Corpus, lab: int, rng: random.Random) -> str:
    members = [p for p in corpus.persons if p.lab == lab]
    acronym = f"LAB{lab + 1:04d}"
    lines = [
        "Title", f"Platform work and its data, team {lab + 1}", "", "Acronym", acronym, "",
        "Summary", f"{acronym} studies how software reshapes work in {rng.choice(('logistics', 'care', 'moderation', 'delivery'))}.", "",
        "Period", f"October {2015 + lab % 8} – September {2020 + lab % 8}", "",
        "Funded by", rng.choice(FUNDERS), "",
        "Host institution", UNIVERSITIES[lab % len(UNIVERSITIES)], "",
        "Team",
    ]
    roles = ("Principal Investigator", "Co-Investigator", "Research Fellow", "PhD student")
    for i, member in enumerate(members):
        lines.append(f"{member.name}, {roles[min(i, len(roles) - 1)]}")
    return "\n".join(lines) + "\n"


def generate(out_dir: Path, researchers: int, seed: int = 7) -> Corpus:
    """Write the corpus and its ground truth into ``out_dir``; return the corpus."""
    corpus = make_corpus(researchers, seed)
    rng = random.Random(seed * 1_000_003 + 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    writers = {"en": _cv_en, "fr": _cv_fr, "table": _cv_table, "yaml": _cv_yaml}
    hyper_people = {a for w in corpus.works if w.hyper for a in w.authors}
    for person in corpus.persons[:researchers]:
        bib = rng.random() < 1 / 6
        text = writers[person.layout](corpus, person, rng, not bib)
        suffix = "yml" if person.layout == "yaml" else "md"
        (out_dir / f"cv-{person.slug}.{suffix}").write_text(text, encoding="utf-8")
        if bib or person.index in hyper_people:
            (out_dir / f"publications-{person.slug}.bib").write_text(_bibtex(corpus, person, rng, hyper_only=not bib), encoding="utf-8")
    for lab in range(corpus.labs):
        (out_dir / f"project-lab{lab + 1:04d}.txt").write_text(_project(corpus, lab, rng), encoding="utf-8")
    (out_dir / "ground-truth.expected.yaml").write_text(
        yaml.safe_dump(ground_truth(corpus, researchers), allow_unicode=True, sort_keys=False, width=200), encoding="utf-8"
    )
    return corpus


def ground_truth(corpus: Corpus, researchers: int) -> dict[str, object]:
    """What a perfect build finds: persons, works (by title), co-author pairs with counts."""
    pairs: dict[tuple[str, str], int] = {}
    for work in corpus.works:
        names = sorted({corpus.persons[a].name for a in work.authors})
        if work.hyper:
            continue  # a consortium paper links everyone; pairs are counted without it
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pairs[(a, b)] = pairs.get((a, b), 0) + 1
    defects = sum(1 for p in corpus.persons[:researchers] if p.index % 37 in (5, 11) and p.layout == ("en" if p.index % 37 == 5 else "fr"))
    return {
        "researchers": researchers,
        "persons": sorted(p.name for p in corpus.persons),
        "works": sorted(w.title for w in corpus.works),
        "hyperauthored": sorted(w.title for w in corpus.works if w.hyper),
        "coauthor_pairs": [[a, b, n] for (a, b), n in sorted(pairs.items())],
        "defect_lines": defects,
        "labs": corpus.labs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--researchers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    corpus = generate(args.out_dir, args.researchers, args.seed)
    print(f"{args.researchers} researchers, {len(corpus.persons)} persons, {len(corpus.works)} works in {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
