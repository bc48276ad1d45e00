"""A fixed, realistic query set: hand-written questions plus real written questions."""

from __future__ import annotations

import contextlib
from pathlib import Path

from indexer import store
from indexer.contribution import Kind
from indexer.sentences import sentence_spans
from search_api.retrieval import MAX_QUERY_CHARS, SearchFilters

HAND_WRITTEN = (
    "police use of Tasers",
    "court backlog for rape victims",
    "swine flu vaccination for pregnant women",
    "helicopters for troops in Afghanistan",
    "closure of rural post offices",
    "Royal Mail postal strike",
    "targets to end child poverty",
    "knife crime among young people",
    "compensation for Equitable Life policyholders",
    "climate change talks in Copenhagen",
    "MPs' expenses and the Legg review",
    "waiting times for cancer treatment",
)

# The filtered variant: a party and a house, as a user of the page would pick them.
FILTERED = SearchFilters(party="Labour", house="House of Commons")


def first_sentence(text: str) -> str:
    """The first sentence of `text`, cut at a word boundary to fit a query."""
    spans = sentence_spans(text)
    sentence = text[spans[0][0] : spans[0][1]] if spans else text.strip()
    if len(sentence) > MAX_QUERY_CHARS:
        sentence = sentence[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
    return sentence


def build_query_set(index_dir: Path, count: int) -> list[str]:
    """`count` queries: the hand-written ones, then first sentences of written questions
    picked at even steps through the index (ordered by id, so the set is deterministic)."""
    build = store.resolve_build(index_dir)
    with contextlib.closing(store.connect(build)) as conn:
        rows = conn.execute(
            "SELECT text FROM contributions WHERE kind = ? ORDER BY id", (Kind.QUESTION.value,)
        ).fetchall()
    candidates = list(dict.fromkeys(s for s in (first_sentence(r[0]) for r in rows) if s))
    hand = list(HAND_WRITTEN[:count])
    wanted = min(count - len(hand), len(candidates))
    step = len(candidates) / wanted if wanted else 0
    return hand + [candidates[int(i * step)] for i in range(wanted)]
