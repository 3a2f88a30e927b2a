"""A small, deterministic guess of a title's language from its function words.

Only a clear majority gives a tag; anything doubtful stays untagged (``None``),
since a wrong language tag is worse than none.

>>> guess_language("Hidden inequalities: the gendered labour of women on micro-tasking platforms")
'en'
>>> guess_language("Counting micro-workers: societal and methodological challenges") is None  # one function word
True
>>> guess_language("Quel statut pour les petits doigts de l'intelligence artificielle ?")
'fr'
"""

from __future__ import annotations

import functools
import re

from .dates import fold

_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the of and in on for to with from by an at is are beyond behind new which what how who around toward towards between its their this that into".split()),
    "fr": frozenset("le la les des du de un une et en pour sur dans au aux par quel quelle quels est sont vers avec entre ou sans ce cette ces l d qu".split()),
    "es": frozenset("el la los las del de un una y en para sobre por con entre una investigacion".split()),
    "de": frozenset("der die das und ein eine mit fur von zu im auf uber".split()),
    "it": frozenset("il lo gli della delle degli e per con una uno nel nella sul".split()),
    "pt": frozenset("o os as da das do dos um uma e em para com por na no".split()),
}


# Each function word's languages, so that a title's words are looked up once each.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in _WORDS.items():
    for _word in _vocab:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)
_WORD = re.compile(r"[a-z]+")


@functools.lru_cache(maxsize=1 << 14)
def guess_language(text: str) -> str | None:
    words = _WORD.findall(fold(text))
    if len(words) < 3:
        return None
    scores = dict.fromkeys(_WORDS, 0)  # how many of the words each language has
    for word in words:
        for lang in _LANGUAGES_OF.get(word, ()):
            scores[lang] += 1
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    (best, top), (_, second) = ranked[0], ranked[1]
    if top >= 2 and top >= second + 2 and top >= len(words) * 0.15:
        return best
    return None
