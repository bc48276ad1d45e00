"""Context packing: the best passages for a question, numbered and cited, in a token budget.

The block a language model is given looks like this (every passage verbatim; a passage that
does not fit whole is cut at a sentence boundary and marked "[…]"):

    Question: ...
    Passages from the parliamentary record follow, numbered; cite them by number, e.g. [1]. ...

    [1] David Hanson (The Minister for Policing, ...; Labour, Delyn), House of Commons, 2009-10-26:
    We are committed to providing the police with ...

    Citations:
    [1] David Hanson (...). House of Commons. 2009-10-26. HOME DEPARTMENT — Tasers. <id>. <url>

A passage is the best-matching chunk of a contribution (a window of whole sentences); one cut
to fit keeps the run of sentences that starts at its best-matching sentence, with "[…]" where
text was left out before or after.

Its length, framing and citation list included, never exceeds `max_tokens` as tiktoken counts
it. The text is built from segments that each end in a newline and begin with a non-space
character; tiktoken's pre-tokeniser always splits there, so the count of the whole is the sum
of the counts of its segments, which is what lets the packer fill the budget passage by
passage. The whole is still counted once at the end, and trimmed if it were ever over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from indexer.store.records import ContributionRecord, SearchFilters
from indexer.text.sentences import sentence_spans
from indexer.text.tokens import ENCODINGS, get_encoding
from search_api.answering.answers import ANSWERABLE_THRESHOLD, DECISION_RETRIEVAL, retrieve
from search_api.engine.checks import MAX_K
from search_api.engine.citations import citation_line, describe_speaker
from search_api.engine.search_index import SearchHit, SearchIndex
from search_api.errors import InvalidRequest

MAX_CONTEXT_TOKENS = 100_000
TRUNCATED = " […]"
NO_PASSAGES = "No passages.\n"
CITATIONS = "Citations:\n"
MIN_USEFUL_TOKENS = 16  # stop looking for passages once less than this is left


@dataclass(frozen=True)
class ContextPassage:
    number: int  # the citation marker, [number]
    contribution: ContributionRecord
    start: int  # `text` is contribution.text[start:end]
    end: int
    role: str  # match: retrieved; answer: a reply to the question before it
    score: float | None  # retrieval score; None for a linked answer
    cut_before: bool = False  # cut at sentence boundaries to fit: text left out before it
    cut_after: bool = False  # ... and after it; each cut shows as "[…]"

    @property
    def text(self) -> str:
        return self.contribution.text[self.start : self.end]

    @property
    def truncated(self) -> bool:
        return self.cut_before or self.cut_after

    @property
    def shown(self) -> str:
        """The passage as the context prints it: verbatim, with its cuts marked."""
        return ((TRUNCATED.strip() + " " if self.cut_before else "") + self.text
                + (TRUNCATED if self.cut_after else ""))


class _Candidate(NamedTuple):
    """A passage to consider: `record.text[start:end]`, cut (if it must be) from the
    sentence holding `focus` on."""

    record: ContributionRecord
    start: int
    end: int
    focus: int  # a character of its best sentence
    role: str  # as ContextPassage's
    score: float | None


@dataclass
class PackedContext:
    question: str
    encoding: str
    max_tokens: int
    tokens: int  # of `text`, as `encoding` counts it
    text: str
    answerable: bool
    top_score: float | None
    threshold: float
    filters: dict[str, str]
    passages: list[ContextPassage] = field(default_factory=list)


def pack_context(
    index: SearchIndex, question: str, max_tokens: int, encoding: str = "cl100k_base",
    filters: SearchFilters | None = None, *, threshold: float = ANSWERABLE_THRESHOLD,
) -> PackedContext:
    """The best passages for `question` from a SearchIndex, cited, in `max_tokens` tokens."""
    if encoding not in ENCODINGS:
        raise InvalidRequest("encoding",
                             f"unknown encoding {encoding!r}; known: {', '.join(ENCODINGS)}")
    if not 1 <= max_tokens <= MAX_CONTEXT_TOKENS:
        raise InvalidRequest("max_tokens", f"max_tokens must be between 1 and "
                                           f"{MAX_CONTEXT_TOKENS}, not {max_tokens}")
    enc = get_encoding(encoding)

    def count(text: str) -> int:
        return len(enc.encode_ordinary(text))

    k = min(MAX_K, max(10, max_tokens // 100))
    results, top = retrieve(index, question, filters, k, DECISION_RETRIEVAL)
    answerable = top is not None and top >= threshold
    header = _header(results.query, top, threshold, answerable)
    minimum = count(header) + count(NO_PASSAGES)
    if minimum > max_tokens:
        raise InvalidRequest("max_tokens", f"max_tokens {max_tokens} is too small for the "
                                           f"framing of this question; it needs at least {minimum}")
    chosen: list[ContextPassage] = []
    used = count(header) + count(CITATIONS)
    for candidate in _candidates(index, results.hits):
        if max_tokens - used < MIN_USEFUL_TOKENS:
            break
        passage = _fit(candidate, len(chosen) + 1, max_tokens - used, count)
        if passage is not None:
            chosen.append(passage)
            used += _cost(passage, count)
    text = _render(header, chosen)
    tokens = count(text)
    while tokens > max_tokens:  # only if the sum of the parts ever undercounted the whole
        chosen.pop()
        text = _render(header, chosen)
        tokens = count(text)
    return PackedContext(results.query, encoding, max_tokens, tokens, text, answerable, top,
                         threshold, results.filters, chosen)


def _header(question: str, top: float | None, threshold: float, answerable: bool) -> str:
    lines = [
        f"Question: {' '.join(question.split())}",
        "Passages from the parliamentary record follow, numbered; cite them by number, e.g. "
        "[1]. Each is quoted verbatim; [\u2026] marks a passage cut short. Attribute every "
        "statement to the member who made it.",
    ]
    if not answerable:
        best = "nothing passes the filters" if top is None else f"the best scores {top:.2f}"
        lines.append(f"Note: no passage closely matches the question ({best}; an answer needs "
                     f"{threshold:.2f}). Say that the record does not answer it rather than "
                     "guess.")
    return "\n".join(lines) + "\n\n"


def _candidates(index: SearchIndex, hits: list[SearchHit]) -> list[_Candidate]:
    """Each hit's best chunk (focus: its best sentence), then the answers the hit got."""
    seen: set[str] = set()
    found: list[_Candidate] = []
    for hit in hits:
        record = hit.contribution
        if record.id in seen:
            continue
        seen.add(record.id)
        start, end = _span(index, record, hit.snippet.chunk)
        focus = hit.snippet.char_start + hit.snippet.highlight_start
        found.append(_Candidate(record, start, end, focus if start <= focus < end else start,
                                "match", hit.score))
        for answer in hit.links.answers:
            if answer.id not in seen:
                seen.add(answer.id)
                start, end = _span(index, answer, 0)
                found.append(_Candidate(answer, start, end, start, "answer", None))
    return found


def _span(index: SearchIndex, record: ContributionRecord, ordinal: int) -> tuple[int, int]:
    chunk = index.chunk_span(record.id, ordinal)
    return (chunk.start, chunk.end) if chunk else (0, len(record.text))


def _fit(candidate: _Candidate, number: int, budget: int, count: Callable[[str], int]
         ) -> ContextPassage | None:
    """The candidate as passage `number`, whole or cut to fit `budget` tokens; None if not."""
    record, start, end, focus, role, score = candidate
    whole = ContextPassage(number, record, start, end, role, score)
    if _cost(whole, count) <= budget:
        return whole
    spans = [(start + s, start + e) for s, e in sentence_spans(record.text[start:end])]
    first = next((i for i, (_, e) in enumerate(spans) if e > focus), 0)
    ends = [e for _, e in spans[first:]]
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:  # the longest run of whole sentences from the best one that fits
        mid = (lo + hi) // 2
        cut = ContextPassage(number, record, spans[first][0], ends[mid], role, score,
                             cut_before=spans[first][0] > start, cut_after=ends[mid] < end)
        if _cost(cut, count) <= budget:
            best, lo = cut, mid + 1
        else:
            hi = mid - 1
    return best


def _block(p: ContextPassage) -> str:
    c = p.contribution
    role = " (answering the question above)" if p.role == "answer" else ""
    return f"[{p.number}] {describe_speaker(c.speaker)}, {c.house}, {c.date}{role}:\n{p.shown}\n\n"


def _citation(p: ContextPassage) -> str:
    return f"[{p.number}] {citation_line(p.contribution)}\n"


def _cost(p: ContextPassage, count: Callable[[str], int]) -> int:
    return count(_block(p)) + count(_citation(p))


def _render(header: str, passages: list[ContextPassage]) -> str:
    if not passages:
        return header + NO_PASSAGES
    return (header + "".join(_block(p) for p in passages) + CITATIONS
            + "".join(_citation(p) for p in passages))
