"""Inline text: Markdown emphasis, HTML tags and links, reduced to plain text with marks.

Readers see a line as :class:`Styled`: its plain text and the character ranges
that were bold or italic, so that a bold self-name or an italic venue is found
wherever it stands.  Inline parsing is markdown-it-py's; HTML tags that CVs put
in table cells (``<b>``, ``<i>``, ``<br>``) are first turned into Markdown.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark")
BREAK = "\n"

_HTML_MAP = [
    # <a href="url">text</a> → [text](url), so that a DOI or HAL link on a title is kept
    (re.compile(r"<\s*a\s[^>]*?href\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)<\s*/\s*a\s*>", re.I | re.S), r"[\2](\1)"),
    (re.compile(r"<\s*br\s*/?\s*>", re.I), BREAK),
    (re.compile(r"<\s*/?\s*(?:b|strong)\s*>", re.I), "**"),
    (re.compile(r"<\s*/?\s*(?:i|em|cite)\s*>", re.I), "*"),
    (re.compile(r"<\s*/?\s*(?:span|font|u|small|sup|sub|p|div)(?:\s[^<>]*)?>", re.I), ""),
]
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


@dataclass
class Styled:
    """Plain text with the ranges that were bold or italic, and link targets."""

    text: str
    bold: list[tuple[int, int]] = field(default_factory=list)
    italic: list[tuple[int, int]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def spans(self, kind: str) -> list[str]:
        ranges = self.bold if kind == "bold" else self.italic
        return [self.text[a:b].strip() for a, b in ranges if self.text[a:b].strip()]

    def is_italic(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.italic)

    def is_bold(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.bold)


def clean_spaces(text: str) -> str:
    """Collapse runs of spaces (no-break spaces included) and trim."""
    return _SPACES.sub(" ", text).strip()


_KNOWN_TAGS = frozenset("a b i em strong br span font u small sup sub p div cite img code abbr s del ins mark".split())
_ANGLED = re.compile(r"<(/?)([^<>\s/]+)(\s[^<>]*)?(/?)>")


def _angle_brackets(source: str) -> str:
    """``<hal-02139528>`` is a bracketed identifier, not an HTML tag: write it ⟨…⟩."""

    def repl(m: re.Match[str]) -> str:
        if m.group(2).lower() in _KNOWN_TAGS:
            return m.group(0)
        return f"⟨{m.group(2)}⟩" if not m.group(1) and not m.group(3) else m.group(0)

    return _ANGLED.sub(repl, source)


# Characters at which one of the inline rules of markdown-it's "commonmark" preset
# (newline, escape, backticks, emphasis, link, image, autolink, html_inline, entity)
# can start, or that its normalize rule rewrites.  A line without any of them is one
# text token holding the line as it is, so markdown-it is not called for it.
_INLINE_MARKUP = re.compile(r"[\n\r\x00\\`*_\[\]!<>&]")


def parse_inline(source: str) -> Styled:
    """Parse one line (or cell) of Markdown/HTML into :class:`Styled`."""
    text, bold, italic, links = _parse_inline(source)
    return Styled(text, list(bold), list(italic), list(links))


# Readers parse the same fragments again (a line, then its parts); memoised on the
# string, a fresh Styled each time (Styled is mutable).
@functools.lru_cache(maxsize=1 << 16)
def _parse_inline(
    source: str,
) -> tuple[str, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...], tuple[str, ...]]:
    source = _angle_brackets(source)
    for pattern, replacement in _HTML_MAP:
        source = pattern.sub(replacement, source)
    source = _SPACES.sub(" ", source)
    if not _INLINE_MARKUP.search(source):
        return source, (), (), ()
    styled = _markdown_inline(source)
    return styled.text, tuple(styled.bold), tuple(styled.italic), tuple(styled.links)


def _markdown_inline(source: str) -> Styled:
    out: list[str] = []
    styled = Styled("")
    stack: dict[str, int] = {}
    length = 0
    tokens = _MD.parseInline(source)
    children = tokens[0].children or [] if tokens else []
    for tok in children:
        if tok.type in ("text", "code_inline", "html_inline"):
            piece = tok.content if tok.type != "html_inline" else re.sub(r"<[^>]*>", "", tok.content)
            out.append(piece)
            length += len(piece)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(BREAK)
            length += 1
        elif tok.type in ("strong_open", "em_open"):
            stack[tok.type] = length
        elif tok.type in ("strong_close", "em_close"):
            opener = tok.type.replace("_close", "_open")
            start = stack.pop(opener, length)
            (styled.bold if tok.type == "strong_close" else styled.italic).append((start, length))
        elif tok.type == "link_open":
            href = str(tok.attrs.get("href", ""))
            if href:
                styled.links.append(href)
        elif tok.type == "image":
            continue
    styled.text = "".join(out)
    return styled


@functools.lru_cache(maxsize=1 << 16)
def plain(source: str) -> str:
    """The plain text of a Markdown/HTML fragment, spaces collapsed."""
    return clean_spaces(_parse_inline(source)[0].replace(BREAK, " "))


QUOTES = "\"'“”„‟«»‘’‚‛‹›"


def strip_quotes(text: str) -> str:
    """Drop quotes that wrap the whole text, and outer spaces."""
    text = text.strip()
    while len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    return text


def tidy(text: str) -> str:
    """Trim spaces and trailing separators (``.``, ``,``, ``;``, ``:``, dashes) from a field."""
    text = clean_spaces(text)
    text = re.sub(r"^[\s,;:.\-–—]+", "", text)
    text = re.sub(r"[\s,;:\-–—]+$", "", text)
    text = re.sub(r"(?<![.?!])\.+$", "", text).rstrip()
    text = re.sub(r"\s*\?\.$", " ?" if text.endswith(" ?.") else "?", text)
    return text.strip()
