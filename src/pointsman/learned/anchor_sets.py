"""Generators of graded anchor prompts, one per skill, each with an exact answer computed here.

Every maker takes a seeded random source and a level 0..3 (rising difficulty) and returns
(prompt, answer, match); `anchors.py` turns them into a set. Only the chat anchors are graded
verbatim: elsewhere a model that wraps a right answer in a sentence knows the skill, and following
the format is what the chat anchors measure. Answers are computed, never typed in:
the arithmetic is done, the puzzle sorted, the code run, the needle placed.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable

from pointsman.learned.numberwords import COMPOSED, ONE_TO_TEN

Made = tuple[str, str, str]
"""prompt, answer, match mode (contains, exact, verbatim)."""

ONLY_NUMBER = "Answer with only the number."


def maths(rng: random.Random, level: int) -> Made:
    """A word problem of 2 + level steps over one running quantity."""
    boxes, per = rng.randint(3, 9 + 4 * level), rng.randint(4, 12 + 6 * level)
    total = boxes * per
    lines = [f"A warehouse holds {boxes} crates with {per} bottles in each."]
    for _ in range(1 + level):
        kind = rng.choice(("sell", "deliver", "double", "split") if level >= 2 else ("sell", "deliver"))
        if kind == "sell":
            k = rng.randint(2, max(2, total // 3))
            total -= k
            lines.append(f"Then {k} bottles are sold.")
        elif kind == "deliver":
            c, q = rng.randint(2, 6), rng.randint(5, 15)
            total += c * q
            lines.append(f"Then {c} more crates of {q} bottles each arrive.")
        elif kind == "double":
            total *= 2
            lines.append("Then the stock is doubled.")
        else:
            parts = rng.choice([d for d in (2, 3, 4, 5) if total % d == 0] or [1])
            if parts == 1:
                total += 7
                lines.append("Then 7 bottles are found in the back.")
            else:
                total //= parts
                lines.append(
                    f"Then the stock is split equally between {parts} shops; count one shop's share."
                )
    lines.append(f"How many bottles are there now? {ONLY_NUMBER}")
    return " ".join(lines), str(total), "contains"


_NAMES = ["Ada", "Ben", "Cleo", "Dev", "Elif", "Finn", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lena"]
_RELATIONS = (("taller than", "tallest", "shortest"), ("older than", "oldest", "youngest"))
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def reasoning(rng: random.Random, level: int) -> Made:
    """An ordering puzzle from shuffled pairwise facts (3 + level people), or, at level 0 and 2,
    sometimes a weekday offset."""
    if level in (0, 2) and rng.random() < 0.3:
        start, step = rng.randrange(7), rng.randint(3, 30 if level == 0 else 400)
        return (
            f"If today is {_DAYS[start]}, what day of the week will it be in {step} days? "
            "Answer with only the day.",
            _DAYS[(start + step) % 7],
            "contains",
        )
    people = rng.sample(_NAMES, 3 + level)  # people[0] has the most of the quality
    relation, most, least = rng.choice(_RELATIONS)
    facts = [f"{people[i]} is {relation} {people[i + 1]}." for i in range(len(people) - 1)]
    rng.shuffle(facts)
    asks = [(f"Who is the {most}?", people[0]), (f"Who is the {least}?", people[-1])]
    if level >= 2:
        asks.append((f"Who is the second {least}?", people[-2]))
    question, answer = rng.choice(asks)
    return f"{' '.join(facts)} {question} Answer with only the name.", answer, "contains"


def _snippet(rng: random.Random, level: int) -> str:
    a, b, n = rng.randint(2, 9), rng.randint(2, 9), rng.randint(3, 6 + level)
    word = rng.choice(("banana", "pointsman", "recursion", "lighthouse", "abracadabra"))
    simple = [
        f"x = {a}\nfor i in range({n}):\n    x = x + i * {b}\nprint(x)",
        f"print(sum(i * i for i in range({n + a}) if i % {b} == 0))",
        f"s = '{word}'\nprint(s[::-1][:{b}])",
    ]
    harder = [
        f"d = {{}}\nfor c in '{word}':\n    d[c] = d.get(c, 0) + 1\nprint(max(d.values()) * {a} + len(d))",
        f"def f(k):\n    return k if k < 2 else f(k - 1) + f(k - 2)\nprint(f({n + 3}) % {a + 5})",
        f"xs = [{', '.join(str(rng.randint(1, 30)) for _ in range(n))}]\n"
        f"ys = sorted(xs, key=lambda v: (v % {b}, -v))\nprint(ys[{rng.randint(0, n - 1)}])",
        f"n, steps = {rng.randint(6, 40)}, 0\nwhile n != 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\n"
        "    steps += 1\nprint(steps)",
    ]
    return rng.choice(simple if level < 2 else harder)


def code(rng: random.Random, level: int) -> Made:
    """The output of a short generated Python program, found by running it here."""
    source = _snippet(rng, level)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {"__builtins__": {"print": print, "sum": sum, "range": range, "max": max,
                                       "len": len, "sorted": sorted}})  # fmt: skip
    prompt = f"What does this Python program print?\n\n{source}\n\nAnswer with only the output."
    return prompt, out.getvalue().strip(), "contains"


CAPITALS = (
    ("France", "Paris", 0), ("Japan", "Tokyo", 0), ("Italy", "Rome", 0), ("Egypt", "Cairo", 0),
    ("Norway", "Oslo", 0), ("Canada", "Ottawa", 1), ("Australia", "Canberra", 1),
    ("Turkey", "Ankara", 1), ("Kenya", "Nairobi", 1), ("Peru", "Lima", 1), ("Vietnam", "Hanoi", 1),
    ("New Zealand", "Wellington", 1), ("Nigeria", "Abuja", 2), ("Switzerland", "Bern", 2),
    ("Morocco", "Rabat", 2), ("Slovenia", "Ljubljana", 2), ("Uruguay", "Montevideo", 2),
    ("Bhutan", "Thimphu", 3), ("Burkina Faso", "Ouagadougou", 3), ("Eritrea", "Asmara", 3),
    ("Kyrgyzstan", "Bishkek", 3), ("Laos", "Vientiane", 3), ("Suriname", "Paramaribo", 3),
    ("Malawi", "Lilongwe", 3), ("Tajikistan", "Dushanbe", 3), ("Namibia", "Windhoek", 3),
)  # fmt: skip
SYMBOLS = (
    ("oxygen", "O", 0), ("hydrogen", "H", 0), ("carbon", "C", 0), ("sodium", "Na", 1),
    ("iron", "Fe", 1), ("gold", "Au", 1), ("potassium", "K", 1), ("silver", "Ag", 1),
    ("lead", "Pb", 2), ("tin", "Sn", 2), ("mercury", "Hg", 2), ("tungsten", "W", 2),
    ("antimony", "Sb", 3), ("ruthenium", "Ru", 3), ("molybdenum", "Mo", 3), ("hafnium", "Hf", 3),
    ("tellurium", "Te", 3), ("osmium", "Os", 3),
)  # fmt: skip
"""Stable facts only: no capital that moved or is spelled several ways in this century."""


def knowledge(rng: random.Random, level: int) -> Made:
    if rng.random() < 0.5:
        country, capital = rng.choice([(c, a) for c, a, lv in CAPITALS if lv == level])
        return f"What is the capital of {country}? Answer with only the city.", capital, "contains"
    element, symbol = rng.choice([(e, s) for e, s, lv in SYMBOLS if lv == level])
    return f"What is the chemical symbol of {element}? Answer with only the symbol.", symbol, "contains"


def multilingual(rng: random.Random, level: int) -> Made:
    """A number word to digits: common languages and small numbers first, French 70..99 and
    languages known here only to ten last."""
    if level == 3:
        language = rng.choice(sorted(ONE_TO_TEN))
        n = rng.randint(1, 10)
        word = ONE_TO_TEN[language][n - 1]
    else:
        language = rng.choice(
            (("Spanish", "Italian"), ("German", "Spanish", "Italian"), ("German", "French"))[level]
        )
        lo, hi = ((0, 20), (21, 69), (21, 99))[level]
        n = rng.randint(70, 99) if language == "French" else rng.randint(lo, hi)
        word = COMPOSED[language](n)
    return f"What is the {language} number word '{word}' in digits? {ONLY_NUMBER}", str(n), "contains"


_NOUNS = [
    "lantern",
    "harbour",
    "orchard",
    "library",
    "bridge",
    "tower",
    "garden",
    "station",
    "market",
    "quarry",
    "mill",
    "chapel",
]
_ADJ = ["quiet", "busy", "old", "narrow", "bright", "crooked", "famous", "forgotten", "windy", "painted"]
_VERBS = [
    "opens at dawn",
    "was rebuilt twice",
    "smells of rain",
    "hosts a fair each spring",
    "faces the river",
]


def long_context(rng: random.Random, level: int) -> Made:
    """A code hidden in a generated haystack of 30..1,600 sentences (up to ~12k tokens); decoys
    (other places' codes) from level 2."""
    size = (30, 150, 600, 1600)[level]
    places = rng.sample(_NOUNS, 4)
    target, code_ = places[0], str(rng.randint(1000, 9999))
    lines = [f"The {rng.choice(_ADJ)} {rng.choice(_NOUNS)} {rng.choice(_VERBS)}." for _ in range(size)]
    needles = [f"The access code for the {target} is {code_}."]
    if level >= 2:
        needles += [f"The access code for the {p} is {rng.randint(1000, 9999)}." for p in places[1:]]
    for needle in needles:
        lines.insert(rng.randrange(len(lines) + 1), needle)
    text = " ".join(lines)
    prompt = f"{text}\n\nWhat is the access code for the {target}? Answer with only the code."
    return prompt, code_, "contains"


_WORDS = [
    "marmalade",
    "cobalt",
    "harbour",
    "velvet",
    "quartz",
    "lantern",
    "meadow",
    "cipher",
    "ember",
    "saffron",
]


def chat(rng: random.Random, level: int) -> Made:
    """Instruction following, graded verbatim (case and punctuation count)."""
    words = rng.sample(_WORDS, 4)
    if level == 0:
        return f"Reply with exactly the word '{words[0]}' and nothing else.", words[0], "verbatim"
    if level == 1:
        text = f"{words[0]} {words[1]}".upper()
        return f"Reply with exactly '{words[0]} {words[1]}' in upper case and nothing else.", text, "verbatim"
    if level == 2:
        k = rng.randint(2, 4)
        return (
            f"Write the word '{words[0]}' {k} times, separated by commas with no spaces, and nothing else.",
            ",".join([words[0]] * k),
            "verbatim",
        )
    return (
        f"Reply with the words {', '.join(words)} in reverse order, separated by single spaces, "
        "all in lower case, and nothing else.",
        " ".join(reversed(words)),
        "verbatim",
    )


MAKERS: dict[str, Callable[[random.Random, int], Made]] = {
    "code": code,
    "maths": maths,
    "reasoning": reasoning,
    "knowledge": knowledge,
    "chat": chat,
    "multilingual": multilingual,
    "long_context": long_context,
}
