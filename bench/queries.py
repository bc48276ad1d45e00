"""A fixed, realistic query set: hand-written questions plus real written questions."""

from __future__ import annotations

from pathlib import Path

from indexer.contribution import Kind
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from indexer.text.sentences import sentence_spans
from search_api.engine.checks import query_text

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
    return query_text(text[spans[0][0] : spans[0][1]] if spans else text)


def build_query_set(index_dir: Path, count: int) -> list[str]:
    """`count` queries: the hand-written ones, then first sentences of written questions
    picked at even steps through the index (ordered by id, so the set is deterministic)."""
    questions = IndexReader(index_dir).records(SearchFilters(kind=Kind.QUESTION.value))
    texts = [q.text for q in sorted(questions, key=lambda q: q.id)]
    candidates = list(dict.fromkeys(s for s in (first_sentence(t) for t in texts) if s))
    hand = list(HAND_WRITTEN[:count])
    wanted = min(count - len(hand), len(candidates))
    step = len(candidates) / wanted if wanted else 0
    return hand + [candidates[int(i * step)] for i in range(wanted)]
