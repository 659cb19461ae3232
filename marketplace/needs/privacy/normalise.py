"""Text as the guard compares it: one spelling of every character, each traced back to the original.

A careless writer spells the same address many ways: "东风东路 733 号", "东风东路７３３号",
"东风东路七三三号", "东风东路七百三十三号". `compact()` turns each into "东风东路733号" and keeps, for
every character it yields, where in the original text it came from, so a refusal can quote the
writer's own words. `numbers()` finds the runs of digits (a phone number typed "138 0013 8000" is
one run) with the same tracing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

DIGITS = {"零": 0, "〇": 0, "○": 0, "洞": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "三": 3,
          "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
          "九": 9, "玖": 9}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000}
# Typed between the digits of one number: "138 0013 8000", "020-8333-0000", "(020) 83330000".
JOINERS = frozenset(" \t\u00a0-‐‑‒–—―−()+")

Span = tuple[int, int]


@dataclass(frozen=True)
class Traced:
    """A normalised text; `spans[i]` is where its character i came from in the original."""

    text: str
    spans: tuple[Span, ...]

    def original(self, source: str, start: int, end: int) -> str:
        """The writer's own words behind `text[start:end]`."""
        return source[self.spans[start][0]:self.spans[end - 1][1]]


@dataclass(frozen=True)
class Number:
    """A run of digits (an ID number's final X included) and where it stands in the original."""

    digits: str
    spans: tuple[Span, ...]
    raw: str  # the original text of the whole run, joiners included


def _chinese_value(run: str) -> str | None:
    """七百三十三 → "733"; None when the run is not a positional number (七三三 is read digit by digit)."""
    total = section = 0
    digit: int | None = None
    last_unit, zero = 1, False
    for ch in run:
        if ch in DIGITS:
            if digit is not None:
                return None
            if DIGITS[ch] == 0:
                zero = True
            else:
                digit = DIGITS[ch]
        elif ch == "万":
            total += ((section + (digit or 0)) or 1) * 10000
            section, digit, last_unit, zero = 0, None, 10000, False
        else:
            section += (1 if digit is None else digit) * UNITS[ch]
            digit, last_unit, zero = None, UNITS[ch], False
    if digit is not None:  # 三百五 is 350, 三百零五 is 305
        section += digit * (last_unit // 10) if last_unit >= 100 and not zero else digit
    return str(total + section)


def _numerals(text: str) -> Iterator[tuple[str, Span]]:
    """Each character with its span, Chinese numerals (runs holding a digit) turned into Arabic ones."""
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and (text[j] in DIGITS or text[j] in UNITS):
            j += 1
        run = text[i:j]
        if run and any(ch in DIGITS for ch in run):
            value = _chinese_value(run) if any(ch in UNITS for ch in run) else None
            value = value or "".join(str(DIGITS[ch]) for ch in run if ch in DIGITS)
            yield from ((d, (i, j)) for d in value)
            i = j
        else:
            yield text[i], (i, i + 1)
            i += 1


def _widened(text: str) -> Iterator[tuple[str, Span]]:
    """NFKC per character (full-width → half-width, ① → 1), upper case, each with its original span."""
    for index, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch):
            upper = out.upper()
            yield (upper if len(upper) == 1 else out), (index, index + 1)


def traced(text: str) -> list[tuple[str, Span]]:
    """Every character of `text` normalised, with the span of the original it stands for."""
    widened = list(_widened(text or ""))
    flat = "".join(ch for ch, _ in widened)
    return [(ch, (widened[a][1][0], widened[b - 1][1][1])) for ch, (a, b) in _numerals(flat)]


def compact(text: str) -> Traced:
    """Letters, digits and CJK only: no spaces, no punctuation, one spelling of each number."""
    kept = [(ch, span) for ch, span in traced(text) if ch.isalnum()]
    return Traced("".join(ch for ch, _ in kept), tuple(span for _, span in kept))


def plain(text: str) -> str:
    """`compact(text).text`, for the household's own data."""
    return compact(text).text


def _thousands(chars: list[tuple[str, Span]], i: int) -> bool:
    """A comma that groups thousands ("1,500") joins; any other comma ends the number."""
    ahead = "".join(ch for ch, _ in chars[i + 1:i + 5])
    return len(ahead) >= 3 and ahead[:3].isdigit() and (len(ahead) == 3 or not ahead[3].isdigit())


def numbers(text: str) -> list[Number]:
    """The runs of digits in `text`, read as a person types a phone or ID number."""
    chars = traced(text)
    found: list[Number] = []
    digits: list[tuple[str, Span]] = []

    def close() -> None:
        if digits:
            start, end = digits[0][1][0], digits[-1][1][1]
            found.append(Number("".join(d for d, _ in digits), tuple(s for _, s in digits), text[start:end]))
            digits.clear()

    for i, (ch, span) in enumerate(chars):
        if ch.isdigit() and ch.isascii():
            digits.append((ch, span))
        elif ch == "X" and digits and not (i + 1 < len(chars) and chars[i + 1][0].isascii()
                                           and chars[i + 1][0].isalpha()):
            digits.append((ch, span))
            close()
        elif digits and (ch in JOINERS or (ch == "," and _thousands(chars, i))):
            continue
        else:
            close()
    close()
    return found
