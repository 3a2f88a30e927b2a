"""Which terms a graph may use: those of the reused vocabularies and of ``ontology/sg.ttl``.

The reused vocabularies are the snapshots in ``shared/vocab/`` beside the
repository (``<repo>/../shared/vocab``; see its README for their sources).
A term is *defined* when a vocabulary file gives it an ``rdf:type`` (a class,
a property, or an individual such as ``datacite:doi`` or ``pro:author``).

:func:`term_problems` checks every property, every class (object of
``rdf:type``) and every other IRI in one of the model's vocabulary namespaces
that a graph uses, and rejects

- terms no vocabulary file defines (typos, invented terms, schema.org terms
  retired to the attic: only ``schemaorg-current-https.ttl`` is read);
- FOAF terms whose ``vs:term_status`` is ``"archaic"``;
- ``schema:FundingAgency`` (a kind of Project, not a funder; use
  ``frapo:FundingAgency``).

RDF, RDFS, OWL and XSD terms are built in.  One documented exception:
``oco:hasNext``, whose ontology no fetchable file defines (see the vocab
README).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as importlib_resources
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from .namespaces import OCO, PREFIXES, RDF, SCHEMA
from .resources import resource_dir

__all__ = [
    "VOCABULARY_FILES",
    "Vocabulary",
    "load_vocabulary",
    "ontology_dir",
    "term_problems",
    "undefined_terms",
    "vocab_dir",
]

# The vocabulary snapshots that define terms.  Left out on purpose:
# schemaorg-all-https.ttl (it adds retired attic terms) and the two SHACL
# files (schemaorg-shapes.shacl.ttl, oc_ocdm-shacle.ttl), which define none.
VOCABULARY_FILES: tuple[str, ...] = (
    "bibo.owl",
    "datacite.ttl",
    "dcat3.ttl",
    "dcterms.nq",
    "fabio.ttl",
    "foaf.nq",
    "frapo.ttl",
    "frbr.ttl",
    "literal.ttl",
    "org.ttl",
    "pro.ttl",
    "prov-o.ttl",
    "pso.ttl",
    "schemaorg-current-https.ttl",
    "scoro.ttl",
    "tvc.ttl",
    "void.nq",
)
BUILT_IN_NAMESPACES: tuple[str, ...] = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2001/XMLSchema#",
)
# Terms used although no vocabulary file defines them, each with its reason.
EXCEPTIONS: dict[str, str] = {
    str(OCO.hasNext): "OpenCitations Ontology: no fetchable file (shared/vocab/README.md)",
}
FORBIDDEN: dict[str, str] = {
    str(SCHEMA.FundingAgency): "schema:FundingAgency is a kind of Project; type funders frapo:FundingAgency",
}
_TERM_STATUS = URIRef("http://www.w3.org/2003/06/sw-vocab-status/ns#term_status")
_FORMATS = {".ttl": "turtle", ".nq": "nquads", ".owl": "xml"}
# IRIs in these namespaces are checked wherever they occur, not only as
# properties and classes (base IRIs and external links are not).
_CHECKED_NAMESPACES: tuple[str, ...] = tuple(
    namespace
    for prefix, namespace in sorted(PREFIXES.items())
    if namespace not in BUILT_IN_NAMESPACES
)


@dataclass(frozen=True)
class Vocabulary:
    """The defined terms, and the archaic FOAF terms among them."""

    defined: frozenset[str]
    archaic: frozenset[str]


def ontology_dir() -> Path:
    """The directory of ``shapes.ttl`` and ``sg.ttl``.

    ``src/scholargraph/ontology`` links to the repository's ``ontology/`` and
    ships as package data, so ``importlib.resources`` finds it in editable and
    normal installs alike; failing that (a checkout without symlinks), the
    checkout's ``ontology/``.
    """
    packaged = importlib_resources.files("scholargraph") / "ontology"
    if (packaged / "shapes.ttl").is_file():
        return Path(str(packaged))
    return resource_dir("ontology")


def vocab_dir(repo_root: Path | None = None) -> Path:
    """``<repo>/../shared/vocab``; ``repo_root`` defaults to the checkout of this package."""
    root = repo_root if repo_root is not None else Path(__file__).resolve().parents[2]
    return Path(root).parent / "shared" / "vocab"


def load_vocabulary(directory: Path | None = None, sg_path: Path | None = None) -> Vocabulary:
    """Read the vocabulary files of ``directory`` (default :func:`vocab_dir`) and ``sg.ttl``.

    Raises FileNotFoundError, naming the path, if a file is missing.
    """
    directory = directory if directory is not None else vocab_dir()
    sg_path = sg_path if sg_path is not None else ontology_dir() / "sg.ttl"
    return _load(directory.resolve(), sg_path.resolve())


@lru_cache(maxsize=4)
def _load(directory: Path, sg_path: Path) -> Vocabulary:
    defined: set[str] = set()
    archaic: set[str] = set()
    for name in VOCABULARY_FILES:
        graph = _parse(directory / name)
        defined.update(str(s) for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef))
        archaic.update(
            str(s) for s, o in graph.subject_objects(_TERM_STATUS) if str(o) == "archaic"
        )
    sg = _parse(sg_path)
    defined.update(str(s) for s in sg.subjects(RDF.type, None) if isinstance(s, URIRef))
    return Vocabulary(defined=frozenset(defined), archaic=frozenset(archaic))


def _parse(path: Path) -> Graph:
    if not path.is_file():
        raise FileNotFoundError(f"vocabulary file {path} is missing")
    fmt = _FORMATS[path.suffix]
    if fmt == "nquads":
        dataset = Dataset()
        dataset.parse(path, format=fmt)
        graph = Graph()
        for s, p, o, _context in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return Graph().parse(path, format=fmt)


def _used_terms(graph: Graph) -> set[str]:
    used: set[str] = set()
    for s, p, o in graph:
        used.add(str(p))
        if p == RDF.type and isinstance(o, URIRef):
            used.add(str(o))
        for node in (s, o):
            if isinstance(node, URIRef) and str(node).startswith(_CHECKED_NAMESPACES):
                used.add(str(node))
    return used


def term_problems(graph: Graph, vocabulary: Vocabulary | None = None) -> dict[str, str]:
    """Every term of ``graph`` that may not be used, with the reason."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    problems: dict[str, str] = {}
    for term in sorted(_used_terms(graph)):
        if term in FORBIDDEN:
            problems[term] = FORBIDDEN[term]
        elif term in vocabulary.archaic:
            problems[term] = "archaic FOAF term (vs:term_status)"
        elif term in EXCEPTIONS or term.startswith(BUILT_IN_NAMESPACES):
            continue
        elif term not in vocabulary.defined:
            problems[term] = "not defined in shared/vocab/ or ontology/sg.ttl"
    return problems


def undefined_terms(graph: Graph, vocabulary: Vocabulary | None = None) -> set[str]:
    """The IRIs of the classes, properties and vocabulary terms ``graph`` may not use."""
    return set(term_problems(graph, vocabulary))
