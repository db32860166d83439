"""Number words 0..99 in a few languages, by each language's own composition rules, for the
multilingual anchors ("What is 'siebzehn' as a number?"). Spelling: the standard dictionary forms
(German ß, Spanish and Italian accents, French traditional "vingt et un")."""

from __future__ import annotations

_DE_UNITS = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
_DE_TEENS = [
    "zehn",
    "elf",
    "zwölf",
    "dreizehn",
    "vierzehn",
    "fünfzehn",
    "sechzehn",
    "siebzehn",
    "achtzehn",
    "neunzehn",
]
_DE_TENS = ["_", "_", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"]

_FR_SMALL = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
_FR_TENS = ["_", "_", "vingt", "trente", "quarante", "cinquante", "soixante"]

_ES_SMALL = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
_ES_TENS = ["_", "_", "_", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"]

_IT_SMALL = [
    "zero",
    "uno",
    "due",
    "tre",
    "quattro",
    "cinque",
    "sei",
    "sette",
    "otto",
    "nove",
    "dieci",
    "undici",
    "dodici",
    "tredici",
    "quattordici",
    "quindici",
    "sedici",
    "diciassette",
    "diciotto",
    "diciannove",
]
_IT_TENS = [
    "_",
    "_",
    "venti",
    "trenta",
    "quaranta",
    "cinquanta",
    "sessanta",
    "settanta",
    "ottanta",
    "novanta",
]

ONE_TO_TEN = {
    "Finnish": [
        "yksi",
        "kaksi",
        "kolme",
        "neljä",
        "viisi",
        "kuusi",
        "seitsemän",
        "kahdeksan",
        "yhdeksän",
        "kymmenen",
    ],
    "Polish": ["jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć", "dziesięć"],
    "Turkish": ["bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz", "on"],
}
"""Languages known here only for 1..10: the hardest anchors, for models with less of them."""


def german(n: int) -> str:
    if n < 10:
        return _DE_UNITS[n]
    if n < 20:
        return _DE_TEENS[n - 10]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _DE_TENS[tens]
    return ("ein" if unit == 1 else _DE_UNITS[unit]) + "und" + _DE_TENS[tens]


def french(n: int) -> str:
    if n < 20:
        return _FR_SMALL[n]
    if n < 70:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _FR_TENS[tens]
        return _FR_TENS[tens] + (" et un" if unit == 1 else "-" + _FR_SMALL[unit])
    if n < 80:  # soixante-dix, soixante et onze, soixante-douze ...
        return "soixante" + (" et onze" if n == 71 else "-" + _FR_SMALL[n - 60])
    if n == 80:
        return "quatre-vingts"
    return "quatre-vingt-" + _FR_SMALL[n - 80]


def spanish(n: int) -> str:
    if n < 30:
        return _ES_SMALL[n]
    tens, unit = divmod(n, 10)
    return _ES_TENS[tens] + ("" if unit == 0 else " y " + _ES_SMALL[unit])


def italian(n: int) -> str:
    if n < 20:
        return _IT_SMALL[n]
    tens, unit = divmod(n, 10)
    word = _IT_TENS[tens]
    if unit == 0:
        return word
    if unit in (1, 8):  # ventuno, trentotto: the tens drop their vowel
        word = word[:-1]
    return word + ("tré" if unit == 3 else _IT_SMALL[unit])


COMPOSED = {"German": german, "French": french, "Spanish": spanish, "Italian": italian}
