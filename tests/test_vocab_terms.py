"""Every class and property the graphs use is defined in shared/vocab/ or ontology/sg.ttl.

CI runs on a fresh clone with ``shared/`` beside the repository; without it
these tests are skipped (they need the vocabulary snapshots, nothing else).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph

from scholargraph.vocab import Vocabulary, load_vocabulary, term_problems, undefined_terms, vocab_dir

REPO = Path(__file__).resolve().parents[1]
VOCAB = vocab_dir(REPO)
SHAPES_DATA = Path(__file__).parent / "data" / "shapes"

pytestmark = pytest.mark.skipif(
    not VOCAB.is_dir(),
    reason=f"vocabulary snapshots not found at {VOCAB} (clone shared/ beside the repository)",
)

PREFIXES = """\
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix schema: <https://schema.org/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix pro: <http://purl.org/spar/pro/> .
@prefix oco: <https://w3id.org/oc/ontology/> .
@prefix datacite: <http://purl.org/spar/datacite/> .
@prefix literal: <http://www.essepuntato.it/2010/06/literalreification/> .
@prefix frapo: <http://purl.org/cerif/frapo/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix sg: <https://w3id.org/scholargraph/ns#> .
@prefix ex: <https://example.org/scholargraph/> .
"""


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(VOCAB)


def worked_example() -> Graph:
    """The Turtle of docs/graph.md's worked example, made parseable.

    The page abridges: ``B:person/x`` (a slash is not allowed in a prefixed
    name), ``<.../x>`` for IRIs under the base, ``, ...`` for more values.
    """
    text = (REPO / "docs" / "graph.md").read_text(encoding="utf-8")
    block = text.split("## Worked example", 1)[1].split("```turtle\n", 1)[1].split("```", 1)[0]
    block = re.sub(r"^@prefix B:.*$", "", block, flags=re.MULTILINE)
    block = re.sub(r"\bB:([^\s;,]+)", r"<https://example.org/scholargraph/\1>", block)
    block = block.replace("<.../", "<https://example.org/scholargraph/")
    block = re.sub(r",\s*\.\.\.\s*;", " ;", block)
    return Graph().parse(data=PREFIXES + block, format="turtle")


def test_worked_example_uses_only_defined_terms(vocabulary: Vocabulary) -> None:
    graph = worked_example()
    assert len(graph) > 40  # the example was really read, not an empty block
    assert term_problems(graph, vocabulary) == {}


@pytest.mark.parametrize("name", ["valid.ttl"])
def test_passing_shape_graphs_use_only_defined_terms(vocabulary: Vocabulary, name: str) -> None:
    graph = Graph().parse(SHAPES_DATA / name)
    assert undefined_terms(graph, vocabulary) == set()


def test_default_vocabulary_is_found() -> None:
    graph = Graph().parse(data=PREFIXES + "ex:a a foaf:Person ; foaf:name 'A' .", format="turtle")
    assert undefined_terms(graph) == set()


def test_invented_archaic_and_forbidden_terms_are_reported(vocabulary: Vocabulary) -> None:
    graph = Graph().parse(
        data=PREFIXES
        + """
        ex:p a foaf:Person ; foaf:family_name "Le Ludec" ; schema:fooBar "x" ; rdfs:label "p" .
        ex:f a schema:FundingAgency, frapo:FundingAgency .
        ex:r a pro:RoleInTime ; oco:hasNext ex:s ; oco:hasPrevious ex:q ; sg:authorRank 1 ;
            sg:madeUp "y" ; pro:withRole pro:authr .
        ex:w a fabio:JournalArticle ; schema:sameAs <https://doi.org/10.1/x> .
        """,
        format="turtle",
    )
    assert term_problems(graph, vocabulary) == {
        "http://purl.org/spar/pro/authr": "not defined in shared/vocab/ or ontology/sg.ttl",
        "http://xmlns.com/foaf/0.1/family_name": "archaic FOAF term (vs:term_status)",
        "https://schema.org/FundingAgency": (
            "schema:FundingAgency is a kind of Project; type funders frapo:FundingAgency"
        ),
        "https://schema.org/fooBar": "not defined in shared/vocab/ or ontology/sg.ttl",
        "https://w3id.org/oc/ontology/hasPrevious": "not defined in shared/vocab/ or ontology/sg.ttl",
        "https://w3id.org/scholargraph/ns#madeUp": "not defined in shared/vocab/ or ontology/sg.ttl",
    }


def test_sg_terms_come_from_the_ontology(vocabulary: Vocabulary) -> None:
    for term in ("authorRank", "sha256", "possibleSameAs"):
        assert f"https://w3id.org/scholargraph/ns#{term}" in vocabulary.defined


def test_schema_attic_terms_are_not_defined(vocabulary: Vocabulary) -> None:
    # schema:ProductReturnPolicy is retired to the attic: in schemaorg-all-https.ttl only.
    attic = (VOCAB / "schemaorg-all-https.ttl").read_text(encoding="utf-8")
    assert "schema:ProductReturnPolicy a rdfs:Class" in attic
    assert "https://schema.org/ProductReturnPolicy" not in vocabulary.defined
