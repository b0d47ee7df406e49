"""Whether a word is an English word: the vocabulary the model package already ships.

A sentence's first word is capitalised whatever it is, so its capital says nothing; but a
word there that no English dictionary holds ("Accenture did the review", "Vinted. Young
people sell ...") is a name far more often than not. The installed spaCy pipeline
(en_core_web_sm, see models/README.md) ships its lemmatizer's tables: the WordNet lemma
index (about 83,000 English nouns, verbs, adjectives and adverbs) with the rules and
exceptions that reduce an inflected word to its lemma ("queues" -> "queue", "fetched" ->
"fetch"). Together with spaCy's English stop words (which WordNet leaves out) that is a
general, public English vocabulary; nothing here was chosen from the test transcripts.

Read from the installed package only (nothing is downloaded), once per process; where the
package is missing the vocabulary is empty and every rule that needs it finds nothing.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pipeline.pseudonymise.ner import load_vocabulary

__all__ = ["english_words", "is_english"]

# Words of speech, spelling and contraction the dictionary does not hold.
_SPEECH = frozenset("""
everybody somebody nobody anybody nah whoa gosh geez jeez huh oops ugh yay aha yikes ouch phew meh hm mmm uhm
ahh ohh eh yeah yep yup nope okay ok um uh er erm hmm mm mhm uh-huh mm-hmm ah aw oh ooh wow hey hi hiya bye ta cheers aye
och gonna wanna gotta dunno kinda sorta lemme gimme innit y'know cos cause til till pls plz thanx thanks email emails
online offline website websites app apps covid wifi
""".split())


@lru_cache(maxsize=1)
def english_words() -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(words, suffix rules): the lemma index and exceptions with the stop words and the
    words of speech above; empty when the model package is not installed."""
    words, suffixes = load_vocabulary()
    return (words | _SPEECH if words else words), suffixes


def is_english(word: str) -> bool:
    """Whether ``word`` (any casing; a possessive, hyphens and inflections allowed) is an
    English word; False for every word when the vocabulary could not be read."""
    words, suffixes = english_words()
    if not words:
        return False
    word = word.lower().replace("’", "'")
    for ending in ("'s", "'"):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            word = word[: -len(ending)]
    if word in words or "'" in word:  # "didn't", "i'm": contractions are speech
        return True
    plain = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    if plain != word:
        return is_english(plain)  # "café", "naïve": English words written with their accents
    if "-" in word:
        return all(part and is_english(part) for part in word.split("-"))
    if word.endswith("ly") and word[:-2] in words:
        return True
    return _inflected(word, words, suffixes) or _compound(word, words, suffixes)


def _inflected(word: str, words: frozenset[str], suffixes: tuple[tuple[str, str], ...], shortest: int = 1) -> bool:
    return any(word.endswith(old) and len(lemma := word[: len(word) - len(old)] + new) >= shortest and lemma in words
               for old, new in suffixes)


def _compound(word: str, words: frozenset[str], suffixes: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``word`` is two English words run together ("hotline", "lifejackets", "timesheets").
    The second word has four letters or more, also once its ending is taken off: the lemma
    index holds many short rare words and abbreviations ("hin", "dos", "ive"), and with them
    nearly any name splits into two "words" (fen+hin, car+nos, sand+iver)."""
    return any(word[:cut] in words and (word[cut:] in words or _inflected(word[cut:], words, suffixes, 4))
               for cut in range(3, len(word) - 3))
