"""Text helpers shared by the source formats."""

from __future__ import annotations

import pytest
from lxml import etree

from indexer.sources.text import clean, element_text, join_headings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Meg \n\t Hillier ", "Meg Hillier"),
        ("Hackney South\u00a0& Shoreditch", "Hackney South & Shoreditch"),
        ("", ""),
        (None, ""),
        (1030, ""),  # a number in JSON is not text
    ],
)
def test_clean(text, expected):
    assert clean(text) == expected


def test_element_text_drops_markup():
    el = etree.fromstring("<title>Oral <i>Answers</i>\n  to <b>Questions</b></title>")
    assert element_text(el) == "Oral Answers to Questions"
    assert element_text(None) == ""


def test_join_headings_skips_missing_ones():
    assert join_headings("Home Department", "Tasers") == "Home Department — Tasers"
    assert join_headings(None, "Tasers", "") == "Tasers"
    assert join_headings(None, None) == ""
