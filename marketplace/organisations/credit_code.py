"""The unified social credit code (统一社会信用代码, GB 32100-2015) and its check character."""

from __future__ import annotations

import re

# The 31 characters the standard uses: digits and capitals without I, O, S, V, Z.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}$")


def check_character(first17: str) -> str:
    """The 18th character that the standard derives from the first 17."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Upper-case and strip spaces, as people type codes in many ways."""
    return re.sub(r"\s+", "", code or "").upper()


def is_valid(code: str) -> bool:
    """Whether a (normalised) code has the right shape and check character."""
    return bool(_SHAPE.match(code)) and check_character(code[:17]) == code[17]


def make(first17: str) -> str:
    """Complete 17 characters into a valid code (demo data and tests)."""
    return first17 + check_character(first17)
