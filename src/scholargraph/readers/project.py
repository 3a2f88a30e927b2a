"""The project-page reader: plain text or Markdown pages describing a research project.

Pages put a label ("Funding bodies", "Team Members:", "## Financeurs") above its
value; some values come unlabelled (the description paragraph, the list of
publications, a caption such as ``Two-day conference “X” (Paris 2019)``).
Labels are recognised in English and French; unlabelled blocks are recognised
by their shape.  Whatever matches neither is reported as unmapped.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..dates import find_dates, fold, fold_each, parse_range
from ..names import display_org_name, display_person_name, looks_like_org, looks_like_person
from ..records import Agent, AgentKind, Document, Event, Membership, Project, Span, Unmapped, Work, WorkType
from .markdown import build_work
from .refs import parse_reference
from .text import clean_spaces, has_entity, html_as_markdown, parse_inline, plain, tidy

KIND = "project-page"

_LABELS: dict[str, tuple[str, ...]] = {
    "title": ("title", "english title", "titre", "project title", "titre du projet", "project name", "nom du projet", "titre anglais", "french title", "titre francais"),
    "acronym": ("acronym", "acronyme", "short name"),
    "description": ("description", "summary", "resume", "abstract", "about", "presentation", "objectives", "objectifs"),
    "funders": ("funding bodies", "funders", "funded by", "financeurs", "financement", "financements", "funding", "sponsors", "finance par", "funding agencies", "bailleurs"),
    "host": ("host institution", "host", "etablissement porteur", "porteur", "coordinating institution", "institution", "laboratoire", "host laboratory", "hosted by", "heberge par"),
    "team": ("team", "team members", "members", "equipe", "membres", "participants", "membres de l'equipe", "people", "researchers"),
    "publications": ("publications", "outputs", "productions", "references", "bibliography", "bibliographie", "results", "resultats", "productions scientifiques"),
    "events": ("events", "evenements", "conferences", "workshops", "colloques", "manifestations"),
    "timeframe": ("time frame", "timeframe", "duration", "periode", "dates", "duree", "period", "calendrier", "calendar"),
}
_LABEL_OF = {name: label for label, names in _LABELS.items() for name in names}
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_CAPTION = re.compile(r"^(?P<kind>[^“\"«]{2,60}?)\s+[“\"«]\s*(?P<name>[^”\"»]+?)\s*[”\"»]\s*(?:\((?P<paren>[^()]*)\))?\.?$")
_EVENT_KIND = re.compile(r"\b(?:conference|conférence|workshop|atelier|seminar|séminaire|colloque|symposium|journée|journées|school|école|meeting|forum|rencontres?)\b", re.I)
_WORK_KIND = re.compile(r"\b(?:report|rapport|article|book|ouvrage|chapter|chapitre|paper|thesis|thèse|working paper|policy brief|note)\b", re.I)
_FUNDED = re.compile(r"\b(?:funded|financed|supported|sponsored|financé|soutenu)\s+(?:\w+\s+)?(?:by|par)\s+(?P<list>.+?)(?:\.\s|\.$|$)", re.I)
_TITLE_ACRONYM = re.compile(r"^(?P<title>.+?)\s*\((?P<acr>[A-Z][A-Za-z0-9\-]{1,14})\)\s*$")
_ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*(?:[—–]|\s-\s|,|\()\s*(?P<role>[^()]+?)\)?\s*$")


@dataclass
class _Block:
    start: int
    end: int
    lines: list[str]

    @property
    def text(self) -> str:
        return clean_spaces(" ".join(self.lines))


@dataclass
class _Page:
    source: str
    title: tuple[str, Span] | None = None
    title_guess: Span | None = None  # set while the title is an unlabelled line
    acronym: str | None = None
    description: tuple[str, Span] | None = None
    funders: list[Agent] = field(default_factory=list)
    host: Agent | None = None
    members: list[Membership] = field(default_factory=list)
    outputs: list[Work] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    timeframe: tuple[object, object] | None = None
    spans: list[Span] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    markup: list[int] = field(default_factory=list)


@functools.lru_cache(maxsize=1 << 14)  # pure; sniffing asks it for every line of every Markdown and text file
def _label(line: str) -> tuple[str, str] | None:
    """(label kind, inline value) if ``line`` is a label such as ``Funding bodies`` or ``## Équipe``."""
    text = line.strip()
    heading = _HEADING.match(text)
    if heading:
        text = heading.group(1)
    text = plain(text)
    m = re.match(r"^([^:]{2,40}?)\s*:\s*(.*)$", text)
    key, value = (m.group(1), m.group(2)) if m else (text, "")
    folded = re.sub(r"[^a-z' ]+", " ", fold(key)).strip()
    folded = re.sub(r"\s+", " ", folded)
    if folded in _LABEL_OF:
        return _LABEL_OF[folded], value.strip()
    if heading:
        return "heading", text
    return None


def sniff(path: Path, text: str) -> bool:
    if path.suffix.lower() not in (".txt", ".md", ".markdown", ".text"):
        return False
    labels: set[str] = set()
    for line in text.splitlines()[:400]:
        if not line.strip() or _NO_POSITIONS_LABEL and not _may_be_project_label(line):
            continue  # no label, or none that can change the answer
        if label := _label(line):
            labels.add(label[0])
            if _NO_POSITIONS_LABEL and label[0] in _PROJECT_LABELS:
                return True  # nothing further can say no
    return len(labels & _PROJECT_LABELS) >= 1 and "positions" not in labels


_PROJECT_LABELS = frozenset({"funders", "team", "acronym", "host"})
_NO_POSITIONS_LABEL = "positions" not in _LABELS
# The first words of the labels above, folded ("funding" of "Funding bodies"), longest first.
_PROJECT_FIRST_WORD = re.compile("|".join(sorted(
    {re.escape(name.split()[0]) for name, label in _LABEL_OF.items() if label in _PROJECT_LABELS},
    key=len, reverse=True,
)))
# Inline markup but emphasis and entities (the characters of text._INLINE_MARKUP but "*", "_", "&").
_NOT_EMPHASIS = re.compile(r"[\n\r\x00\\`\[\]!<>]")
_LETTERS = re.compile(r"[a-z']+")
_HEAD = 64


def _may_be_project_label(line: str) -> bool:
    """False only if ``_label(line)`` is no project label; cheaper than it (no Markdown parsing).

    A project label's folded key starts with one of ``_PROJECT_FIRST_WORD``.  In a line whose
    only inline markup, once its HTML tags are written as Markdown (as parsing does first), is
    emphasis, the plain text is that line less some ``*`` and ``_`` (and spaces, and a
    heading's ``#``), so the key's first run of letters is a prefix of the first run of letters
    of the line with every ``*`` and ``_`` taken out, found in its first characters.  Any other
    markup (a link, an entity), or a run that may go on past those characters, is left to
    :func:`_label`.
    """
    line = html_as_markdown(line)
    if _NOT_EMPHASIS.search(line) or has_entity(line):
        return True
    head = fold(line[:_HEAD].replace("*", "").replace("_", ""))
    word = _LETTERS.search(head)
    if word is None or word.end() == len(head):
        return True
    return _PROJECT_FIRST_WORD.match(word.group()) is not None


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if current and (_label(line) or _label(current[-1][1]) or re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line)):
                blocks.append(_Block(current[0][0], current[-1][0], [t for _, t in current]))
                current = []
            current.append((number, line.strip()))
        elif current:
            blocks.append(_Block(current[0][0], current[-1][0], [t for _, t in current]))
            current = []
    if current:
        blocks.append(_Block(current[0][0], current[-1][0], [t for _, t in current]))
    return blocks


def _item_text(line: str) -> str:
    return re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)


@functools.lru_cache(maxsize=1 << 14)
def _is_reference(text: str) -> bool:
    styled = parse_inline(text)
    if not styled.links and not _has_four_digits(styled.text):
        # a reference needs a date, a DOI or a HAL id, and every one of them holds four
        # digits in a row (a year, "10.1234/", "hal-01234567") in the text or in its
        # fold: a team member's line is not parsed as a reference
        return False
    ref = parse_reference(styled)
    return bool(ref.authors and ref.title and (ref.date or ref.doi or ref.hal))


_FOUR_DIGITS = re.compile(r"\d{4}")


def _has_four_digits(text: str) -> bool:
    if _FOUR_DIGITS.search(text):
        return True
    return not text.isascii() and bool(_FOUR_DIGITS.search(fold(text)) or _FOUR_DIGITS.search(fold_each(text)))


def _org(name: str, span: Span) -> Agent:
    name = display_org_name(name)
    org_type = None
    if m := re.match(r"^(?:the\s+)?(?P<kind>union|trade union|syndicat|foundation|fondation|agency|agence)\s+(?P<name>(?-i:[A-ZÀ-Ý]).+)$", name, re.I):
        if m["kind"].lower() in ("union", "trade union", "syndicat"):
            org_type = "WorkersUnion"
        name = m["name"]
    name = re.sub(r"^(?:the|la|le|l')\s+", "", name, flags=re.I)
    acronym = None
    if m2 := _TITLE_ACRONYM.match(name):
        name, acronym = m2["title"], m2["acr"]
    return Agent(name, AgentKind.ORGANIZATION, span, acronym=acronym, org_type=org_type)


def _split_list(text: str) -> list[str]:
    text = re.sub(r",?\s+as well as(?:\s+by)?\s+", ", ", text)
    parts = re.split(r"\s*(?:,|;|\band\b|\bet\b|&(?=\s))\s*", text)
    parts = [re.sub(r"^(?:by|par)\s+", "", p.strip(" .")) for p in parts]
    return [p for p in parts if p]


_QUOTED_EVENT = re.compile(r"^(?P<kind>[^“\"«]*?)\s*[“\"«]\s*(?P<name>[^”\"»]+?)\s*[”\"»]\s*,?\s*(?P<rest>.*)$")
_ROLE_DASH = re.compile(r"^(?P<name>.+?)\s+(?:[—–]|-{1,2})\s+(?P<role>.+)$")
_AFFILIATION = re.compile(r"^(?P<name>.+?)\s*\((?P<aff>[^()]+)\)\s*$")


def _member(entry: str, span: Span) -> Membership | None:
    """A team line: ``Name``, ``Name, Role``, ``Name (Affiliation) — role``; None if not a person."""
    name, role = entry.strip(), None
    if m := _ROLE_DASH.match(name):
        name, role = m["name"], tidy(m["role"])
    elif "," in name:
        head, _, tail = name.partition(",")
        # "Surname, Given" has a one-word head; "Given Surname, Role" does not.
        if len(head.split()) >= 2 and looks_like_person(head) and tail.strip():
            name, role = head, tidy(tail)
    affiliation = None
    if m := _AFFILIATION.match(name):
        if looks_like_person(m["name"]):
            name = m["name"]
            affiliation = _org(m["aff"], span)
    if not looks_like_person(name):
        if role is None and (m := _ROLE_SUFFIX.match(entry)) and looks_like_person(m["name"]):
            name, role = m["name"], tidy(m["role"])
        else:
            return None
    return Membership(Agent(display_person_name(name), AgentKind.PERSON, span), span, role or None, affiliation)


def _funder_names(line: str) -> list[str]:
    """The funders named on one line: ``A, B and C``; ``Name (ACR), qualifier`` keeps the name only."""
    line = re.sub(r",?\s+as well as(?:\s+by)?\s+", ", ", line)
    out: list[str] = []
    for index, part in enumerate(re.split(r"\s*[,;]\s*", line)):
        part = re.sub(r"^(?:by|par)\s+", "", part.strip(" ."))
        if not part:
            continue
        if index and out and not part[:1].isupper():
            continue  # a qualifier of the previous funder: "appel à projets générique 2020"
        if re.search(r"\s(?:and|et|&)\s", part) and looks_like_org(part) and not all(looks_like_org(p) for p in _split_list(part)):
            out.append(part)  # "Economic and Social Research Council": one name
        else:
            out.extend(_split_list(part))
    return out


def _acronym_of(title: str, text: str) -> str | None:
    """A token of ``text`` whose capitals spell the initials of ``title`` (``OPLa``)."""
    initials = "".join(w[0] for w in re.findall(r"[^\W\d_]+", title)).lower()
    for token in re.findall(r"\b[A-Z][A-Za-z]{1,11}\b", text):
        capitals = "".join(c for c in token if c.isupper()).lower()
        if len(capitals) >= 2 and initials.startswith(capitals) and len(capitals) == len(initials):
            return token
    return None


def read(text: str, source: str) -> Document:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    page = _Page(source)
    blocks = _blocks(lines)
    label: str | None = None
    pending_caption: tuple[str, _Block] | None = None
    i = 0
    while i < len(blocks):
        block = blocks[i]
        span = Span(source, block.start, block.end)
        first = _label(block.lines[0])
        if first is not None and len(block.lines) == 1:
            kind, inline = first
            if kind == "heading":
                m = _TITLE_ACRONYM.match(inline)
                if page.title is None and re.match(r"^\s*#\s", block.lines[0]):
                    page.title = ((m["title"] if m else inline).strip(), span)
                    page.acronym = m["acr"] if m else page.acronym
                    page.spans.append(span)
                else:
                    page.markup.append(block.start)
                    label = None
                i += 1
                continue
            label = kind
            if inline:
                _value(page, kind, inline, span)
                page.spans.append(span)
            else:
                page.markup.append(block.start)
                if i + 1 >= len(blocks) or _label(blocks[i + 1].lines[0]):
                    page.unmapped.append(Unmapped(span, block.text, f"field '{block.text.rstrip(':')}' has no value"))
                    page.markup.remove(block.start)
            i += 1
            continue
        text_ = block.text
        caption = _CAPTION.match(text_)
        if caption and _EVENT_KIND.search(caption["kind"]):
            paren = caption["paren"] or ""
            rng = None
            m = re.search(r"(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?", paren)
            if m:
                rng = parse_range(m.group(0))
            place = tidy(re.sub(r"(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?", "", paren)) or None
            page.events.append(Event(caption["name"], span, date=rng.start if rng else None, end_date=rng.end if rng else None, place=place, description=caption["kind"].strip()))
            i += 1
            continue
        if caption and _WORK_KIND.search(caption["kind"]) and i + 1 < len(blocks) and _is_reference(blocks[i + 1].text):
            pending_caption = (caption["kind"], block)
            i += 1
            continue
        if label in ("publications", None, "events", "funders", "team", "host", "timeframe") and _is_reference(_item_text(text_)):
            kind_hint = pending_caption[0] if pending_caption else ""
            start = pending_caption[1].start if pending_caption else block.start
            _add_output(page, _item_text(text_), Span(source, start, block.end), kind_hint)
            pending_caption = None
            label = "publications" if label in (None, "publications") else None
            i += 1
            continue
        pending_caption = None
        if label is not None and _value(page, label, text_, span, block):
            if label in ("title", "acronym", "description", "host", "timeframe"):
                label = None
            i += 1
            continue
        label = None
        if page.title is None and len(text_) < 150 and not text_.endswith("."):
            page.title = (text_, span)
            page.title_guess = span
            page.spans.append(span)
        elif page.description is None and len(text_) >= 100:
            _value(page, "description", text_, span, block)
        elif looks_like_org(text_) and page.host is None and not looks_like_person(text_):
            page.host = _org(text_, span)
        else:
            page.unmapped.append(Unmapped(span, text_, "not recognised as any project field; label it (e.g. 'Host institution:')"))
        i += 1
    return _finish(page, text, lines)


def _value(page: _Page, label: str, text: str, span: Span, block: _Block | None = None) -> bool:
    """Store the value of a labelled field; False if ``text`` is not such a value."""
    if label == "title":
        if page.title_guess is not None:
            # the unlabelled line taken for the title was not it (e.g. navigation)
            guess = page.title_guess
            page.spans.remove(guess)
            page.unmapped.append(Unmapped(guess, page.title[0] if page.title else "", "not recognised as any project field"))
            page.title_guess = None
        m = _TITLE_ACRONYM.match(text)
        page.title = ((m["title"] if m else text).strip(), span)
        page.acronym = page.acronym or (m["acr"] if m else None)
        page.spans.append(span)
        return True
    if label == "acronym":
        page.acronym = tidy(text)
        page.spans.append(span)
        return True
    if label == "description":
        if page.description is not None:
            page.description = (page.description[0] + " " + text, Span(span.source, page.description[1].start, span.end))
        else:
            page.description = (text, span)
        page.spans.append(span)
        if m := _FUNDED.search(text):
            for name in _split_list(m["list"]):
                if looks_like_org(name) or name[:1].isupper():
                    page.funders.append(_org(name, span))
        return True
    if label == "funders":
        names = [_item_text(line) for line in (block.lines if block else [text])]
        values = [n for line in names for n in _funder_names(plain(line))]
        if not values or not all(looks_like_org(v) or (v[:1].isupper() and len(v.split()) <= 6 and not re.search(r"[()]", v)) for v in values):
            return False
        if any(re.search(r"\(|\)", v) and not _TITLE_ACRONYM.match(v) for v in values):
            return False
        page.funders.extend(_org(v, span) for v in values)
        return True
    if label == "host":
        page.host = _org(plain(text), span)
        return True
    if label == "team":
        entries = [_item_text(line) for line in (block.lines if block else [text])]
        found = []
        for entry in entries:
            member = _member(plain(entry), span)
            if member is None:
                return False
            found.append(member)
        page.members.extend(found)
        return True
    if label == "events" and block is not None and len(block.lines) > 1:
        for offset, line in enumerate(block.lines):
            _value(page, "events", plain(_item_text(line)), Span(span.source, block.start + offset, block.start + offset))
        return True
    if label == "events" and (quoted := _QUOTED_EVENT.match(text)):
        date = None
        place = None
        for part in re.split(r"\s*,\s*", quoted["rest"] or ""):
            if not part.strip(" ."):
                continue
            found = find_dates(part)
            if found and date is None:
                date = found[-1][2]
            elif place is None and not found:
                place = tidy(re.sub(r"\s*\([^()]*\)\s*$", "", part)) or None
        page.events.append(Event(quoted["name"].strip(), span, date=date, place=place, description=tidy(quoted["kind"]) or None))
        return True
    if label == "events":
        event_span = span
        m = re.search(r"\((?P<paren>[^()]*)\)\s*\.?$", text)
        date = None
        place = None
        name = text
        if m:
            paren = m["paren"]
            if d := re.search(r"(?:19|20)\d\d", paren):
                rng = parse_range(d.group(0))
                date = rng.start if rng else None
            place = tidy(re.sub(r"(?:19|20)\d\d", "", paren)) or None
            name = text[: m.start()]
        page.events.append(Event(tidy(name.strip("“”\"«» ")), event_span, date=date, place=place))
        return True
    if label == "timeframe":
        rng = parse_range(text)
        if rng is None:
            return False
        page.timeframe = (rng.start, rng.end)
        page.spans.append(span)
        return True
    if label == "publications":
        return False
    return False


def _add_output(page: _Page, text: str, span: Span, kind_hint: str) -> None:
    styled = parse_inline(text)
    ref = parse_reference(styled)
    lowered = f"{kind_hint} {text}".lower()
    if re.search(r"\b(?:report|rapport)\b", lowered):
        wtype = WorkType.REPORT
    elif re.search(r"\b(?:proceedings|actes|conference|colloque)\b", lowered):
        wtype = WorkType.CONFERENCE_PAPER
    elif re.search(r"\b(?:book|ouvrage)\b", kind_hint.lower()):
        wtype = WorkType.BOOK
    elif ref.venue:
        wtype = WorkType.JOURNAL_ARTICLE
    else:
        wtype = WorkType.OTHER
    page.outputs.append(build_work(ref, wtype, span, None, implied_owner=False))


def _finish(page: _Page, text: str, lines: list[str]) -> Document:
    records: list = []
    unmapped = list(page.unmapped)
    if page.title is None:
        for work in page.outputs:
            records.append(work)
        first = Span(page.source, 1, max(1, len(lines)))
        unmapped.append(Unmapped(first, "", "no project title found; add a 'Title:' line"))
    else:
        title, span = page.title
        acronym = page.acronym
        if acronym is None and page.description:
            acronym = _acronym_of(title, page.description[0])
        records.append(
            Project(
                title=title,
                span=span,
                acronym=acronym,
                description=page.description[0] if page.description else None,
                funders=tuple(page.funders),
                host=page.host,
                members=tuple(page.members),
                outputs=tuple(page.outputs),
                events=tuple(page.events),
                start=page.timeframe[0] if page.timeframe else None,  # type: ignore[arg-type]
                end=page.timeframe[1] if page.timeframe else None,  # type: ignore[arg-type]
                spans=tuple(page.spans),
            )
        )
    return Document(
        path=page.source,
        kind=KIND,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        line_count=len(lines),
        records=tuple(records),
        unmapped=tuple(sorted(unmapped, key=lambda u: u.span.start)),
        markup_lines=tuple(sorted(set(page.markup))),
    )
