"""The snippet shown for a result: verbatim text around its best-matching sentence.

The best sentence is the one of the best chunk that shares the most distinct words with the
query (stop words aside); with no shared words, the chunk's first sentence. This is cheap
enough for every request; re-scoring sentences with the embedder is a retrieval-quality
experiment, not something a snippet should pay for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.store.records import ChunkSpan
from indexer.text.sentences import sentence_spans

SNIPPET_CHARS = 420
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    "a an and are as at be by did do does for from has have he her his i in is it its of on "
    "or our she that the their them there they this to was we were what when where which who "
    "why will with would you your about said say says government minister hon".split()
)


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


def _terms(text: str) -> set[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in _STOP}


def best_chunk_by_words(chunks: list[ChunkSpan], text: str, query: str) -> ChunkSpan:
    """Of the chunks of `text`, the one sharing most words with `query` (the first of ties)."""
    wanted = _terms(query)
    return max(chunks, key=lambda c: (len(wanted & _terms(text[c.start : c.end])), -c.start))


def best_snippet(text: str, start: int, end: int, query: str, chunk: int) -> Snippet:
    """A snippet from `text[start:end]` (the best chunk) with its best sentence marked."""
    spans = [(start + s, start + e) for s, e in sentence_spans(text[start:end])] or [(start, end)]
    wanted = _terms(query)
    scores = [len(wanted & _terms(text[s:e])) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    s_start, s_end = spans[best]
    # Widen with whole neighbouring sentences while the snippet stays short.
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
