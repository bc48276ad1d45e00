"""Context packing: the best passages for a question, numbered and cited, in a token budget.

The block a language model is given looks like this (every passage verbatim; a passage that
does not fit whole is cut at a sentence boundary and marked "[…]"):

    Question: ...
    Passages from the parliamentary record follow, numbered; cite them by number, e.g. [1]. ...

    [1] David Hanson (The Minister for Policing, ...; Labour, Delyn), House of Commons, 2009-10-26:
    We are committed to providing the police with ...

    Citations:
    [1] David Hanson (...). House of Commons. 2009-10-26. HOME DEPARTMENT — Tasers. <id>. <url>

Its length, framing and citation list included, never exceeds `max_tokens` as tiktoken counts
it. The text is built from segments that each end in a newline and begin with a non-space
character; tiktoken's pre-tokeniser always splits there, so the count of the whole is the sum
of the counts of its segments, which is what lets the packer fill the budget passage by
passage. The whole is still counted once at the end, and trimmed if it were ever over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.sentences import sentence_spans
from indexer.tokens import ENCODINGS, get_encoding
from search_api.answers import ANSWERABLE_THRESHOLD, citation_line, describe_speaker
from search_api.errors import InvalidRequest
from search_api.exchanges import exchanges
from search_api.filters import MAX_K, SearchFilters
from search_api.records import ContributionRecord

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
    truncated: bool  # cut at a sentence boundary to fit
    role: str  # match: retrieved; answer: a reply to the question before it
    score: float | None  # retrieval score; None for a linked answer

    @property
    def text(self) -> str:
        return self.contribution.text[self.start : self.end]


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
    index, question: str, max_tokens: int, encoding: str = "cl100k_base",
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
    results = index.search(question, k=k, filters=filters, mode="dense")
    top = results.hits[0].score if results.hits else None
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


def _candidates(index, hits) -> list[tuple[ContributionRecord, int, int, str, float | None]]:
    """(record, start, end, role, score): each hit's best chunk, then the answers it got."""
    links = exchanges(index, [h.contribution.id for h in hits])
    seen: set[str] = set()
    found = []
    for hit in hits:
        record = hit.contribution
        if record.id in seen:
            continue
        seen.add(record.id)
        start, end = _span(index, record, hit.snippet.chunk)
        found.append((record, start, end, "match", hit.score))
        for answer in links[record.id].answers:
            if answer.id not in seen:
                seen.add(answer.id)
                found.append((answer, *_span(index, answer, 0), "answer", None))
    return found


def _span(index, record: ContributionRecord, ordinal: int) -> tuple[int, int]:
    row = index.db.execute(
        "SELECT chunks.char_start, chunks.char_end FROM chunks JOIN contributions "
        "ON contributions.rowid = chunks.contribution_rowid "
        "WHERE contributions.id = ? AND chunks.ordinal = ?", (record.id, ordinal)).fetchone()
    return (row[0], row[1]) if row else (0, len(record.text))


def _fit(candidate, number: int, budget: int, count) -> ContextPassage | None:
    """The candidate as passage `number`, whole or cut to fit `budget` tokens; None if not."""
    record, start, end, role, score = candidate
    whole = ContextPassage(number, record, start, end, False, role, score)
    if _cost(whole, count) <= budget:
        return whole
    ends = [start + e for _, e in sentence_spans(record.text[start:end])][:-1]
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:  # the longest run of whole sentences that fits
        mid = (lo + hi) // 2
        cut = ContextPassage(number, record, start, ends[mid], True, role, score)
        if _cost(cut, count) <= budget:
            best, lo = cut, mid + 1
        else:
            hi = mid - 1
    return best


def _block(p: ContextPassage) -> str:
    c = p.contribution
    role = " (answering the question above)" if p.role == "answer" else ""
    text = p.text + (TRUNCATED if p.truncated else "")
    return f"[{p.number}] {describe_speaker(c.speaker)}, {c.house}, {c.date}{role}:\n{text}\n\n"


def _citation(p: ContextPassage) -> str:
    return f"[{p.number}] {citation_line(p.contribution)}\n"


def _cost(p: ContextPassage, count) -> int:
    return count(_block(p)) + count(_citation(p))


def _render(header: str, passages: list[ContextPassage]) -> str:
    if not passages:
        return header + NO_PASSAGES
    return (header + "".join(_block(p) for p in passages) + CITATIONS
            + "".join(_citation(p) for p in passages))
