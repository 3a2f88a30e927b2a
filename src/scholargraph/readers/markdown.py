"""The Markdown (and plain-text) CV reader.

A CV is cut into sections by its headings (``#``, setext, or a bold-only line),
each classified in English or French (:mod:`.sections`).  Entries are table
rows, list items, tab-separated lines or paragraphs; each is handed to the
parser of its section.  Every non-blank line ends up in exactly one of three
places: cited by a record's span, listed as markup (headings, rules, table
separators), or listed as unmapped with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..dates import DateRange, InvalidDate, find_dates, parse_range
from ..errors import DocumentError
from ..identifiers import normalise_orcid
from ..lang import guess_language
from ..names import display_org_name, display_person_name, looks_like_org, looks_like_person
from ..records import (
    Agent,
    PartialDate,
    AgentKind,
    Course,
    Document,
    Event,
    Hearing,
    PersonFacts,
    Record,
    Role,
    RoleKind,
    Span,
    Title,
    Unmapped,
    Work,
    WorkType,
)
from .refs import Reference, parse_reference, split_names
from .sections import Section, classify_heading, is_year_heading
from .text import BREAK, Styled, clean_spaces, parse_inline, plain, strip_quotes, tidy

KIND = "markdown-cv"

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_TABLE_SEP = re.compile(r"^\s*(?:[-*+]\s+)?\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_TABLE_ROW = re.compile(r"^\s*(?:[-*+]\s+)?\|.*\|\s*$")
_LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+•▪–]|\(?\d{1,3}[.)]|\[\d{1,3}\])\s+(?P<body>.*)$")
_BOLD_HEADING = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)([^*_]{2,80})(?:\*\*|__)\s*:?\s*$")
_DOCTORAL = re.compile(r"\b(?:ph\.?\s?d|doctora\w*|doctorat|these de doctorat|thèse de doctorat)\b", re.I)
_MASTERS = re.compile(r"\b(?:masters?|m\.?\s?a\b|m\.?\s?sc|msc|m\.?\s?res|mba|m[12]\b|dea|dess|maitrise|maîtrise|mphil)\b", re.I)
_THESIS = re.compile(
    r"(?:thesis|dissertation|thèse|these|mémoire|memoire)\s*(?:title|titre|on|sur|entitled|intitulée?)?\s*:?\s*"
    r"(?:\"(?P<t1>[^\"]+)\"|“(?P<t2>[^”]+)”|«\s*(?P<t3>[^»]+?)\s*»|‘(?P<t4>[^’]+)’|\*(?P<t5>[^*]+)\*|(?<!\w)_(?P<t6>[^_]+)_(?!\w))",
    re.I,
)
_HOURS = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:h|hrs?|hours?|heures?)\b\.?", re.I)
_MODES = re.compile(
    r"^(?:cm|td|tp|lecture|lectures|tutorials?|seminars?|séminaires?|labs?|cours magistral|cours|ateliers?|workshops?"
    r"|travaux dirigés|travaux pratiques|encadrement|supervision|short trainings?|guest lectures?)$",
    re.I,
)
_AUDIENCE = re.compile(
    r"(?:[LM][1-3]|[LM][1-3]\s*/\s*[LM][1-3]|BA|BSc|MA|MSc|MRes|MPhil|PhD|DU|DUT|BUT|BTS|Licence|Master|Doctorat|Bachelor"
    r"|(?:BA|BSc|MA|MSc|Year)\s+(?:Year\s+)?\d|undergraduates?|postgraduates?|(?:PhD|doctoral|graduate|master'?s?)\s+students)",
    re.I,
)
_ACRONYM = re.compile(r"^(?P<name>.+?)\s*\((?P<acr>[A-Z][A-Za-z&\-]{1,11})\)$")
_MEMBER = re.compile(r"^(?P<role>member|membre|chair|president|présidente?|vice[- ]\w+|secretary|secrétaire|treasurer|trésorière?|elected member|membre élu\w*)\s+(?:of|du|de la|de l'|de l’|des|de)\s+(?:the\s+)?(?P<org>.+)$", re.I)


@dataclass
class Item:
    """One entry: its lines, its form, and its text (Markdown, lines joined by BREAK)."""

    start: int
    end: int
    form: str  # "row", "item", "tabs", "para", "heading"
    text: str
    section: Section | None
    subtype: WorkType | None
    dates: DateRange | None = None  # from a year sub-heading above it


@dataclass
class _State:
    source: str
    records: list[Record] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    markup: list[int] = field(default_factory=list)
    owner: Agent | None = None
    # a service entry in progress: its date line, role heading and first line
    service: dict[str, Any] = field(default_factory=lambda: {"dates": None, "role": None, "start": None})


def sniff(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".md", ".markdown", ".txt", ".text")


def read(text: str, source: str) -> Document:
    """Read a Markdown or plain-text CV."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    state = _State(source)
    items, headings = _scan(_html_blocks(lines, state), state)
    state.owner = _find_owner(lines, items, headings, source)
    items = [one for item in items for one in _front_lines(item)]
    for item in items:
        if item.section is None and state.owner is not None and (orcid := _orcid_line(item.text)):
            # "ORCID: https://orcid.org/…" near the top: the owner's identifier
            line_span = Span(source, item.start, item.end)
            state.owner = dataclasses.replace(state.owner, orcid=orcid)
            state.records.append(PersonFacts(Agent(state.owner.name, AgentKind.PERSON, line_span, orcid=orcid), line_span))
            continue
        _dispatch(item, state)
    return Document(
        path=source,
        kind=KIND,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        line_count=len(lines),
        records=tuple(state.records),
        owner=state.owner,
        unmapped=tuple(sorted(state.unmapped, key=lambda u: u.span.start)),
        markup_lines=tuple(sorted(set(state.markup))),
    )


# --------------------------------------------------------------------- scanning

_HTML_HEADING = re.compile(r"^\s*<h([1-6])(?:\s[^>]*)?>(?P<text>.*?)</h\1>\s*$", re.I)
_HTML_ITEM = re.compile(r"^(?P<indent>\s*)<li(?:\s[^>]*)?>(?P<text>.*?)(?:</li>)?\s*$", re.I)
_HTML_PARA = re.compile(r"^\s*<(?:p|div|dd|dt)(?:\s[^>]*)?>(?P<text>.*?)(?:</(?:p|div|dd|dt)>)?\s*$", re.I)
_HTML_MARKUP = re.compile(
    r"^\s*(?:</?(?:ul|ol|dl|div|section|article|header|footer|main|nav|table|thead|tbody|tr|html|body|head|p|br|hr)"
    r"(?:\s[^>]*)?/?>\s*)+$|^\s*<!--.*-->\s*$",
    re.I,
)


def _html_blocks(lines: list[str], state: _State) -> list[str]:
    """HTML block lines in a Markdown CV, as Markdown: ``<h2>`` headings, ``<li>`` items; list tags are markup.

    One output line per input line, so that line numbers stay exact.
    """
    out = list(lines)
    in_comment = False
    for index, line in enumerate(lines):
        number = index + 1
        if in_comment or line.lstrip().startswith("<!--") and "-->" not in line:
            in_comment = "-->" not in line
            out[index] = ""
            state.markup.append(number)
        elif _HTML_MARKUP.match(line):
            out[index] = ""
            state.markup.append(number)
        elif m := _HTML_HEADING.match(line):
            out[index] = "#" * int(m[1]) + " " + m["text"].strip()
        elif m := _HTML_ITEM.match(line):
            out[index] = f"{m['indent']}- {m['text'].strip()}"
        elif m := _HTML_PARA.match(line):
            out[index] = m["text"].strip()
    return out



def _heading_text(line: str, next_line: str | None) -> tuple[int, str] | None:
    if m := _HEADING.match(line):
        return len(m.group(1)), plain(m.group(2))
    if m := _BOLD_HEADING.match(line):
        return 7, plain(m.group(1))
    return None


def _scan(lines: list[str], state: _State) -> tuple[list[Item], list[tuple[int, int, str]]]:
    items: list[Item] = []
    headings: list[tuple[int, int, str]] = []
    section: Section | None = None
    subtype: WorkType | None = None
    section_level = 0
    dates: DateRange | None = None
    i = 0
    n = len(lines)

    def add(start: int, end: int, form: str, text: str) -> None:
        items.append(Item(start, end, form, text, section, subtype, dates))

    while i < n:
        line = lines[i]
        number = i + 1
        if not line.strip():
            i += 1
            continue
        # setext heading: a text line underlined by === or ---
        if i + 1 < n and _SETEXT.match(lines[i + 1]) and lines[i].strip() and not _TABLE_ROW.match(line) and not _LIST_ITEM.match(line) and "\t" not in line:
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            heading: tuple[int, str] | None = (level, plain(line))
            skip = 2
        else:
            heading = _heading_text(line, lines[i + 1] if i + 1 < n else None)
            skip = 1
        if heading is not None:
            level, title = heading
            headings.append((number, level, title))
            kind, sub = classify_heading(title)
            if is_year_heading(title) and section is not None:
                try:
                    dates = parse_range(title)
                except InvalidDate as exc:
                    raise DocumentError(state.source, number, f"{exc}; correct the heading") from None
                state.markup.append(number)
            elif kind is not None and (section is None or level <= section_level or kind == section or kind == Section.PUBLICATIONS and section in (Section.PUBLICATIONS, Section.TALKS) or level < 7):
                if kind == Section.PUBLICATIONS and section == Section.PUBLICATIONS and level > section_level and sub is not None:
                    subtype = sub
                else:
                    section, subtype, section_level = kind, sub, level
                dates = None
                state.markup.append(number)
            elif section in (Section.SERVICE, Section.POSITIONS, Section.EDUCATION) and level > section_level:
                add(number, number, "heading", title)
            else:
                section, subtype, section_level, dates = None, None, level, None
                state.markup.append(number)  # a heading with no section: the name, or a title
            for extra in range(1, skip):
                state.markup.append(number + extra)
            i += skip
            continue
        if _RULE.match(line) or _TABLE_SEP.match(line):
            state.markup.append(number)
            i += 1
            continue
        if _TABLE_ROW.match(line):
            cells = [c for c in _cells(line)]
            if not any(plain(c) for c in cells):
                state.markup.append(number)  # an empty header row
            elif i + 1 < n and _TABLE_SEP.match(lines[i + 1]):
                state.markup.append(number)  # a header row ("Dates | Role | Institution"): markup, not an entry
            else:
                add(number, number, "row", line)
            i += 1
            continue
        if "\t" in line.strip():
            add(number, number, "tabs", line)
            i += 1
            continue
        if m := _LIST_ITEM.match(line):
            body = [m.group("body")]
            j = i + 1
            indent = len(m.group("indent"))
            nested = False
            content = indent + len(line[indent:]) - len(m.group("body")) if line.endswith(m.group("body")) else indent + 2
            while j < n and not _HEADING.match(lines[j]) and not _TABLE_ROW.match(lines[j]):
                if not lines[j].strip():
                    # a blank line, then a paragraph indented under the item's text: still the item (CommonMark)
                    k = j
                    while k < n and not lines[k].strip():
                        k += 1
                    if k < n and len(lines[k]) - len(lines[k].lstrip()) >= content and not _LIST_ITEM.match(lines[k]):
                        body.append(BREAK)
                        j = k
                        continue
                    break
                sub = _LIST_ITEM.match(lines[j])
                if sub is not None:
                    if len(sub.group("indent")) <= indent:
                        break
                    body.append(BREAK + sub.group("body").strip())  # a sub-item belongs to its parent
                    nested = True
                elif len(lines[j]) - len(lines[j].lstrip()) > indent or not _starts_entry(lines[j]):
                    body.append(lines[j].strip())
                else:
                    break
                j += 1
            if _hard_breaks(lines[i:j]):
                joined = BREAK.join(b.lstrip(BREAK) for b in body)
            else:
                joined = " ".join(body).replace(" " + BREAK, BREAK)
            add(number, j, "item", joined)
            i = j
            continue
        # a paragraph: consecutive plain lines
        j = i + 1
        while j < n and lines[j].strip() and not _HEADING.match(lines[j]) and not _LIST_ITEM.match(lines[j]) and not _TABLE_ROW.match(lines[j]) and not _RULE.match(lines[j]) and "\t" not in lines[j].strip() and not (j + 1 < n and _SETEXT.match(lines[j + 1])) and not _starts_entry(lines[j]):
            j += 1
        add(number, j, "para", BREAK.join(x.strip() for x in lines[i:j]))
        i = j
    return items, headings


def _front_lines(item: Item) -> list[Item]:
    """Lines outside any section (a name, a contact, an ORCID) are read one by one, not as a paragraph."""
    parts = item.text.split(BREAK)
    if item.section is not None or item.form != "para" or len(parts) != item.end - item.start + 1:
        return [item]
    return [dataclasses.replace(item, start=item.start + k, end=item.start + k, text=part) for k, part in enumerate(parts)]


def _hard_breaks(lines: list[str]) -> bool:
    return any(line.endswith("  ") or line.rstrip().endswith("\\") for line in lines[:-1])


def _starts_entry(line: str) -> bool:
    """A line that starts a new entry even without a list marker: it opens with a date."""
    stripped = line.strip()
    try:
        return bool(parse_range(stripped)) or bool(re.match(r"^(?:19|20)\d\d\b", stripped))
    except InvalidDate:
        return True


def _cells(line: str) -> list[str]:
    line = re.sub(r"^\s*[-*+]\s+", "", line.strip())
    return [c.strip() for c in line.strip().strip("|").split("|")]


# ------------------------------------------------------------------------ owner


def _find_owner(lines: list[str], items: list[Item], headings: list[tuple[int, int, str]], source: str) -> Agent | None:
    for number, level, title in headings:
        if level == 1 and looks_like_person(title):
            return Agent(display_person_name(title), AgentKind.PERSON, Span.line(source, number))
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for item in items:
        if item.section not in (Section.PUBLICATIONS, Section.TALKS, Section.HEARINGS):
            continue
        styled = parse_inline(item.text)
        for name in styled.spans("bold"):
            if looks_like_person(name):
                key = display_person_name(name)
                counts[key] += 1
                first.setdefault(key, item.start)
    if counts:
        name = sorted(counts.items(), key=lambda kv: (-kv[1], first[kv[0]]))[0][0]
        return Agent(name, AgentKind.PERSON, Span.line(source, first[name]))
    return None


_ORCID_LABEL = re.compile(r"^\W*orcid(?:\s*i[dD])?\s*:?\s*", re.I)


def _orcid_line(text: str) -> str | None:
    """The ORCID iD of a line that holds nothing else (``ORCID: [0000-…](https://orcid.org/0000-…)``)."""
    styled = parse_inline(text)
    flat = clean_spaces(styled.text.replace(BREAK, " "))
    candidates = [flat] + styled.links
    orcid = next((o for o in (normalise_orcid(c) for c in candidates) if o), None)
    if orcid is None:
        return None
    rest = _ORCID_LABEL.sub("", flat)
    rest = re.sub(r"(?:https?://)?(?:www\.)?orcid\.org/", "", rest, flags=re.I).replace(orcid, "")
    return orcid if not rest.strip(" .,;:|·<>()[]") else None


# --------------------------------------------------------------------- dispatch


def _dispatch(item: Item, state: _State) -> None:
    span = Span(state.source, item.start, item.end)
    handlers = {
        Section.POSITIONS: _role_entry,
        Section.EDUCATION: _role_entry,
        Section.SERVICE: _service_entry,
        Section.PUBLICATIONS: _work_entry,
        Section.TALKS: _work_entry,
        Section.TEACHING: _course_entry,
        Section.SKILLS: _skills_entry,
        Section.HEARINGS: _hearing_entry,
    }
    if item.section is None:
        if item.start == item.end and state.owner is not None and item.start == state.owner.span.start:
            return
        state.unmapped.append(Unmapped(span, plain(item.text.replace(BREAK, " ")), "not under any known section heading"))
        return
    if item.section == Section.UNSUPPORTED:
        state.unmapped.append(Unmapped(span, plain(item.text.replace(BREAK, " ")), "this kind of section is not part of the graph model"))
        return
    if state.owner is None and item.section != Section.PUBLICATIONS:
        state.unmapped.append(Unmapped(span, plain(item.text.replace(BREAK, " ")), "the CV's owner is unknown: add a '# Full Name' heading at the top"))
        return
    try:
        made = handlers[item.section](item, span, state)
    except InvalidDate as exc:
        raise DocumentError(state.source, item.start, f"{exc}; correct the date") from None
    if not made:
        state.unmapped.append(Unmapped(span, plain(item.text.replace(BREAK, " ")), f"could not read this {item.section.value} entry"))


# ------------------------------------------------------------------------ roles


def _org(name: str, span: Span) -> Agent:
    name = display_org_name(plain(name))
    acronym = None
    if m := _ACRONYM.match(name):
        name, acronym = m["name"].strip(), m["acr"]
    return Agent(name, AgentKind.ORGANIZATION, span, acronym=acronym)


def _split_role_org(text: str) -> tuple[str, str | None]:
    """``Postdoc, University of X`` / ``Postdoc at X`` / ``Postdoc — X`` → (role, org)."""
    for sep in (r"\s+at\s+", r"\s+chez\s+", r"\s+[—–]\s+", r"\s+-\s+", r"\s*\|\s*"):
        parts = re.split(sep, text, maxsplit=1)
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            return parts[0].strip(), parts[1].strip()
    parts = [p.strip() for p in text.split(",")]
    for k in range(1, len(parts)):
        if looks_like_org(parts[k]):
            return ", ".join(parts[:k]), ", ".join(parts[k:])
    if len(parts) >= 2:
        return parts[0], ", ".join(parts[1:])
    return text, None


def _entry_dates(text: str) -> tuple[DateRange | None, str]:
    """Take a date range off the start or the end of an entry's text."""
    stripped = clean_spaces(text)
    best: tuple[DateRange, str] | None = None
    for m in re.finditer(r"[:\-–—,|]\s|\s[—–-]\s|\s", stripped):
        head, rest = stripped[: m.start()].strip(), stripped[m.end() :].strip()
        if not rest:
            continue
        if best is not None and not re.search(r"\d", head[-6:]) and not re.search(r"present|now|today|aujourd|current|ongoing|actuel", head[-12:], re.I):
            continue
        rng = parse_range(head.strip("()[]*_ :"))
        if rng is not None and rng.start is not None:
            best = (rng, rest.lstrip(":-–—,| "))  # keep the longest: "Sept. 2018 – Aug. 2019"
    if best is not None:
        return best
    m = re.search(r"[\s(,\-–—]+\(?(?P<d>[^(),]*\d{4}[^(),]*)\)?\s*\.?$", stripped)
    if m:
        rng = parse_range(m["d"].strip())
        if rng is not None:
            return rng, stripped[: m.start()].strip(" ,-–—(")
    return None, stripped


def _role_entry(item: Item, span: Span, state: _State) -> bool:
    assert state.owner is not None
    kind = RoleKind.EDUCATION if item.section == Section.EDUCATION else RoleKind.POSITION
    owner = Agent(state.owner.name, AgentKind.PERSON, span)
    if item.form == "heading":
        return False
    dates: DateRange | None = None
    role_text = ""
    description = ""
    org_text: str | None = None
    if item.form == "row":
        cells = [c for c in _cells(item.text) if plain(c)]
        others: list[str] = []
        for cell in cells:
            if dates is None and (rng := parse_range(plain(cell))) is not None:
                dates = rng
            else:
                others.append(cell)
        if not others:
            return False
        role_styled = parse_inline(others[0])
        parts = [p.strip() for p in role_styled.text.split(BREAK) if p.strip()]
        role_text = parts[0]
        description = " ".join(parts[1:])
        if len(others) >= 2:
            # role | organisation | more cells (place, country): those go to the description, none is lost
            org_text = plain(others[1])
            extra = ", ".join(plain(c) for c in others[2:])
            description = "; ".join(p for p in (description, extra) if p)
        else:
            role_text, org_text = _split_role_org(role_text)
    else:
        styled = parse_inline(item.text)
        parts = [p.strip() for p in styled.text.split(BREAK) if p.strip()]
        dates, head = _entry_dates(parts[0])
        if dates is None and item.dates is not None:
            dates = item.dates
        role_text, org_text = _split_role_org(head)
        description = " ".join(parts[1:])
        raw_parts = [p.strip() for p in item.text.split(BREAK) if p.strip()]
        if len(raw_parts) == len(parts) and len(parts) > 1:
            description = " ".join(raw_parts[1:])  # Markdown kept: a thesis title may be in italics
    role_text = tidy(role_text)
    if not role_text or not re.search(r"[^\W\d_]", role_text):
        return False  # no letters: a date or a number alone is not a role
    org = _org(org_text, span) if org_text else None
    start = dates.start if dates else None
    end = _course_end(dates)  # one date ("2018"): the role began and ended then
    defended = _defence_date(plain(description or ""))
    description, thesis_title = _thesis_in(description or "", role_text)
    description = plain(description) if description else description
    state.records.append(
        Role(kind, owner, role_text, span, org, start, end, bool(dates and dates.ongoing), description or None)
    )
    if thesis_title:
        doctoral = bool(_DOCTORAL.search(role_text))
        masters = bool(_MASTERS.search(role_text))
        wtype = WorkType.DOCTORAL_THESIS if doctoral else WorkType.MASTERS_THESIS if masters else WorkType.OTHER
        ongoing = bool(dates and dates.ongoing)
        state.records.append(
            Work(
                wtype,
                (Title(thesis_title, guess_language(thesis_title)),),
                span,
                authors=(owner,),
                # the defence date if stated, else the year the degree ended
                date=None if ongoing or not dates else (defended or dates.end or None),
                forthcoming=ongoing,
                institution=org,
            )
        )
    return True


_DEFENDED = re.compile(r"\b(?:defended|soutenue?|soutenance|viva|disputation)\b(?:\s+(?:on|le|en|in))?\s+", re.I)


def _defence_date(text: str) -> PartialDate | None:
    """``defended 12 December 2018``, ``soutenue le 4 décembre 2015``: the thesis' date."""
    if m := _DEFENDED.search(text):
        found = find_dates(text[m.end():])
        if found and found[0][0] == 0:
            return found[0][2]
    return None


def _thesis_in(description: str, role: str) -> tuple[str, str | None]:
    """Find a named thesis in an entry's text; return the text without it and the title."""
    m = _THESIS.search(description)
    if not m:
        return clean_spaces(description), None
    title = tidy(next(t for t in m.group("t1", "t2", "t3", "t4", "t5", "t6") if t))
    before = description[: m.start()]
    if before.strip() and not re.search(r"[.;:]\s*$", before):
        return clean_spaces(description), title  # the thesis is named inside a sentence: keep it
    rest = clean_spaces(before + " " + description[m.end() :].lstrip(" ."))
    return rest, title


# ---------------------------------------------------------------------- service


def _service_entry(item: Item, span: Span, state: _State) -> bool:
    """Service entries come as a date line followed by lines describing the role."""
    assert state.owner is not None
    pending = state.service
    text = plain(item.text.replace(BREAK, " "))
    rng = parse_range(text)
    if rng is not None and rng.start is not None:
        pending.update(dates=rng, role=None, start=item.start)
        return True
    if item.form == "heading":
        pending["role"] = (text, item.start)
        return True
    dates: DateRange | None = pending["dates"]
    lead_span = Span(state.source, pending["start"] or item.start, item.end)
    if dates is None:
        dates, text_rest = _entry_dates(text)
        if dates is None:
            m = re.match(r"^(?:since|depuis)\s+(.+?)\s*[:,\-–—]\s*(.+)$", text, re.I)
            if m and (rng2 := parse_range(f"since {m[1]}")):
                dates, text_rest = rng2, m[2]
        lead_span = span
    else:
        text_rest = text
    styled = parse_inline(item.text)
    lines = [p.strip() for p in styled.text.split(BREAK) if p.strip()]
    if pending["role"] is None and len(lines) == 1 and (found := _role_then_org(text_rest, styled)) is not None:
        first_role, first_org = found
        full = Span(state.source, lead_span.start, item.end)
        state.records.append(
            Role(
                RoleKind.SERVICE, Agent(state.owner.name, AgentKind.PERSON, full), first_role, full, _org(first_org, full),
                dates.start if dates else None, dates.end if dates else None, bool(dates and dates.ongoing), None,
            )
        )
        pending.update(dates=None, role=None, start=None)
        return True
    role_name: str | None = pending["role"][0] if pending["role"] else None
    description: list[str] = []
    orgs: list[str] = []
    for a, b in styled.bold:
        orgs.append(styled.text[a:b])
    for line in lines if dates is pending["dates"] else [text_rest]:
        if m := _MEMBER.match(plain(line)):
            role_name = role_name or m["role"]
            if not orgs:
                orgs.append(m["org"])
            continue
        description.append(line)
    split_done = False
    if not orgs and role_name is None and dates is not pending["dates"] and (m := re.match(r"^(?P<role>[^,]{2,40}?),\s*(?P<org>[A-ZÀ-Ý].+)$", text_rest)):
        # "Associate editor, *New Technology, Work and Employment*": the role, then one organisation
        role_words = m["role"].split()
        if len(role_words) <= 4 and not looks_like_org(m["role"]) and all(not w[:1].isupper() for w in role_words[1:]):
            role_name, orgs, description = m["role"].strip(), [m["org"].strip(" .")], []
            split_done = True
    if split_done:
        pass
    elif not orgs:
        orgs = _capitalised_runs(" ".join(description))
        if not orgs and role_name is None:
            role, org = _split_role_org(text_rest)
            if org:
                role_name, orgs = role, [org]
    else:
        orgs += [o for o in _capitalised_runs(_unbold(styled)) if o not in orgs]
    if not orgs:
        return False
    if role_name is None:
        role_name = "Member"
    desc = clean_spaces(" ".join(description)) or None
    first = pending["role"][1] if pending["role"] else None
    full = Span(state.source, min(x for x in (lead_span.start, first or lead_span.start)), item.end)
    owner = Agent(state.owner.name, AgentKind.PERSON, full)
    for org in orgs:
        state.records.append(
            Role(
                RoleKind.SERVICE, owner, tidy(role_name), full, _org(org, full),
                dates.start if dates else None, dates.end if dates else None,
                bool(dates and dates.ongoing), desc,
            )
        )
    pending.update(dates=None, role=None, start=None)
    return True


_CONNECTOR_END = re.compile(r"[\s,:;—–-]*(?:\b(?:of|for|at|in|with|du|de|des|de la|de l['’]|d['’]|à|au|aux|auprès de|chez|pour)\s*(?:the\s*)?)?$", re.I)


def _lowercase_role(text: str) -> bool:
    """``membre élue du conseil de laboratoire``, ``head of the L3 programme``: a role, not a name."""
    words = text.split()
    if not 1 <= len(words) <= 10 or looks_like_person(text) or (text.isupper() and len(text) > 1):
        return False
    capitals = [w for w in words[1:] if w[:1].isupper() and not re.search(r"\d", w)]
    return len(capitals) <= len(words[1:]) // 3


def _role_then_org(text: str, styled: Styled) -> tuple[str, str] | None:
    """One service line: ``role, Organisation`` or ``role of *Organisation*``; else None."""
    text = clean_spaces(text).rstrip(" .")
    # "membre élue du conseil de laboratoire, Centre Maurice Halbwachs"
    head, comma, tail = text.partition(", ")
    if comma and _lowercase_role(head) and tail[:1].isupper():
        return tidy(head), tail.strip()
    # "member of the editorial board of *Les Mondes du travail*"
    for a, b in styled.italic + styled.bold:
        emphasised = clean_spaces(styled.text[a:b]).strip(" .")
        if emphasised and text.endswith(emphasised) and len(emphasised) < len(text):
            role = _CONNECTOR_END.sub("", text[: -len(emphasised)]).strip()
            if role and _lowercase_role(role):
                return tidy(role), emphasised
    return None


def _unbold(styled: Styled) -> str:
    text = styled.text
    for a, b in styled.bold:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _capitalised_runs(text: str) -> list[str]:
    """Names of organisations in prose: runs of two or more capitalised words."""
    runs: list[str] = []
    for sentence in re.split(r"[.;:\n]", text):
        words = sentence.split()
        current: list[str] = []
        for index, word in enumerate(words):
            bare = word.strip(",()")
            capital = bool(bare) and bare[0].isupper() and index > 0
            connector = bare.lower() in ("de", "du", "des", "of", "for", "the", "la", "le", "et", "and") and bool(current)
            if capital or connector:
                current.append(bare)
                if word.endswith(",") or word.endswith(")"):
                    runs.append(" ".join(current))
                    current = []
            else:
                if current:
                    runs.append(" ".join(current))
                current = []
        if current:
            runs.append(" ".join(current))
    cleaned = []
    for run in runs:
        words = run.split()
        while words and words[-1].lower() in ("de", "du", "des", "of", "for", "the", "la", "le", "et", "and"):
            words.pop()
        if len(words) >= 2:
            cleaned.append(" ".join(words))
    return cleaned


# ------------------------------------------------------------------------ works


def _agents(refs: list, span: Span) -> tuple[Agent, ...]:
    return tuple(
        Agent(r.name, AgentKind.ORGANIZATION if r.organization else AgentKind.PERSON, span)
        for r in refs
    )


_REPORT_WORDS = re.compile(r"\b(?:report|rapport|working paper)\b")
_CONFERENCE_WORDS = re.compile(r"\b(?:proceedings|actes|conference|conférence|colloque|congr[eè]s|symposium)\b")
_CHAPTER_WORDS = re.compile(r"\b(?:in:|dans:|\(eds?\.?\)|\(dir\.?\)|\(éds?\.?\))")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+")
_LEAD_DATE = re.compile(r"^\s*(?P<d>[^—–:|]{3,40}?)\s*[—–:|]\s+")
_WITH_BRACKETED = re.compile(r"\s*\((?:with|avec|con)\s+(?P<names>[^()]+)\)", re.I)
_WITH_LEAD = re.compile(r"^\s*(?:with|avec|con)\s+(?P<names>[^:]+?)\s*:\s+", re.I)


def _guess_type(ref: Reference, text: str) -> WorkType:
    lowered = text.lower()
    if _REPORT_WORDS.search(lowered):
        return WorkType.REPORT
    if _CONFERENCE_WORDS.search(lowered):
        return WorkType.CONFERENCE_PAPER
    if _CHAPTER_WORDS.search(lowered):
        return WorkType.BOOK_CHAPTER
    if ref.venue:
        return WorkType.JOURNAL_ARTICLE
    return WorkType.OTHER


def build_work(ref: Reference, wtype: WorkType, span: Span, owner: Agent | None, implied_owner: bool) -> Work:
    """A Work from a parsed reference: venue, event, report description by type."""
    authors = _agents(ref.authors, span)
    contributors: tuple[Agent, ...] = ()
    if not authors and owner is not None and implied_owner:
        authors = (Agent(owner.name, AgentKind.PERSON, span),)
    if ref.contributors:
        contributors = _agents(ref.contributors, span)
    elif owner is not None and authors and all(a.kind == AgentKind.ORGANIZATION for a in authors):
        contributors = (Agent(owner.name, AgentKind.PERSON, span),)
    titles = [Title(ref.title, guess_language(ref.title))] if ref.title else []
    if ref.translated_title:
        titles.append(Title(ref.translated_title, guess_language(ref.translated_title), translated=True))
    venue = None
    event = None
    description = list(ref.extra)
    if wtype in (WorkType.PRESENTATION, WorkType.CONFERENCE_PAPER):
        name = ref.event_hint or ref.venue
        if name:
            place = ref.place if not ref.event_hint else ", ".join(p for p in (ref.venue, ref.place) if p)
            event = Event(name, span, date=ref.date, place=place or None)
    elif wtype == WorkType.REPORT:
        if ref.venue:
            description.insert(0, ref.venue)
    else:
        venue = ref.venue
    return Work(
        wtype,
        tuple(titles),
        span,
        authors=authors,
        contributors=contributors,
        date=None if ref.forthcoming and ref.date is None else ref.date,
        forthcoming=ref.forthcoming,
        venue=venue,
        presented_at=event,
        publisher=ref.publisher,
        volume=ref.volume,
        issue=ref.issue,
        page_start=ref.page_start,
        page_end=ref.page_end,
        doi=ref.doi,
        hal=ref.hal,
        description=tuple(description),
        editors=tuple(Agent(e.name, AgentKind.PERSON, span) for e in ref.editors),
        book=ref.book,
    )


def _work_entry(item: Item, span: Span, state: _State) -> bool:
    if item.form == "heading":
        return False
    raw = _NUMBERED.sub("", item.text)
    lead_date = None
    with_names: list[str] = []
    # "14 March 2024 — Title…": a date first
    if (m := _LEAD_DATE.match(raw)) and (rng := parse_range(plain(m["d"]))) is not None and rng.start is not None:
        lead_date, raw = rng.start, raw[m.end():]
    # "(with A and B)" / "Avec A :": co-authors or co-speakers after the owner, who is not named
    if m := _WITH_BRACKETED.search(raw):
        if names := _with_names(m["names"]):
            with_names, raw = names, raw[: m.start()] + raw[m.end():]
    elif m := _WITH_LEAD.match(raw):
        if names := _with_names(m["names"]):
            with_names, raw = names, raw[m.end():]
    styled = parse_inline(raw)
    ref = parse_reference(styled)
    if not ref.title:
        return False
    if lead_date is not None and ref.date is None:
        ref.date = lead_date
    if ref.date is None and not ref.forthcoming and item.dates is not None and item.dates.start is not None:
        if item.dates.end is None and not item.dates.ongoing:
            ref.date = item.dates.start  # under a "### 2023" sub-heading
    if not _is_reference(ref, with_names):
        return False  # "Page 2 of 3": a title alone, with no author, date or venue, is not a work
    if with_names and state.owner is not None:
        from .refs import NameRef

        if not ref.authors:
            ref.authors = [NameRef(state.owner.name)]
        named = {a.name for a in ref.authors}
        ref.authors += [NameRef(n) for n in with_names if n not in named]
    if state.owner is not None:
        for author in ref.authors:
            if not author.organization and _is_owner(author.name, state.owner.name):
                author.name = state.owner.name
    wtype = item.subtype or _guess_type(ref, styled.text)
    if item.section == Section.TALKS:
        wtype = WorkType.PRESENTATION
    state.records.append(build_work(ref, wtype, span, state.owner, implied_owner=item.section == Section.TALKS or not ref.authors))
    return True


def _is_reference(ref: Reference, with_names: list[str]) -> bool:
    """A work needs a title and at least an author, a date or a place of publication."""
    return bool(ref.title) and bool(
        ref.authors or with_names or ref.date or ref.venue or ref.event_hint or ref.publisher
        or ref.doi or ref.hal or ref.forthcoming or ref.volume or ref.page_start or ref.place
    )


def _with_names(text: str) -> list[str]:
    from .refs import split_names

    names = [display_person_name(n) for n in split_names(plain(text))]
    return names if names and all(looks_like_person(n) for n in names) else []


@functools.lru_cache(maxsize=1 << 14)  # pure; asked for every author of every work, and the same names recur
def _is_owner(name: str, owner: str) -> bool:
    """``H. R. Whitfield`` or ``Berthier C.`` written for the owner ``Hannah R. Whitfield``."""
    if name == owner:
        return False
    owner_words = _folded_words(owner)
    words = _folded_words(name)
    family = owner_words[-1]
    if family not in words or len(words) < 2:
        return False
    given = [w for w in words if w != family]
    owner_given = owner_words[:-1]
    if not given or not owner_given:
        return False
    letters = [part[:1] for w in given for part in w.split("-") if part]
    owner_letters = [part[:1] for w in owner_given for part in w.split("-") if part]
    if any(len(w) > 1 and w not in owner_given for w in given if "-" not in w and not is_initial_word(w)):
        return False
    return letters[0] == owner_letters[0] and all(letter in owner_letters for letter in letters)


@functools.lru_cache(maxsize=1 << 14)  # the owner's name, and every author's, again and again
def _folded_words(name: str) -> tuple[str, ...]:
    from ..dates import fold

    return tuple(fold(w).strip(".,") for w in name.split())


def is_initial_word(word: str) -> bool:
    return len(word) <= 2


# ---------------------------------------------------------------------- courses


def _course_entry(item: Item, span: Span, state: _State) -> bool:
    assert state.owner is not None
    if item.form == "heading":
        return False
    if item.form == "tabs":
        cells = [plain(c) for c in item.text.split("\t") if plain(c)]  # two tabs: an empty column
    elif item.form == "row":
        cells = [plain(c) for c in _cells(item.text) if plain(c)]
    else:
        cells = []
    dates = item.dates
    mode = workload = audience = None
    provider = None
    if cells:
        rest: list[str] = []
        for cell in cells:
            if (rng := parse_range(cell)) is not None and rng.start is not None and not rest and dates is item.dates:
                dates = rng
            elif _HOURS.fullmatch(cell) and workload is None:
                workload = cell
            elif _AUDIENCE.fullmatch(cell) and audience is None:
                audience = cell
            else:
                rest.append(cell)
        if len(rest) >= 3:
            mode, name_cell, provider = rest[0], rest[1], rest[-1]
        elif len(rest) == 2 and _MODES.match(rest[0]) and not looks_like_org(rest[1]):
            mode, name_cell = rest
        elif len(rest) == 2:
            name_cell, provider = rest
        elif rest:
            name_cell = rest[0]
        else:
            return False
    else:
        text = plain(item.text.replace(BREAK, " "))
        rng, text = _entry_dates(text)
        dates = rng or dates
        name_cell, provider = text, None
        dashed = [p.strip() for p in re.split(r"\s+[—–]\s+|\s+-\s+(?![^()]*\))", text) if p.strip()]
        if len(dashed) >= 2:
            # "Sociologie du numérique — CM, 18 h, M1 — Université Paris Nanterre"
            name_cell, details = dashed[0], dashed[1:]
            if len(details) >= 1 and not _detail_kind(details[-1].split(",")[0].strip()) and (
                looks_like_org(details[-1]) or details[-1][:1].isupper()
            ):
                provider = details.pop()
            leftover = []
            for part in (d.strip() for chunk in details for d in chunk.split(",") if d.strip()):
                kind = _detail_kind(part)
                if kind == "workload" and workload is None:
                    workload = part
                elif kind == "audience" and audience is None:
                    audience = part
                elif kind == "mode" and mode is None:
                    mode = part
                else:
                    leftover.append(part)
            if leftover:
                audience = ", ".join(filter(None, [audience, *leftover]))
        else:
            parts = [p.strip() for p in re.split(r",\s+(?![^()]*\))", text)]
            if len(parts) >= 2 and looks_like_org(parts[-1]):
                name_cell, provider = ", ".join(parts[:-1]), parts[-1]
        italic = [parse_inline(item.text).text[a:b] for a, b in parse_inline(item.text).italic]
        if len(italic) == 1 and italic[0].strip() and (lead := name_cell.find(italic[0])) > 0 and re.match(r"^[^:()]{2,40}:\s*$", name_cell[:lead]):
            label = tidy(name_cell[:lead])
            name_cell = name_cell[lead:]  # "Guest lecture: *Course*": the label is not the name
            if _MODES.match(label) and mode is None:
                mode = label
    name = name_cell
    if m := re.search(r"\(([^()]*)\)\s*$", name_cell):
        name = name_cell[: m.start()].strip()
        details = [d.strip() for d in re.split(r"\s+-\s+|,|;|/", m.group(1)) if d.strip()]
        rest = []
        for d in details:
            if _HOURS.search(d) and workload is None:
                workload = d
            elif _MODES.match(d) and mode is None:
                mode = d
            else:
                rest.append(d)
        audience = ", ".join(filter(None, [audience, *rest])) or None
    name = tidy(strip_quotes(name))
    if not name:
        return False
    instructor = Agent(state.owner.name, AgentKind.PERSON, span)
    state.records.append(
        Course(
            name, instructor, span,
            provider=_org(provider, span) if provider else None,
            mode=mode, workload=hours(workload) if workload else None, audience=audience,
            start=dates.start if dates else None,
            end=_course_end(dates),
            ongoing=bool(dates and dates.ongoing),
        )
    )
    return True


def _course_end(dates: DateRange | None) -> PartialDate | None:
    """A course dated by one year or month ("2023") starts and ends then; an ongoing one has no end."""
    if dates is None:
        return None
    if dates.end is None and not dates.ongoing:
        return dates.start
    return dates.end


def _detail_kind(text: str) -> str | None:
    if _HOURS.fullmatch(text):
        return "workload"
    if _AUDIENCE.fullmatch(text):
        return "audience"
    if _MODES.match(text):
        return "mode"
    return None


def hours(text: str) -> str:
    """``18 h``, ``36h``, ``12 hrs``, ``12 heures`` → ``18 hours``; other wordings unchanged."""
    m = _HOURS.search(text)
    if not m:
        return text
    number = re.match(r"\d+(?:[.,]\d+)?", m.group(0).strip())
    assert number is not None
    value = number.group(0).replace(",", ".")
    return f"{value} hour" if value == "1" else f"{value} hours"


# ----------------------------------------------------------------------- skills


def _skills_entry(item: Item, span: Span, state: _State) -> bool:
    assert state.owner is not None
    done = False
    lines = item.text.split(BREAK)
    for offset, line in enumerate(lines):
        text = plain(line)
        if not text:
            continue
        m = re.match(r"^([^:]{1,40}?)\s*:\s*(.+)$", text)
        values = m.group(2) if m else text
        items = tuple(v.strip(" .") for v in re.split(r",|;|\s+/\s+", values) if v.strip(" ."))
        number = item.start + offset if item.end - item.start + 1 == len(lines) else item.start
        line_span = Span(state.source, number, number if len(lines) > 1 else item.end)
        state.records.append(PersonFacts(Agent(state.owner.name, AgentKind.PERSON, line_span), line_span, knows_about=items))
        done = True
    return done


# --------------------------------------------------------------------- hearings


_HEARD = re.compile(
    r"^\s*(?:heard|testified|gave (?:oral )?evidence|appeared|auditionn[ée]e?s?|entendue?s?|audition)\b", re.I
)
_QUOTED = re.compile(r"«\s*(?P<a>[^»]+?)\s*»|“(?P<b>[^”]+)”|\"(?P<c>[^\"]+)\"")
_PERSON_AFTER_BY = re.compile(
    r"^\s*,?\s*(?:by|par)\s+(?P<names>(?:(?:M|Mme|Mr|Mrs|Ms|Dr|Pr|Prof)\.?\s+)?[A-ZÀ-Ý][\w.'’\- ]*?)(?=\s*(?:[,;(]|\.\s|\.?$))"
)


def _narrative_hearing(item: Item, span: Span, state: _State) -> bool:
    """``Heard on 14 June 2022, with X, by the *Body* for the report « Title » by Y (October 2022).``"""
    styled = parse_inline(re.sub(r"^\s*\d{1,3}[.)]\s+", "", item.text))
    text = styled.text.replace(BREAK, " ")
    quoted = _QUOTED.search(text)
    head = text[: quoted.start()] if quoted else text
    tail = text[quoted.end():] if quoted else ""
    date = None
    if m := re.search(r"\b(?:on|le|the)\s+(?P<d>[^,;()]+?)(?=\s*(?:[,;(]|\b(?:with|avec|by|par|before|devant)\b))", head):
        found = find_dates(m["d"])
        date = found[0][2] if found else None
    with_names: list[str] = []
    if m := re.search(r"\b(?:with|avec)\s+(?P<names>[^,;]+?)\s*(?=,|;|\b(?:by|par|before|devant)\b)", head):
        with_names = _with_names(m["names"])
    organizer = None
    if m := re.search(r"\b(?:by|before|par|devant)\s+(?:the\s+|la\s+|le\s+|les\s+|l['’]\s*)?", head):
        start = m.end()
        italic = [(a, b) for a, b in styled.italic if a >= start and a <= start + 1]
        if italic:
            name = text[italic[0][0] : italic[0][1]]
        else:
            name = re.split(r"\s+(?:for|on|about|pour|sur|au sujet)\b|[,;]", head[start:])[0]
        name = tidy(name)
        if name:
            organizer = Agent(name[:1].upper() + name[1:], AgentKind.ORGANIZATION, span, org_type="GovernmentOrganization")
    assert state.owner is not None
    performers = (Agent(state.owner.name, AgentKind.PERSON, span),) + tuple(
        Agent(n, AgentKind.PERSON, span) for n in with_names if not _is_owner(n, state.owner.name) and n != state.owner.name
    )
    report = None
    if quoted:
        title = tidy(next(t for t in quoted.group("a", "b", "c") if t))
        authors: tuple[Agent, ...] = ()
        if m := _PERSON_AFTER_BY.match(tail):
            authors = tuple(Agent(display_person_name(n), AgentKind.PERSON, span) for n in split_names(m["names"]) if looks_like_person(n))
        found = find_dates(tail)
        report = Work(
            WorkType.REPORT, (Title(title, guess_language(title)),), span,
            authors=authors, date=found[-1][2] if found else None,
        )
        state.records.append(report)
    if organizer is None and report is None:
        return False
    name = f"Hearing: {report.title}" if report else f"Hearing before {organizer.name}"  # type: ignore[union-attr]
    state.records.append(Hearing(name, performers, span, organizer=organizer, about=report, date=date))
    return True


def _hearing_entry(item: Item, span: Span, state: _State) -> bool:
    if state.owner is not None and _HEARD.match(plain(re.sub(r"^\s*\d{1,3}[.)]\s+", "", item.text))):
        return _narrative_hearing(item, span, state)
    styled = parse_inline(re.sub(r"^\s*\d{1,3}[.)]\s+", "", item.text))
    ref = parse_reference(styled)
    performers = tuple(a for a in _agents(ref.authors, span) if a.kind == AgentKind.PERSON)
    if not ref.title:
        return False
    if not performers and state.owner is not None:
        performers = (Agent(state.owner.name, AgentKind.PERSON, span),)
    organizer = None
    if m := re.search(r"\b(?:fait\s+)?au nom d(?:e la|u|e l['’]|es|e)\s+(?P<org>.+)$|\bon behalf of (?:the )?(?P<org2>.+)$", ref.title, re.I):
        name = tidy(m["org"] or m["org2"])
        organizer = Agent(name[:1].upper() + name[1:], AgentKind.ORGANIZATION, span, org_type="GovernmentOrganization")
    report = Work(
        WorkType.REPORT,
        (Title(ref.title, guess_language(ref.title)),),
        span,
        authors=_agents(ref.by, span),
        date=ref.date,
        doi=ref.doi,
        hal=ref.hal,
    )
    state.records.append(report)
    state.records.append(Hearing(f"Hearing: {ref.title}", performers, span, organizer=organizer, about=report, date=None))
    return True
