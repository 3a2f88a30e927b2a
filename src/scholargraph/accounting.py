"""Nothing lost: every non-blank line of a document is accounted for after the build.

A line is accounted for when one of these holds:

* an entity of the graph cites it: ``prov:wasDerivedFrom <{source}#line=a,b>``
  (RFC 5147 line fragments: ``line=a,b`` is lines ``a+1`` to ``b``, 1-based);
* the reader listed it as unmapped (``document.unmapped``, shown in the build
  summary and ``report.yaml``);
* the reader listed it as markup (``document.markup_lines``: headings, rules,
  table separators, syntax of structured formats);
* the reader transcribed it into records that cite another document
  (``document.transcribed_lines``: a curated-records file keeps the spans of the
  document it was extracted from, so the facts are cited there).

A line that is none of these was read into a record that never reached the
graph, or skipped without a word: :func:`unaccounted` finds them for a build.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Limits
from .identifiers import iri_segment
from .namespaces import PROV
from .records import Document

_WAS_DERIVED_FROM = str(PROV.wasDerivedFrom)
_DERIVED_FROM_IN_LINE = f" <{_WAS_DERIVED_FROM}> <"
_LINE_FRAGMENT = re.compile(r"line=(\d+)(?:,(\d+))?")


def source_iri(base_iri: str, document_path: str) -> str:
    """The IRI that provenance gives the document ``document_path`` (relative, with ``/``)."""
    return base_iri + "source/" + "/".join(iri_segment(part) for part in document_path.split("/"))


def _iri(term: Any) -> str:
    value = getattr(term, "value", None)
    return value if isinstance(value, str) else str(term)


def cited_lines(triples: Iterable[Any], source_iri: str) -> set[int]:
    """The lines of the document at ``source_iri`` that some ``prov:wasDerivedFrom`` cites.

    ``triples`` are pyoxigraph triples (or ``(s, p, o)`` tuples of rdflib
    terms).  ``#line=a,b`` cites lines ``a+1`` to ``b``; ``#line=a`` alone is a
    position between lines (RFC 5147) and cites none.
    """
    return citations(triples).get(source_iri, set())


def citations(triples: Iterable[Any]) -> dict[str, set[int]]:
    """Every source IRI that provenance cites, with the lines cited (see :func:`cited_lines`).

    ``triples`` may also be N-Triples lines (``<s> <p> <o> .``, as
    :func:`scholargraph.mapping.build_lines` writes them).
    """
    cited: dict[str, set[int]] = {}
    for triple in triples:
        if isinstance(triple, str):
            found = _cited_range(triple)
        else:
            predicate, obj = (triple.predicate, triple.object) if hasattr(triple, "predicate") else (triple[1], triple[2])
            found = _source_and_range(_iri(obj)) if _iri(predicate) == _WAS_DERIVED_FROM else None
        if found is None:
            continue
        source, span = found
        lines = cited.setdefault(source, set())
        if span is not None:
            lines.update(range(span[0] + 1, span[1] + 1))
    return cited


def _source_and_range(obj: str) -> tuple[str, tuple[int, int] | None]:
    """(source IRI, (a, b)) of a provenance object citing ``#line=a,b``; (source, None) for
    another fragment or none."""
    base, hash_mark, fragment = obj.partition("#")
    match = _LINE_FRAGMENT.fullmatch(fragment) if hash_mark else None
    if match is not None and match.group(2) is not None:
        return base, (int(match.group(1)), int(match.group(2)))
    return base, None


def _cited_range(line: str) -> tuple[str, tuple[int, int] | None] | None:
    """:func:`_source_and_range` of an N-Triples line's object if the line is a
    ``prov:wasDerivedFrom`` one, else None."""
    end = line.find(" ")  # the subject has no space: the predicate follows it
    if not line.startswith(_DERIVED_FROM_IN_LINE, end):
        return None
    return _source_and_range(line[end + len(_DERIVED_FROM_IN_LINE) : line.rindex(">")])


def unaccounted_lines(document: Document, text: str, cited: set[int]) -> list[int]:
    """The non-blank lines of ``text`` neither in ``cited``, nor unmapped, nor markup, in order.

    Lines are counted as the readers count them (``str.splitlines``).
    """
    accounted = set(cited) | set(document.markup_lines) | set(document.transcribed_lines)
    for item in document.unmapped:
        accounted.update(range(item.span.start, item.span.end + 1))
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and line.strip() != "\ufeff" and number not in accounted
    ]


def unaccounted(
    documents: Iterable[Document], triples: Iterable[Any], base_iri: str, texts: Mapping[str, str]
) -> dict[str, list[int]]:
    """For each document (by its path) with unaccounted lines, those lines; empty when nothing is lost.

    ``texts`` maps each document's path to its text (see :func:`read_texts`).
    """
    cited = citations(triples)
    return unaccounted_with(
        documents, base_iri, lambda source: cited.get(source, set()), lambda document: texts[document.path]
    )


def read_texts(documents: Iterable[Document], data_dir: Path, limits: Limits | None = None) -> dict[str, str]:
    """The text of each document, read again from ``data_dir`` as the readers read it."""
    from .readers import decode

    return {document.path: decode(data_dir / document.path, limits) for document in documents}


# ------------------------------------------------------------------- by difference
# A rebuild knows which lines of the graph changed: the citations of the other documents are
# the last build's, so only the documents that changed, or whose citations did, are counted
# again (at a million triples, scanning every line for its citations takes ~1 s).


@dataclass
class Citations:
    """How many lines of the graph cite each range of each source (``#line=a,b``); what
    :func:`citations` gives, kept so that a rebuild can update it by difference."""

    counts: dict[str, Counter[tuple[int, int] | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: Iterable[str]) -> Citations:
        found = cls()
        found.update(lines, 1)
        return found

    def update(self, lines: Iterable[str], step: int) -> set[str]:
        """Count ``lines`` in (``step`` 1) or out (-1); return the sources they cite."""
        touched: set[str] = set()
        counts = self.counts
        for line in lines:
            cited = _cited_range(line)
            if cited is None:
                continue
            source, span = cited
            counter = counts.get(source)
            if counter is None:
                counter = counts[source] = Counter()
            counter[span] += step
            if counter[span] <= 0:
                del counter[span]
            if not counter:
                del counts[source]
            touched.add(source)
        return touched

    def lines_of(self, source: str) -> set[int]:
        """The lines of ``source`` cited (as :func:`cited_lines`)."""
        cited: set[int] = set()
        for span in self.counts.get(source, ()):
            if span is not None:
                cited.update(range(span[0] + 1, span[1] + 1))
        return cited


def unaccounted_by_difference(
    documents: Iterable[Document],
    base_iri: str,
    citations_then: Citations,
    results_then: Mapping[str, tuple[str, list[int]]],
    removed: Iterable[str],
    added: Iterable[str],
    text_of: Callable[[Document], str],
) -> dict[str, list[int]]:
    """:func:`unaccounted` for the new graph, from the last build's citations and results
    (``path -> (sha256, lines)``) and the lines the graph lost and gained; ``citations_then``
    becomes the new graph's.  Only the documents that changed, or whose citations did, are
    read again (``text_of``)."""
    touched = citations_then.update(removed, -1) | citations_then.update(added, 1)
    return unaccounted_with(documents, base_iri, citations_then.lines_of, text_of, results_then, touched)


def unaccounted_with(
    documents: Iterable[Document],
    base_iri: str,
    cited_of: Callable[[str], set[int]],
    text_of: Callable[[Document], str],
    results_then: Mapping[str, tuple[str, list[int]]] | None = None,
    touched: set[str] | frozenset[str] = frozenset(),
) -> dict[str, list[int]]:
    """:func:`unaccounted` given the lines cited of each source (``cited_of``) and each
    document's text (``text_of``).  A document found in ``results_then`` (``path -> (sha256,
    lines)``) with the same bytes, and whose source is not ``touched`` (its citations
    changed), keeps its lines there without being read."""
    found: dict[str, list[int]] = {}
    for document in documents:
        source = source_iri(base_iri, document.path)
        then = results_then.get(document.path) if results_then is not None else None
        if then is not None and then[0] == document.sha256 and source not in touched:
            lines = then[1]
        else:
            lines = unaccounted_lines(document, text_of(document), cited_of(source))
        if lines:
            found[document.path] = lines
    return found
