# Malformed DOI, HAL id, ORCID and ROR
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
DELETE WHERE { ?id literal:hasLiteralValue "10.13169/workorgalaboglob.14.1.0067" } ; INSERT DATA { <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067/id/doi> literal:hasLiteralValue "https://doi.org/10.13169/x" } ; DELETE WHERE { <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067/id/hal> literal:hasLiteralValue ?v } ; INSERT DATA { <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067/id/hal> literal:hasLiteralValue "hal-02898905v2" } ; DELETE WHERE { <https://example.org/scholargraph/person/0000-0002-1694-233X/id/orcid> literal:hasLiteralValue ?v } ; INSERT DATA { <https://example.org/scholargraph/person/0000-0002-1694-233X/id/orcid> literal:hasLiteralValue "0000-0002-1694-233" } ; DELETE WHERE { <https://example.org/scholargraph/org/institut-polytechnique-de-paris/id/ror> literal:hasLiteralValue ?v } ; INSERT DATA { <https://example.org/scholargraph/org/institut-polytechnique-de-paris/id/ror> literal:hasLiteralValue "https://ror.org/042tfbd02" }
