"""Exports never hand a spreadsheet a formula, and keep what was typed readable."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from marketplace import spreadsheets


@pytest.mark.parametrize("text", ["=1+1", "+86 1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_neutralised_in_csv(text):
    body = spreadsheets.to_csv([[text, 5, -3]]).decode("utf-8").lstrip("\ufeff")
    row = next(csv.reader(io.StringIO(body, newline="")))
    assert row == ["'" + text, "5", "-3"]  # numbers stay numbers


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1-1", "@A1"])
def test_formula_like_text_is_a_string_cell_in_xlsx(text):
    sheet = load_workbook(io.BytesIO(spreadsheets.to_xlsx([[text, "轮椅", -3]], "x"))).active
    first, plain, number = sheet[1]
    assert first.value == text and first.data_type == "s" and first.quotePrefix
    assert plain.value == "轮椅" and not plain.quotePrefix
    assert number.value == -3 and number.data_type == "n"
