# An organisation without provenance, a role derived from a whole document
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX schema: <https://schema.org/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX pro: <http://purl.org/spar/pro/>
PREFIX oco: <https://w3id.org/oc/ontology/>
PREFIX datacite: <http://purl.org/spar/datacite/>
PREFIX literal: <http://www.essepuntato.it/2010/06/literalreification/>
PREFIX frapo: <http://purl.org/cerif/frapo/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX sg: <https://w3id.org/scholargraph/ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
DELETE WHERE { <https://example.org/scholargraph/org/diplab> prov:wasDerivedFrom ?s } ; INSERT DATA { <https://example.org/scholargraph/role/clement-le-ludec-position-phd-student-institut-polytechnique-de-paris-2020-01> prov:wasDerivedFrom <https://example.org/scholargraph/source/cv-clement-le-ludec.md> }
