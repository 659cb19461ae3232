"""Short codes people read aloud and type: Crockford base32 with a Luhn mod 32 check character.

The alphabet has no I, L, O or U, so nothing looks alike; typed codes are forgiving (lower case,
spaces and dashes, O for 0, I or L for 1). The check character catches every single mistyped
character and almost every swap of two neighbours before anything is looked up.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})

VOUCHER_LENGTH = 9  # 8 random characters (40 bits) + check
ELIGIBILITY_LENGTH = 11  # 10 random characters (50 bits) + check


def normalise(text: str | None) -> str:
    """Upper case without separators, look-alike letters mapped to digits (may still be invalid)."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum()).translate(_TYPOS)


def _luhn_sum(body: str, *, start_factor: int) -> int:
    total, factor = 0, start_factor
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        total += addend // BASE + addend % BASE
        factor = 1 if factor == 2 else 2
    return total


def check_character(body: str) -> str:
    """The check character for `body` (Luhn mod 32 over the Crockford alphabet)."""
    return ALPHABET[(BASE - _luhn_sum(body, start_factor=2) % BASE) % BASE]


def is_valid(code: str) -> bool:
    """Whether a normalised code uses only the alphabet and its last character checks the rest."""
    return len(code) >= 2 and all(ch in _VALUE for ch in code) and _luhn_sum(code, start_factor=1) % BASE == 0


def new_code(length: int) -> str:
    """A random code of `length` characters, the last one the check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(length - 1))
    return body + check_character(body)


def display(code: str) -> str:
    """Groups of three (or four for long codes) for reading aloud: "K7Q-M2X-HDP"."""
    size = 3 if len(code) <= 9 else 4
    return "-".join(code[i:i + size] for i in range(0, len(code), size))
