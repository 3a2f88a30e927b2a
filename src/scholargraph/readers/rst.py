"""The reStructuredText CV reader: reST structure rewritten as Markdown, line for line.

A reST CV has the same sections and entries as a Markdown one; only the
markup differs.  :func:`to_markdown` rewrites each line into its Markdown
equivalent without ever adding or removing a line, so that the Markdown
reader's machinery (:mod:`.markdown`) reads it and every line number it cites
is the line of the ``.rst`` file:

* section titles (underlined, or over- and underlined, with ``= - ~ ^ * # …``)
  become ``#`` headings, their level set by the order in which each adornment
  style first appears; the adornment lines are markup;
* field lists (``:ORCID: …``) become ``ORCID: …`` lines;
* ``#.`` auto-numbered items become ``1.``; a definition list item (a term
  line with an indented definition under it, as in ``2019–2021`` / ``Postdoc,
  …``) becomes a list item with its continuation;
* inline links ```Title <url>`_`` become ``[Title](url)``, ````literal````
  becomes ```literal```, interpreted text ``:role:`text``` its text;
* comments and link targets are markup; other directives (``.. note::``,
  ``.. image::``) are listed as unmapped with their lines, never dropped.

>>> to_markdown(["Positions", "=========", "", "#. `A <https://doi.org/10.1/x>`_"]).lines
['# Positions', '', '', '1. [A](https://doi.org/10.1/x)']
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..records import Document, Span, Unmapped
from . import markdown

KIND = "rst-cv"

_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_FIELD = re.compile(r"^(?P<indent>\s*):(?P<name>[^:`]+):(?:\s+(?P<value>.*))?$")
_AUTO_ENUM = re.compile(r"^(?P<indent>\s*)#\.(?=\s)")
_BULLET = re.compile(r"^\s*(?:[-*+•‣⁃]|\(?\d{1,3}[.)]|#\.|\(?[a-zA-Z][.)]|\[\d{1,3}\])\s+")
_DIRECTIVE = re.compile(r"^\s*\.\.\s+(?P<name>[\w:+-]+)::(?P<arg>.*)$")
_TARGET = re.compile(r"^\s*\.\.\s+(?:_[^:]*:|\[[^\]]+\]|\|[^|]+\|).*$")
_COMMENT = re.compile(r"^\s*\.\.(?:\s.*)?$")
_LINK = re.compile(r"`(?P<text>[^`<]*?)\s*<(?P<url>[^<>`]+)>`__?")
_REF = re.compile(r"`(?P<text>[^`<]+)`__?")
_LITERAL = re.compile(r"``(?P<text>[^`]+)``")
_ROLE = re.compile(r":[\w+-]+:`(?P<text>[^`]+)`")
_LINE_BLOCK = re.compile(r"^(?P<indent>\s*)\|\s(?P<text>.*)$")


@dataclass
class Converted:
    """The Markdown lines (one per reST line), with markup lines and unread directives."""

    lines: list[str]
    markup: set[int] = field(default_factory=set)
    unmapped: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, text, reason


def sniff(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".rst", ".rest")


def read(text: str, source: str) -> Document:
    """Read a reStructuredText CV through the Markdown reader, with the reST file's line numbers."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    converted = to_markdown(lines)
    document = markdown.read("\n".join(converted.lines), source)
    unmapped = list(document.unmapped) + [
        Unmapped(Span(source, start, end), body, reason) for start, end, body, reason in converted.unmapped
    ]
    return dataclasses.replace(
        document,
        kind=KIND,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        line_count=len(lines),
        unmapped=tuple(sorted(unmapped, key=lambda u: (u.span.start, u.span.end))),
        markup_lines=tuple(sorted(set(document.markup_lines) | converted.markup)),
    )


def _is_text(line: str) -> bool:
    return bool(line.strip()) and not _ADORNMENT.match(line)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def to_markdown(lines: list[str]) -> Converted:
    """Rewrite reST ``lines`` as Markdown, one output line per input line."""
    out = Converted(list(lines))
    styles: list[tuple[str, bool]] = []  # adornment styles in order of first use: (char, overlined)
    n = len(lines)
    i = 0

    def level(style: tuple[str, bool]) -> int:
        if style not in styles:
            styles.append(style)
        return min(styles.index(style) + 1, 6)

    while i < n:
        line = lines[i]
        # title with over- and underline
        if (
            _ADORNMENT.match(line) and i + 2 < n and _is_text(lines[i + 1])
            and lines[i + 2].strip() == line.strip()
        ):
            out.lines[i] = out.lines[i + 2] = ""
            out.lines[i + 1] = "#" * level((line.strip()[0], True)) + " " + _inline(lines[i + 1].strip())
            out.markup.update({i + 1, i + 3})
            i += 3
            continue
        # title with an underline
        if (
            _is_text(line) and _indent(line) == 0 and i + 1 < n and _ADORNMENT.match(lines[i + 1])
            and len(lines[i + 1].strip()) >= min(len(line.strip()), 3)
            and (i == 0 or not lines[i - 1].strip())
            and not _BULLET.match(line)
        ):
            out.lines[i] = "#" * level((lines[i + 1].strip()[0], False)) + " " + _inline(line.strip())
            out.lines[i + 1] = ""
            out.markup.add(i + 2)
            i += 2
            continue
        # a transition (a lone adornment line)
        if _ADORNMENT.match(line):
            out.lines[i] = "---"
            i += 1
            continue
        # comments, link targets, directives with their indented blocks
        if _COMMENT.match(line) or _TARGET.match(line):
            j = _block_end(lines, i)
            directive = _DIRECTIVE.match(line)
            if directive and directive["name"] not in ("comment",):
                body = " ".join(x.strip() for x in lines[i:j] if x.strip())
                out.unmapped.append(
                    (i + 1, _last_text(lines, i, j) + 1, body, f"a reStructuredText '{directive['name']}' directive is not read")
                )
            else:
                out.markup.update(k + 1 for k in range(i, j) if lines[k].strip())
            for k in range(i, j):
                out.lines[k] = ""
            i = j
            continue
        if m := _FIELD.match(line):
            out.lines[i] = f"{m['indent']}{m['name'].strip()}: {_inline(m['value'] or '')}".rstrip()
            i += 1
            continue
        # a definition list item: a term line with an indented definition right under it
        if (
            _is_text(line) and _indent(line) == 0 and not _BULLET.match(line)
            and i + 1 < n and lines[i + 1].strip() and _indent(lines[i + 1]) > 0
            and (i == 0 or not lines[i - 1].strip())
        ):
            out.lines[i] = "- " + _inline(line.strip())
            j = i + 1
            while j < n and lines[j].strip() and _indent(lines[j]) > 0:
                out.lines[j] = "  " + _inline(lines[j].strip())
                j += 1
            i = j
            continue
        text = _AUTO_ENUM.sub(lambda m: f"{m['indent']}1.", line)
        if m := _LINE_BLOCK.match(text):
            text = m["indent"] + m["text"]
        out.lines[i] = _inline(text)
        i += 1
    return out


def _block_end(lines: list[str], start: int) -> int:
    """The index after an explicit markup block: its first line and the indented lines under it."""
    j = start + 1
    while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > _indent(lines[start])):
        j += 1
    while j - 1 > start and not lines[j - 1].strip():
        j -= 1
    return j


def _last_text(lines: list[str], start: int, end: int) -> int:
    return max(k for k in range(start, end) if lines[k].strip())


def _inline(text: str) -> str:
    """reST inline markup as Markdown: links, literals, roles; a trailing ``::`` as ``:``."""
    text = _LINK.sub(lambda m: f"[{m['text'] or m['url']}]({m['url']})", text)
    text = _ROLE.sub(lambda m: m["text"], text)
    text = _LITERAL.sub(lambda m: f"`{m['text']}`", text)
    text = _REF.sub(lambda m: m["text"], text)
    return re.sub(r"(?<=\S)::\s*$", ":", text)
