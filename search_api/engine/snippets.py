"""The snippet shown for a result: verbatim text around its best-matching sentence.

The best sentence is the one of the best chunk that shares the most distinct words with what
retrieval searched (the query without a question's framing: ranking.searched_text), words as
keyword retrieval analyses them (indexer/store/keyword.py: Snowball-stemmed, English stop
words out), so a sentence is marked for the words BM25 matched ("policing" marks "police");
with no shared words, the chunk's first sentence. A page's sentences are analysed in one
call: about 1 ms of CPU for ten results on the small index (a call a result took 1.6 ms), cheap
enough for every request; re-scoring sentences with the embedder is a retrieval-quality
experiment, not something a snippet should pay for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.store.keyword import tokenize
from indexer.store.records import ChunkSpan
from indexer.text.sentences import sentence_spans

SNIPPET_CHARS = 420


@dataclass(frozen=True)
class Snippet:
    text: str  # verbatim slice of the contribution
    highlight_start: int  # the best sentence, as offsets into `text`
    highlight_end: int
    chunk: int  # ordinal of the best chunk within the contribution
    char_start: int  # where `text` starts in the contribution

    @property
    def sentence(self) -> str:
        return self.text[self.highlight_start : self.highlight_end]


def best_chunks_by_words(query: str, contributions: Sequence[tuple[str, Sequence[ChunkSpan]]]
                         ) -> list[ChunkSpan]:
    """Of each contribution's chunks (`(its text, its chunks)`), the one sharing most words
    with `query` (the first of ties)."""
    shared = _shared_words(query, [[text[c.start : c.end] for c in chunks]
                                   for text, chunks in contributions])
    return [chunks[max(range(len(chunks)), key=lambda i: (counts[i], -chunks[i].start))]
            for (_, chunks), counts in zip(contributions, shared, strict=True)]


def best_snippets(query: str, passages: Sequence[tuple[str, ChunkSpan]]) -> list[Snippet]:
    """A snippet from each passage (`(a contribution's text, its best chunk)`), inside the
    chunk, with its sentence sharing most words with `query` marked."""
    spans = [[(chunk.start + s, chunk.start + e)
              for s, e in sentence_spans(text[chunk.start : chunk.end])]
             or [(chunk.start, chunk.end)] for text, chunk in passages]
    shared = _shared_words(query, [[text[s:e] for s, e in own]
                                   for (text, _), own in zip(passages, spans, strict=True)])
    return [_snippet(text, own, counts, chunk.ordinal)
            for (text, chunk), own, counts in zip(passages, spans, shared, strict=True)]


def _shared_words(query: str, groups: Sequence[Sequence[str]]) -> list[list[int]]:
    """How many distinct words each text of each group shares with `query`, words as BM25
    analyses them: all of them analysed in one call."""
    if not groups:
        return []
    analysed = tokenize([query, *(text for group in groups for text in group)])
    wanted, shared, at = set(analysed[0]), [], 1
    for group in groups:
        shared.append([len(wanted.intersection(words))
                       for words in analysed[at : at + len(group)]])
        at += len(group)
    return shared


def _snippet(text: str, spans: list[tuple[int, int]], shared: list[int], chunk: int) -> Snippet:
    """The sentence of `spans` sharing most words (the first of ties), widened with whole
    neighbouring sentences while the snippet stays short."""
    best = max(range(len(spans)), key=lambda i: (shared[i], -i))
    s_start, s_end = spans[best]
    lo, hi = best, best
    while True:
        grown = False
        if lo > 0 and spans[hi][1] - spans[lo - 1][0] <= SNIPPET_CHARS:
            lo, grown = lo - 1, True
        if hi + 1 < len(spans) and spans[hi + 1][1] - spans[lo][0] <= SNIPPET_CHARS:
            hi, grown = hi + 1, True
        if not grown:
            break
    snip_start, snip_end = spans[lo][0], spans[hi][1]
    return Snippet(
        text=text[snip_start:snip_end],
        highlight_start=s_start - snip_start,
        highlight_end=s_end - snip_start,
        chunk=chunk,
        char_start=snip_start,
    )
