"""Capitalised words that are not names of anyone or anywhere in particular: languages,
nationalities and faiths ("Welsh", "Tigrinya", "Eritreans"), God, and platforms everyone
uses ("Instagram"). English capitalises them, so the model and the capitals rules take them
for names; on their own they identify no one ("Welsh Government" still counts).
"""

from __future__ import annotations

import unicodedata

__all__ = ["GROUP_WORDS", "is_group_word", "UPPER", "LOWER", "SPEECH_WORDS"]

# Capital and small letters of the Latin alphabets, for regular expressions: "[A-Z]" alone
# misses the capitals of Irish, Welsh, Polish, Māori, Turkish ... names ("Údarás", "Łódź",
# "Ōhinemataroa", "Şişli"), so a capitalised-word rule must not read them as lower case.
UPPER = "[A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper()) + "]"
LOWER = "[a-z" + "".join(c for c in map(chr, range(0xDF, 0x250)) if c.islower()) + "]"

# Words of speech a turn starts with, capitalised ("Yeah, my doctor ...", "Um, Leeds"): never
# the first word of a name.
SPEECH_WORDS = frozenset("Yeah Yep Nope Um Uh Er Erm Hmm Mm Mhm Ah Oh Wow Actually Anyway Basically Honestly Like".split())

_LANGUAGES = """
english welsh irish scottish british french german dutch flemish spanish portuguese italian polish romanian
bulgarian hungarian czech slovak greek turkish kurdish arabic arab farsi persian dari pashto urdu hindi
punjabi gujarati bengali bangla tamil telugu malayalam sinhala nepali mandarin cantonese chinese japanese
korean vietnamese thai tagalog filipino malay indonesian somali amharic tigrinya oromo swahili yoruba igbo
hausa twi shona zulu xhosa afrikaans lingala russian ukrainian lithuanian latvian estonian albanian serbian
croatian bosnian slovenian macedonian sorani kurmanji hebrew yiddish gaelic cornish manx scots maori latin
sanskrit swedish norwegian danish finnish icelandic basque catalan galician
"""
_PEOPLES = """
eritrean ethiopian sudanese afghan iranian iraqi syrian pakistani indian bangladeshi nigerian ghanaian
kenyan american canadian australian european african asian caribbean jamaican mexican brazilian colombian
somalian ugandan zimbabwean congolese yemeni libyan egyptian moroccan algerian lebanese palestinian israeli
muslim hindu sikh jewish buddhist catholic protestant anglican methodist baptist pentecostal evangelical
brit yank kiwi aussie
"""
# Said in blessings and thanks ("Praise God", "God bless"): a faith's, not a person in the study.
_DEITIES = """
god allah christ
"""
_PLATFORMS = """
whatsapp youtube linkedin facebook instagram twitter tiktok discord snapchat reddit telegram signal zoom
skype teams google gmail outlook
"""


def _with_plurals(words: str) -> frozenset[str]:
    return frozenset(w for word in words.split() for w in (word, word + "s"))


GROUP_WORDS = _with_plurals(_LANGUAGES + _PEOPLES) | frozenset((_PLATFORMS + _DEITIES).split())


def is_group_word(written: str) -> bool:
    """Whether ``written`` (one word, any casing) is a language, a people, a faith or a platform."""
    word = written.strip().lower()
    # without diacritics: "Māori", "Québécois" are written with or without them
    plain = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))
    return word in GROUP_WORDS or plain in GROUP_WORDS
