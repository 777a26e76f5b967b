"""Every number a Korean translation states is a number its English states.

A translation may reword, but not renumber: "16" in a Korean sentence whose
English says "nine" is a mistranslation the reader cannot see. For every
message of every Korean catalog, each number written in digits in the
``msgstr`` (and each unambiguous Korean numeral such as 여덟 or 열여섯)
must equal a number of the ``msgid``, written there in digits or in words
("nine", "sixteen", "a quarter"). Korean formats are read by value:
``2,950억`` is 295 billion, ``3만`` is 30 thousand, ``4분의 1`` is a quarter
(its numbers 4 and 1 come from "quarter"). Roles, glue keys, math, inline
code and links are compared token by token in ``scripts/translations.py``
(``tests/test_translations.py``); numbers inside them are left to that check.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import translations  # noqa: E402  scripts/translations.py

WORDS = {
    "zero": 0, "none": 0, "zeros": 0, "zeroes": 0, "one": 1, "ones": 1, "once": 1, "single": 1,
    "first": 1, "two": 2, "twice": 2, "double": 2, "pair": 2, "second": 2, "both": 2,
    "three": 3, "third": 3, "thrice": 3, "four": 4, "fourth": 4, "five": 5, "fifth": 5,
    "six": 6, "sixth": 6, "seven": 7, "seventh": 7, "eight": 8, "eighth": 8, "nine": 9,
    "ninth": 9, "ten": 10, "tenth": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "dozen": 12, "nonzero": 0,
}
#: Words that name a fraction: Korean writes "4분의 1" (a quarter), "2분의 1" (a half).
FRACTIONS = {"half": (2, 1), "halves": (2, 1), "halve": (2, 1), "quarter": (4, 1),
             "quarters": (4, 1), "third": (3, 1), "thirds": (3, 1)}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
KOREAN_SCALES = {"만": 1e4, "억": 1e8, "조": 1e12}
DIGITS = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?")
#: Korean native numerals. Alone, only those that mean nothing else: 한, 두,
#: 세, 네 and 열 are also words ("one"/"did", "put", "three"/"count",
#: "your", "column"), so they count only as tens and units (열여섯, 16).
KOREAN_UNITS = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4,
                "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
KOREAN_WORDS = re.compile(
    r"(?<![\uac00-\ud7a3])(열(?:하나|한|둘|두|셋|세|넷|네|다섯|여섯|일곱|여덟|아홉)|다섯|여섯|일곱|여덟|아홉|스물)")

#: (catalog, a piece of the msgid, the Korean number) -> why it is right.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("padding-stride.po", "runs it on a blank input of height", "0"):
        "a blank input is spelled out in Korean as one whose values are all 0",
    ("pooling.po", "the largest value in the flattened map", "1"):
        "'flattened' is said in Korean as 1차원으로 펼친, 'spread into one dimension'",
}


def prose(text: str) -> str:
    """The message without what ``translations.tokens`` compares exactly."""
    text = translations.SUBSTITUTION.sub(" ", text)
    text = translations.ROLE.sub(" ", text)
    text = translations.DISPLAY_MATH.sub(" ", text)
    text = translations.CODE.sub(" ", text)
    text = translations.INLINE_MATH.sub(" ", text)
    return re.sub(r"\]\([^)\s]+\)", "] ", text)


def _value(digits: str) -> float:
    return float(digits.replace(",", ""))


def english_numbers(text: str) -> set[float]:
    """Every number the English states, in digits or in words, by value."""
    text = prose(text)
    found = set()
    for match in DIGITS.finditer(text):
        value = _value(match.group())
        found.add(value)
        scale = re.match(r"\s*(thousand|million|billion|trillion)\b", text[match.end():], re.I)
        if scale:
            found.add(value * SCALES[scale.group(1).lower()])
    words = re.findall(r"[a-z]+", text.lower())
    for index, word in enumerate(words):
        if word in WORDS:
            found.add(float(WORDS[word]))
        if word in FRACTIONS:
            found.update(map(float, FRACTIONS[word]))
        if word in SCALES and index and words[index - 1] in WORDS:
            found.add(WORDS[words[index - 1]] * SCALES[word])
    return found


def korean_numbers(text: str) -> list[tuple[str, tuple[float, ...]]]:
    """Every number the Korean writes in digits: (as written, the values it may mean).

    ``만`` after a number is either ten thousand (``3만``) or "only"
    (``4만 남는다``, only four remain), so ``4만`` may mean 40000 or 4.
    """
    text = prose(text)
    found = []
    for match in DIGITS.finditer(text):
        value = _value(match.group())
        unit = re.match(r"\s*(만|억|조)", text[match.end():])
        if unit:
            found.append((match.group() + unit.group(1),
                          (value * KOREAN_SCALES[unit.group(1)], value)))
        else:
            found.append((match.group(), (value,)))
    for match in KOREAN_WORDS.finditer(text):
        word = match.group()
        value = 20 if word == "스물" else (10 if word.startswith("열") else 0) + KOREAN_UNITS[
            word[1:] if word.startswith("열") else word]
        found.append((word, (float(value),)))
    return found


def unmatched_numbers(msgid: str, msgstr: str) -> list[str]:
    """The Korean numbers that no number of the English equals.

    The 1 of ``N분의 1`` ("one N-th") needs no word of its own: "a factor of
    a hundred" is ``100분의 1``.
    """
    english = english_numbers(msgid)
    msgstr = re.sub(r"(\d)\s*분의\s*1(?!\d)", r"\1분의", msgstr)
    return [written for written, values in korean_numbers(msgstr)
            if not any(abs(value - other) <= 1e-9 * max(1.0, abs(other))
                       for value in values for other in english)]


def test_reading_numbers_by_value():
    assert english_numbers("295 billion operations, nine filters, a quarter") >= {
        295e9, 9.0, 4.0, 1.0}
    assert korean_numbers("연산 2,950억 번, 3만, 0.5") == [
        ("2,950억", (295e9, 2950.0)), ("3만", (3e4, 3.0)), ("0.5", (0.5,))]
    assert unmatched_numbers("about 295 billion", "약 2,950억") == []
    assert unmatched_numbers("one 3x3 kernel, a quarter", "3x3 커널 1개, 4분의 1") == []
    assert unmatched_numbers("shrunk by a factor of 100", "100분의 1로 줄었다") == []
    assert unmatched_numbers("shrunk by a factor of 100", "10분의 1로 줄었다") == ["10"]
    # Numbers inside math, code and glue are left to the token check.
    assert unmatched_numbers("`np.zeros(5)` and $K = 3$", "`np.zeros(5)`와 $K = 3$") == []
    # The planted mistranslation: 16 where the English says nine.
    assert unmatched_numbers("The nine weights of a 3x3 kernel.",
                             "3x3 커널의 가중치 16개.") == ["16"]
    assert unmatched_numbers("The nine weights of a 3x3 kernel.",
                             "3x3 커널의 가중치 열여섯 개.") == ["열여섯"]
    assert unmatched_numbers("The sixteen weights.", "가중치 열여섯 개.") == []


def _messages():
    for path in translations.catalogs("ko"):
        for entry in polib.pofile(str(path)):
            if not entry.obsolete and entry.msgstr:
                yield path, entry


def test_every_korean_number_is_a_number_of_its_english():
    problems, used = [], set()
    for path, entry in _messages():
        for written in unmatched_numbers(entry.msgid, entry.msgstr):
            key = next((k for k in ALLOWED if k[0] == path.name and k[1] in entry.msgid
                        and k[2] == written), None)
            if key:
                used.add(key)
                continue
            problems.append(f"{path.relative_to(ROOT)}: {written!r} in {entry.msgstr[:90]!r} "
                            f"for {entry.msgid[:90]!r}")
    assert not problems, "Korean numbers the English does not state:\n  " + "\n  ".join(problems)
    assert used == set(ALLOWED), f"allowlist entries that match nothing: {set(ALLOWED) - used}"
