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
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace

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
# What _SPACES changes when it replaces a match by " ": a space that is not " ", or two in a row.
_ODD_SPACES = re.compile(r"[\t\u00a0\u2000-\u200b\u202f\u205f\u3000]|  ")


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
    if _ODD_SPACES.search(text) is None:  # only single spaces: the substitution would change nothing
        return text.strip()
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
_ENTITY_START = re.compile(r"&[#A-Za-z0-9]")


def html_as_markdown(source: str) -> str:
    """The HTML of ``source`` as Markdown (links, bold, italic, breaks; other known tags dropped): parsing's first step."""
    if "<" in source:  # every pattern of _angle_brackets and _HTML_MAP starts with "<"
        source = _angle_brackets(source)
        for pattern, replacement in _HTML_MAP:
            source = pattern.sub(replacement, source)
    return source


def has_entity(source: str) -> bool:
    """Whether an ``&`` of ``source`` may start an HTML entity (else it is text)."""
    return "&" in source and _ENTITY_START.search(source) is not None


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
    source = html_as_markdown(source)
    if _ODD_SPACES.search(source) is not None:  # (else every space is one " ": nothing to replace)
        source = _SPACES.sub(" ", source)
    markup = set(_INLINE_MARKUP.findall(source))
    if not markup:
        return source, (), (), ()
    if markup <= {"*", "&"} and not has_entity(source):
        # bold and italic only (most CV lines; "&" before no letter nor "#" is no entity):
        # markdown-it's emphasis without markdown-it
        styled = _styled(_star_tokens(source))
    else:
        styled = _markdown_inline(source)
    return styled.text, tuple(styled.bold), tuple(styled.italic), tuple(styled.links)


def _markdown_inline(source: str) -> Styled:
    tokens = _MD.parseInline(source)
    return _styled(tokens[0].children or [] if tokens else [])


class _Token:
    """The fields of a markdown-it token that :func:`_styled` reads."""

    __slots__ = ("type", "content", "attrs")

    def __init__(self, content: str) -> None:
        self.type = "text"
        self.content = content
        self.attrs: dict[str, str] = {}


class _Delimiter:
    __slots__ = ("length", "token", "end", "open", "close")

    def __init__(self, length: int, token: int, can_open: bool, can_close: bool) -> None:
        self.length, self.token, self.end, self.open, self.close = length, token, -1, can_open, can_close


def _star_tokens(src: str) -> list[_Token]:
    """The inline tokens markdown-it ("commonmark") makes of ``src`` when its only markup is ``*``.

    A transcription of markdown-it-py's ``emphasis.tokenize`` (with ``StateInline.scanDelims``),
    ``balance_pairs.processDelimiters`` and ``emphasis._postProcess`` for the one marker ``*``,
    on markdown-it's own character classes; text between markers is one token (markdown-it may
    split it, which joins to the same text).  ``tests/test_refs.py`` compares the two on
    random lines.
    """
    tokens: list[_Token] = []
    delimiters: list[_Delimiter] = []
    size = len(src)
    pos = 0
    while pos < size:
        star = src.find("*", pos)
        if star < 0:
            tokens.append(_Token(src[pos:]))
            break
        if star > pos:
            tokens.append(_Token(src[pos:star]))
        end = star
        while end < size and src[end] == "*":
            end += 1
        last = src[star - 1] if star > 0 else " "
        after = src[end] if end < size else " "
        last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
        next_punct = isMdAsciiPunct(ord(after)) or isPunctChar(after)
        last_space = isWhiteSpace(ord(last))
        next_space = isWhiteSpace(ord(after))
        left_flanking = not (next_space or (next_punct and not (last_space or last_punct)))
        right_flanking = not (last_space or (last_punct and not (next_space or next_punct)))
        for _ in range(end - star):  # "*" may split words: can open = left-flanking, can close = right-flanking
            tokens.append(_Token("*"))
            delimiters.append(_Delimiter(end - star, len(tokens) - 1, left_flanking, right_flanking))
        pos = end
    _balance(delimiters)
    _emphasis(tokens, delimiters)
    return tokens


def _balance(delimiters: list[_Delimiter]) -> None:
    """``balance_pairs.processDelimiters`` for one marker."""
    openers_bottom = [-1, -1, -1, -1, -1, -1]
    header = 0
    last_token = -2
    jumps: list[int] = []
    for closer_index, closer in enumerate(delimiters):
        jumps.append(0)
        if last_token != closer.token - 1:
            header = closer_index
        last_token = closer.token
        if not closer.close:
            continue
        bottom = openers_bottom[(3 if closer.open else 0) + closer.length % 3]
        opener_index = header - jumps[header] - 1
        new_bottom = opener_index
        while opener_index > bottom:
            opener = delimiters[opener_index]
            if opener.open and opener.end < 0:
                odd = (
                    (opener.close or closer.open)
                    and (opener.length + closer.length) % 3 == 0
                    and (opener.length % 3 != 0 or closer.length % 3 != 0)
                )
                if not odd:
                    last_jump = jumps[opener_index - 1] + 1 if opener_index > 0 and not delimiters[opener_index - 1].open else 0
                    jumps[closer_index] = closer_index - opener_index + last_jump
                    jumps[opener_index] = last_jump
                    closer.open = False
                    opener.end = closer_index
                    opener.close = False
                    new_bottom = -1
                    last_token = -2
                    break
            opener_index -= jumps[opener_index] + 1
        if new_bottom != -1:
            openers_bottom[(3 if closer.open else 0) + closer.length % 3] = new_bottom


def _emphasis(tokens: list[_Token], delimiters: list[_Delimiter]) -> None:
    """``emphasis._postProcess`` for one marker: matched pairs become em or strong."""
    i = len(delimiters) - 1
    while i >= 0:
        start = delimiters[i]
        if start.end == -1:
            i -= 1
            continue
        end = delimiters[start.end]
        strong = (
            i > 0
            and delimiters[i - 1].end == start.end + 1
            and delimiters[i - 1].token == start.token - 1
            and delimiters[start.end + 1].token == end.token + 1
        )
        tokens[start.token].type = "strong_open" if strong else "em_open"
        tokens[start.token].content = ""
        tokens[end.token].type = "strong_close" if strong else "em_close"
        tokens[end.token].content = ""
        if strong:
            tokens[delimiters[i - 1].token].content = ""
            tokens[delimiters[start.end + 1].token].content = ""
            i -= 1
        i -= 1


def _styled(children) -> Styled:  # type: ignore[no-untyped-def]
    """Plain text and marks of inline tokens."""
    out: list[str] = []
    styled = Styled("")
    stack: dict[str, int] = {}
    length = 0
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


@functools.lru_cache(maxsize=1 << 16)  # pure; five substitutions, on every field of every reference
def tidy(text: str) -> str:
    """Trim spaces and trailing separators (``.``, ``,``, ``;``, ``:``, dashes) from a field."""
    text = clean_spaces(text)
    text = _LEADING_SEPARATORS.sub("", text)
    text = _TRAILING_SEPARATORS.sub("", text)
    text = _TRAILING_PERIODS.sub("", text).rstrip()
    text = _QUESTION_PERIOD.sub(" ?" if text.endswith(" ?.") else "?", text)
    return text.strip()


_LEADING_SEPARATORS = re.compile(r"^[\s,;:.\-–—]+")
_TRAILING_SEPARATORS = re.compile(r"[\s,;:\-–—]+$")
_TRAILING_PERIODS = re.compile(r"(?<![.?!])\.+$")
_QUESTION_PERIOD = re.compile(r"\s*\?\.$")
