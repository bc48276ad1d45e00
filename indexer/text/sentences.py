"""Sentence boundaries in Hansard prose, as character spans.

Hansard is full of abbreviations that end in a full stop ("hon. Friend", "Mr. Speaker",
"No. 10"), so a full stop only ends a sentence when the word before it is not one of them.
"""

from __future__ import annotations

import re

# A candidate boundary: terminal punctuation (optionally closed by quotes or brackets), then
# whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(
    r"""[.!?][\"'\u2019\u201d)\]]*\s+(?=[\"'\u2018\u201c(\[]?[A-Z0-9\u00c0-\u00de])"""
)
_PARAGRAPH = re.compile(r"\n\s*\n")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr hon rt st no nos col cols vol para paras cl sch art arts reg regs sec "
    "etc e.g i.e c.f cf vs v op cit ibid gen lt maj capt sgt prof rev fig figs pp p jr sr".split()
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`; paragraphs always end a sentence."""
    spans: list[tuple[int, int]] = []
    for para in _paragraph_spans(text):
        start = para[0]
        for match in _BOUNDARY.finditer(text, para[0], para[1]):
            word = text[max(para[0], match.start() - 12) : match.start()].split()
            previous = word[-1].lower().rstrip(".") if word else ""
            if previous in _ABBREVIATIONS or (len(previous) == 1 and previous.isalpha()):
                continue
            end = match.start() + len(match.group().rstrip())
            spans.append((start, end))
            start = match.end()
        if start < para[1]:
            spans.append((start, para[1]))
    return spans


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [_strip_span(text, s, e) for s, e in spans if text[s:e].strip()]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
