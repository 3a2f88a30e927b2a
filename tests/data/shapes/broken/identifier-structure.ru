# An unknown scheme, an identifier shared by two works, two DOIs on one work
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
DELETE WHERE { <https://example.org/scholargraph/work/doi-10-5281-zenodo-4243160/id/doi> datacite:usesIdentifierScheme ?s } ; INSERT DATA { <https://example.org/scholargraph/work/doi-10-5281-zenodo-4243160/id/doi> datacite:usesIdentifierScheme datacite:isbn . <https://example.org/scholargraph/work/halshs-03041375> datacite:hasIdentifier <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067/id/hal> . <https://example.org/scholargraph/work/doi-10-13169-workorgalaboglob-14-1-0067> datacite:hasIdentifier <https://example.org/scholargraph/x/id/doi> . <https://example.org/scholargraph/x/id/doi> a datacite:Identifier ; datacite:usesIdentifierScheme datacite:doi ; literal:hasLiteralValue "10.1000/xyz" }
