"""What a CV heading announces: section kinds and publication sub-kinds, English and French.

>>> classify_heading("EXPERIENCES")
(<Section.POSITIONS: 'positions'>, None)
>>> classify_heading("Articles dans des revues à comité de lecture")
(<Section.PUBLICATIONS: 'publications'>, <WorkType.JOURNAL_ARTICLE: 'JournalArticle'>)
"""

from __future__ import annotations

import enum
import re

from ..dates import fold
from ..records import WorkType


class Section(enum.Enum):
    POSITIONS = "positions"
    EDUCATION = "education"
    PUBLICATIONS = "publications"
    TALKS = "talks"
    TEACHING = "teaching"
    SERVICE = "service"
    SKILLS = "skills"
    HEARINGS = "hearings"
    UNSUPPORTED = "unsupported"  # a known kind of section the model has no place for


# (pattern on the folded heading, section, work sub-kind); first match wins.
_RULES: list[tuple[str, Section, WorkType | None]] = [
    (r"\b(?:auditions?|hearings?|testimon(?:y|ies)|expert evidence)\b", Section.HEARINGS, None),
    (r"\b(?:invited|conferences? invitees?|keynotes?)\b", Section.TALKS, WorkType.PRESENTATION),
    (r"\b(?:conferences?|proceedings|actes|colloques?|communications?|congres)\b", Section.PUBLICATIONS, WorkType.CONFERENCE_PAPER),
    (r"\b(?:talks?|invited talks?|presentations?|seminars?|seminaires?|workshops?|ateliers?|expos[e]s|interventions?|conferences invitees|keynotes?)\b", Section.TALKS, WorkType.PRESENTATION),
    (r"\b(?:journal|revues?|peer[- ]reviewed|comite de lecture|refereed|articles?)\b", Section.PUBLICATIONS, WorkType.JOURNAL_ARTICLE),
    (r"\b(?:reports?|rapports?|working papers?|policy|documents de travail|notes?)\b", Section.PUBLICATIONS, WorkType.REPORT),
    (r"\b(?:chapters?|chapitres?|contributions? a des ouvrages)\b", Section.PUBLICATIONS, WorkType.BOOK_CHAPTER),
    (r"\b(?:books?|ouvrages?|livres?|monographs?|monographies?)\b", Section.PUBLICATIONS, WorkType.BOOK),
    (r"\b(?:theses|thesis|these|dissertations?|memoires?)\b", Section.PUBLICATIONS, WorkType.DOCTORAL_THESIS),
    (r"\b(?:preprints?|other publications|autres publications|other outputs)\b", Section.PUBLICATIONS, WorkType.OTHER),
    (r"\b(?:publications?|bibliograph(?:y|ie)|papers|research outputs|productions? scientifiques?|travaux)\b", Section.PUBLICATIONS, None),
    (r"\b(?:teachings?|enseignements?|courses|cours|lectures|charges? d.enseignement|teaching experience)\b", Section.TEACHING, None),
    (r"\b(?:education|formations?|diplomes?|etudes|degrees?|academic background|qualifications|cursus|training)\b", Section.EDUCATION, None),
    (r"\b(?:experiences?|employment|positions?|appointments?|career|carriere|parcours|postes?|emplois?|work history)\b", Section.POSITIONS, None),
    (r"\b(?:service|engagements?|responsibilit(?:y|ies)|responsabilites?|administrati\w*|memberships?|mandats?|community|fonctions? electives?|commitments?|affiliations?)\b", Section.SERVICE, None),
    (r"\b(?:skills?|competences?|languages?|langues?|software|logiciels?|tools|outils|informatique|expertise)\b", Section.SKILLS, None),
    (r"\b(?:awards?|prix|distinctions?|honou?rs?|grants?|fellowships?|bourses?|financements?|interests?|centres? d.interet|references?|contact|hobbies|loisirs|projects?|projets?|media|presse|supervision|encadrement)\b", Section.UNSUPPORTED, None),
]

_YEAR_HEADING = re.compile(r"^\s*(?:19|20)\d\d(?:\s*[-–—/]\s*(?:(?:19|20)?\d\d|present|aujourd'hui|now))?\s*$", re.I)


def classify_heading(text: str) -> tuple[Section | None, WorkType | None]:
    """The section a heading opens, with the works' sub-kind where it says one."""
    folded = re.sub(r"[^a-z0-9' ]+", " ", fold(text)).strip()
    for pattern, section, subtype in _RULES:
        if re.search(pattern, folded):
            return section, subtype
    return None, None


def is_year_heading(text: str) -> bool:
    """``2020-2021``, ``2019``: a sub-heading that dates the entries under it."""
    return bool(_YEAR_HEADING.match(text))
