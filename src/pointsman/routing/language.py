"""Offline language guess for routing rules ("send Japanese prompts to model X"). Pure, no dependencies.

`detect` looks at the first 2,000 characters only. It decides by Unicode script first (ko, ja, zh, ru,
uk, ar, fa, he, hi, el, th) and, for Latin text, by small built-in stop-word lists plus a few telling
letters (en, es, fr, de, it, pt, nl, pl, tr, sv). Short texts and closely related languages are guesses,
and anything else comes back as "" or as the nearest supported language: this is for routing, not
linguistics.

Why bytes: all per-character work is done on the UTF-8 encoding with `bytes.translate` and
`bytes.count`, which run in C. Each character has exactly one UTF-8 lead byte, and the lead byte (plus
the second byte for the few shared blocks) already names the script, so there is no Python-level loop
over characters. A `str.translate` over a code-point dict would cost ~50 ns a character in CPython.
"""

from __future__ import annotations

import re
import string
import sys
from array import array
from collections.abc import Set

__all__ = ["detect"]

_LIMIT = 2000

# --- Scripts ------------------------------------------------------------------------------------------

_LATIN = ord("L")
_GREEK = ord("G")
_CYRILLIC = ord("C")
_HEBREW = ord("H")
_ARABIC = ord("A")
_HAN = ord("Z")
_HANGUL = ord("K")
_LEAD_E0 = ord("I")  # U+0800-0FFF: Devanagari and Thai both live here; the second byte tells them apart
_LEAD_E3 = ord("J")  # U+3000-3FFF: kana, CJK punctuation, Hangul jamo; the second byte tells them apart


def _script_table() -> tuple[bytes, bytes]:
    """A translate table from UTF-8 lead bytes to script tags, and the bytes to delete first."""
    table = bytearray(range(256))
    tagged: dict[int, int] = {}
    for c in string.ascii_letters:
        tagged[ord(c)] = _LATIN
    for lead, tag in (
        ((0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9), _LATIN),  # U+00C0-024F (×, ÷ ride along)
        ((0xCE, 0xCF), _GREEK),  # U+0380-03FF
        ((0xD0, 0xD1, 0xD2, 0xD3), _CYRILLIC),  # U+0400-04FF
        ((0xD7,), _HEBREW),  # U+05C0-05FF: every Hebrew letter
        ((0xD8, 0xD9, 0xDA, 0xDB), _ARABIC),  # U+0600-06FF
        ((0xE0,), _LEAD_E0),
        ((0xE3,), _LEAD_E3),
        ((0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9), _HAN),  # U+4000-9FFF
        ((0xEA, 0xEB, 0xEC, 0xED), _HANGUL),  # U+A000-DFFF: mostly Hangul syllables (AC00-D7A3)
    ):
        for byte in lead:
            tagged[byte] = tag
    for byte, tag in tagged.items():
        table[byte] = tag
    delete = bytes(b for b in range(256) if b not in tagged)
    return bytes(table), delete


_SCRIPT_TABLE, _NOT_A_LETTER = _script_table()
# A Han, kana or Hangul character carries about three Latin letters' worth of text.
_CJK_WEIGHT = 3
_UKRAINIAN_ONLY = "іїєґ"
_RUSSIAN_ONLY = "ыэъё"
_PERSIAN_ONLY = "پچژگکی"

# --- Latin languages ----------------------------------------------------------------------------------

_LANGS = ("en", "es", "fr", "de", "it", "pt", "nl", "pl", "tr", "sv")  # order breaks ties

_STOP_WORDS: dict[str, str] = {
    "en": "the and is are was were be been of to in that this these those it its for on with as at by "
    "from you your we they what which who how why when where can could would should will do does did not "
    "have has had an a or but if there about my me please thanks any some than then into between",
    "es": "el la los las de del que y a en un una unos es por para con no se su sus lo como cómo qué cuál "
    "cuando cuándo dónde pero más muy este esta esto estos ese esa hay son está están puedes puede me mi "
    "tu sobre entre también porque gracias hola al sin ser tiene",
    "fr": "le la les de des du un une et est sont que qui quoi dans pour par sur avec pas ne ce cette ces il "
    "elle ils je tu vous nous on au aux mais ou où comment pourquoi quel quelle peux pouvez fait être "
    "avoir plus très merci bonjour moi mon votre entre qu",
    "de": "der die das den dem des und ist sind nicht ein eine einen einem einer zu mit von für auf im in es "
    "ich du sie wir ihr wie was warum wann wo welche kann kannst können bitte danke auch aber oder wenn "
    "dass noch nur sich bei aus über zwischen hallo",
    "it": "il lo la gli le i di del della dei delle degli che e è un una uno in per con su sul sulla tra non "
    "sono come cosa perché quando dove quale mi ti si ci può puoi ho hai ha anche ma o più molto questo "
    "questa nel nella al alla da dal grazie ciao",
    "pt": "o os a as de do da dos das que e é um uma em no na nos nas para por com não se como qual quando "
    "onde porque mais muito isso isto este esta você vocês pode eu meu minha sobre entre também "
    "obrigado obrigada olá ao são está",
    "nl": "de het een en van is dat die niet in op te met voor zijn er aan ook als maar om wat hoe waarom "
    "wanneer waar welke kan kun kunt je jij u ik we wij hij zij dit deze bij naar nog wel geen uit over "
    "tussen alsjeblieft bedankt graag",
    "pl": "i w z na do nie to się że jest są jak co czy dlaczego kiedy gdzie który która które ten ta jakie "
    "dla od po o ale lub oraz może możesz mi mnie proszę dziękuję bardzo tak już jeszcze tylko przez przy "
    "ze za być jego ich między",
    "tr": "bir ve bu şu da de ile için mi mı mu mü ne nasıl neden nedir ki çok daha en gibi ama veya ya "
    "olarak var yok ben sen biz siz o bana beni lütfen teşekkür teşekkürler merhaba nerede hangi kadar "
    "sonra önce olan değil her misin mısın musun müsün",
    "sv": "och i att det som en ett på är av för med till den har de inte om jag du vi ni han hon kan vad "
    "hur varför när var vilken vilket vilka men eller också så från detta denna dessa mellan mycket tack "
    "hej skulle kunna",
}

# Letters that only some of the languages use. Weaker than words; they settle close calls.
_TELLING_LETTERS: dict[str, str] = {
    "es": "ñ¿¡áíóú",
    "fr": "çèêàùâîôûœëï",
    "de": "ßäöü",
    "it": "èàùìò",
    "pt": "ãõçêâôáíóúà",
    "nl": "ëï",
    "pl": "ąęłśźżćńó",
    "tr": "ığşİçöü",
    "sv": "åäö",
}


# Scores are packed into one int, a field per language, so that adding up the evidence is a single
# C-level sum() over the hits instead of a Python loop over (word, language) pairs.
_FIELD_BITS = 16  # at most ~70 words x 60 + ~20 letters x 30 points a language: far below 2**16
_PACKED_BYTES = len(_LANGS) * _FIELD_BITS // 8
_BIG_ENDIAN = sys.byteorder == "big"
_SHIFTS = tuple(i * _FIELD_BITS for i in range(len(_LANGS)))
_WORD_POINTS = 60  # divisible by 1..6, the most languages sharing one stop word
_LETTER_POINTS = 30  # a letter is a weaker clue than a word


def _packed(groups: dict[str, list[str]], points: int) -> dict[str, int]:
    """Item -> packed scores; an item that n languages share gives each of them points / n."""
    owners: dict[str, list[int]] = {}
    for lang, items in groups.items():
        for item in items:
            owners.setdefault(item, []).append(_LANGS.index(lang))
    return {item: sum((points // len(langs)) << _SHIFTS[i] for i in langs) for item, langs in owners.items()}


def _word_scores() -> dict[bytes, int]:
    table: dict[bytes, int] = {}
    for word, score in _packed({lang: ws.split() for lang, ws in _STOP_WORDS.items()}, _WORD_POINTS).items():
        table[word.encode()] = score
        # Only ASCII is lowercased (bytes.translate below), so a sentence-initial "È", "Że", "Über" needs
        # its own entry.
        if not word[0].isascii():
            table[word.capitalize().encode()] = score
    return table


_WORD_SCORES = _word_scores()
_STOP_SET = frozenset(_WORD_SCORES)
_LETTER_SCORES = _packed(
    # Upper case too, minus what it maps to in ASCII or to two letters ("ı" -> "I", "ß" -> "SS").
    {lang: [c for c in ls + ls.upper() if not c.isascii()] for lang, ls in _TELLING_LETTERS.items()},
    _LETTER_POINTS,
)
_LETTER_SET = frozenset(_LETTER_SCORES)


def _word_table() -> bytes:
    """Lowercase ASCII and turn ASCII punctuation, plus the lead bytes of U+0080-00BF (¿ ¡ « » NBSP) and
    U+2000-2FFF (’ “ ” — …), into spaces, so words split cleanly in one C pass."""
    table = bytearray(range(256))
    for c in string.ascii_uppercase:
        table[ord(c)] = ord(c.lower())
    for c in string.punctuation:
        table[ord(c)] = ord(" ")
    table[0xC2] = table[0xE2] = ord(" ")
    return bytes(table)


_WORD_TABLE = _word_table()
_ASCII = bytes(range(128))
_NO_CHARS: frozenset[str] = frozenset()
# Punctuation whose continuation bytes would stay glued to the next word ("¿qué", "l’ordinateur");
# replaced only when present.
_GLUED = tuple((c, c.encode()) for c in "¿¡«»’")
# A regex over the bytes, not per character: one C scan finds the second byte that a count cannot see.
_KANA = re.compile(rb"\xe3[\x81-\x83]")  # U+3040-30FF
_JAMO = re.compile(rb"\xe3(?:\x84[\xb1-\xbf]|\x85[\x80-\xbf]|\x86[\x80-\x8e])")  # U+3131-318E


def detect(text: str) -> str:
    """ISO 639-1 code of the text's language, or "" when it cannot tell."""
    head = text[:_LIMIT]
    if head.isascii():  # O(1) in CPython; by far the common case, and it can only be Latin
        return _latin(head.encode("ascii"), _NO_CHARS)
    data = head.encode("utf-8", "ignore")  # "ignore": lone surrogates from broken JSON must not raise
    tags = data.translate(_SCRIPT_TABLE, _NOT_A_LETTER)
    if not tags:
        return ""
    latin = tags.count(_LATIN)
    if latin == len(tags):
        return _latin(data, _non_ascii_chars(data))
    # U+3000-3FFF is kana plus CJK punctuation and some rare Han: all of it is CJK evidence, and
    # counting the lead byte is far cheaper than telling them apart.
    cjk = tags.count(_HAN) + tags.count(_LEAD_E3) if _LEAD_E3 in tags else tags.count(_HAN)
    hangul = tags.count(_HANGUL)
    if hangul and _LEAD_E3 in tags:
        jamo = len(_JAMO.findall(data))  # Korean "ㅋㅋㅋ" shares the kana lead byte; it is Hangul
        cjk -= jamo
        hangul += jamo
    deva = thai = 0
    if _LEAD_E0 in tags:
        deva = data.count(b"\xe0\xa4") + data.count(b"\xe0\xa5")  # U+0900-097F
        thai = data.count(b"\xe0\xb8") + data.count(b"\xe0\xb9")  # U+0E00-0E7F
    # Latin comes last so that other scripts win ties: Latin letters inside them are usually code or
    # product names, while the reverse (a Chinese word quoted in English) is rarer and shorter.
    scores = [
        cjk * _CJK_WEIGHT,
        hangul * _CJK_WEIGHT,
        tags.count(_CYRILLIC),
        tags.count(_ARABIC),
        tags.count(_HEBREW),
        deva,
        tags.count(_GREEK),
        thai,
        latin,
    ]
    best = max(scores)
    if not best:
        return ""
    script = _SCRIPTS[scores.index(best)]
    if script == "cjk":
        return "ja" if _KANA.search(data) else "zh"
    if script == "cyrillic":
        low = head.lower()
        uk = sum(low.count(c) for c in _UKRAINIAN_ONLY)
        return "uk" if uk > sum(low.count(c) for c in _RUSSIAN_ONLY) else "ru"
    if script == "arabic":
        return "fa" if any(c in head for c in _PERSIAN_ONLY) else "ar"
    if script == "latin":
        return _latin(data, _non_ascii_chars(data))
    return script


_SCRIPTS = ("cjk", "ko", "cyrillic", "arabic", "he", "hi", "el", "th", "latin")


def _non_ascii_chars(data: bytes) -> set[str]:
    # Deleting ASCII leaves whole multi-byte sequences, so this decodes cleanly and is short for Latin text.
    return set(data.translate(None, _ASCII).decode("utf-8"))


def _latin(data: bytes, chars: Set[str]) -> str:
    """Score the Latin-script languages by stop words and telling letters.

    No stop word at all gives "" for fewer than three words; a longer text may still be named by its
    letters ("Größe, Länge, Höhe"), else "" too. So plain English needs at least one English stop word.
    """
    clues = _NO_CHARS
    if chars:
        for c, raw in _GLUED:
            if c in chars:
                data = data.replace(raw, b" ")
        clues = _LETTER_SET.intersection(chars)
    words = data.translate(_WORD_TABLE).split()
    hits = _STOP_SET.intersection(words)
    if not hits and (len(words) < 3 or not clues):
        # Too short to tell, or long but with no word we know (code, names, numbers, other languages).
        return ""
    total = sum(map(_WORD_SCORES.__getitem__, hits))
    if clues:
        total += sum(map(_LETTER_SCORES.__getitem__, clues))
    # Unpack the 16-bit fields in C rather than with ten shifts and masks.
    scores = array("H", total.to_bytes(_PACKED_BYTES, "little"))
    if _BIG_ENDIAN:
        scores.byteswap()
    best = max(scores)
    return _LANGS[scores.index(best)] if best else ""  # first of equals: "en" before the rest
