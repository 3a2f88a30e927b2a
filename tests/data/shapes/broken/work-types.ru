# No FaBiO type on one work, two on another, a mismatched pair on a third
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
DELETE DATA { <https://example.org/scholargraph/work/doi-10-5281-zenodo-4243160> a fabio:Presentation . <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067> a schema:ScholarlyArticle } ; INSERT DATA { <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067> a schema:Report . <https://example.org/scholargraph/work/halshs-03041375> a fabio:Book }
