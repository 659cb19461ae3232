"""Short codes with a check character, and phone numbers, as people type them."""

from __future__ import annotations

import pytest

from marketplace.meals import codes, phones


def test_new_codes_check_and_display_in_groups():
    for length in (codes.VOUCHER_LENGTH, codes.ELIGIBILITY_LENGTH):
        code = codes.new_code(length)
        assert len(code) == length and codes.is_valid(code)
        assert codes.normalise(codes.display(code)) == code
    assert codes.display("K7QM2XHDP") == "K7Q-M2X-HDP"


def test_every_single_typo_is_caught_by_the_check_character():
    for _ in range(200):
        code = codes.new_code(codes.VOUCHER_LENGTH)
        for i, original in enumerate(code):
            for other in codes.ALPHABET.replace(original, ""):
                assert not codes.is_valid(code[:i] + other + code[i + 1:])


def test_most_neighbour_swaps_are_caught():
    caught = total = 0
    for _ in range(500):
        code = codes.new_code(codes.VOUCHER_LENGTH)
        for i in range(len(code) - 1):
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            if swapped != code:
                total += 1
                caught += not codes.is_valid(swapped)
    assert caught / total > 0.99


def test_typed_codes_are_forgiven_look_alikes_and_separators():
    body = "K7QM2XHD"
    code = body + codes.check_character(body)
    typed = f" {code[:3].lower()} - {code[3:6]} {code[6:]} "
    assert codes.normalise(typed) == code
    assert codes.normalise("0o1iL") == "00111"
    assert not codes.is_valid("U" + code[1:])  # U is not in the alphabet


@pytest.mark.parametrize(("typed", "expected"), [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
    ("020-83330000", "02083330000"), ("+86 20 8333 0000", "02083330000"),
    ("12345", None), ("23800138000", None), ("", None), ("phone", None),
])
def test_phone_numbers_are_normalised_or_refused(typed, expected):
    assert phones.normalise(typed) == expected
