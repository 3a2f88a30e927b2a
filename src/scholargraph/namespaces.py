"""Every RDF prefix the project uses, in one place.

The table mirrors ``shared/design/model.md``.  ``PREFIXES`` is what the Turtle
writer declares; ``sg`` is the project's own vocabulary (``ontology/sg.ttl``).
"""

from __future__ import annotations

from rdflib import Namespace

FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = Namespace("https://schema.org/")
FABIO = Namespace("http://purl.org/spar/fabio/")
PRO = Namespace("http://purl.org/spar/pro/")
OCO = Namespace("https://w3id.org/oc/ontology/")
DATACITE = Namespace("http://purl.org/spar/datacite/")
LITERAL = Namespace("http://www.essepuntato.it/2010/06/literalreification/")
FRAPO = Namespace("http://purl.org/cerif/frapo/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SG = Namespace("https://w3id.org/scholargraph/ns#")

PREFIXES: dict[str, str] = {
    "bibo": str(BIBO),
    "datacite": str(DATACITE),
    "dcterms": str(DCTERMS),
    "fabio": str(FABIO),
    "foaf": str(FOAF),
    "frapo": str(FRAPO),
    "literal": str(LITERAL),
    "oco": str(OCO),
    "pro": str(PRO),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "schema": str(SCHEMA),
    "sg": str(SG),
    "xsd": str(XSD),
}
