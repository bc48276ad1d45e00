"""Contribution -> Chunks: overlapping windows of whole sentences that fit the embedder.

A chunk never exceeds the embedder's word-piece limit (the model would silently drop the
rest). Windows are built from whole sentences; a sentence too long for one window is cut at
word boundaries. Consecutive windows share up to `overlap_pieces` word pieces of whole
sentences, so a thought that straddles a boundary is seen whole by at least one chunk.
Every chunk's text is an exact slice of its contribution's text.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.contribution import Contribution, Kind
from indexer.embedding import Embedder
from indexer.text.sentences import sentence_spans
from indexer.text.tokens import count_tokens

SPECIAL_PIECES = 2  # [CLS] and [SEP]


@dataclass(frozen=True, slots=True)
class ChunkingParams:
    """How contributions are cut; part of an index's identity."""

    max_pieces: int = 256  # including special tokens; capped at the embedder's limit
    overlap_pieces: int = 48
    context: bool = True  # embed each chunk after its debate title and speaker (see below)
    # Embed a reply's chunks after the question it answers too (qa_links.py links them): a
    # lever measured and not kept (docs/quality.md, "Not kept"), off by default.
    question_context: bool = False
    # Embed a speech's chunks after the opening sentence of its debate (debate_openings):
    # a lever measured and not kept (docs/quality.md, "Not kept"), off by default.
    opening_context: bool = False


@dataclass(frozen=True, slots=True)
class Chunk:
    contribution_id: str
    ordinal: int  # 0-based position within its contribution
    char_start: int
    char_end: int
    text: str  # verbatim slice of the contribution
    embed_text: str  # what the embedder sees: `text`, after the context line if any
    pieces: int  # word pieces the embedder sees, special tokens included
    tokens_cl100k: int
    tokens_o200k: int


def context_line(contribution: Contribution) -> str:
    """Who said it, where: the debate title and the speaker with office and party.

    Embedded before each chunk when ChunkingParams.context is on, so that a chunk of a reply
    ("My Department's spend ...") carries its topic and its minister.
    """
    s = contribution.speaker
    return context_line_of(contribution.debate_title, s.name, s.office, s.party)


def context_line_of(debate_title: str | None, name: str | None, office: str | None,
                    party: str | None) -> str:
    """`context_line` from the stored fields it is made of."""
    who = ", ".join(x for x in (name, office, party) if x)
    return " — ".join(x for x in (debate_title, who) if x)


def chunk_contribution(
    contribution: Contribution, embedder: Embedder, params: ChunkingParams,
    question: str | None = None, opening: str | None = None,
) -> list[Chunk]:
    """Chunks of one contribution, with its context line when `params.context`, the
    question it answers when `params.question_context` and `question` is given, and its
    debate's opening when `params.opening_context` and `opening` is given."""
    prefix = context_line(contribution) if params.context else ""
    if params.question_context and question:
        prefix = " — ".join(x for x in (prefix, f"answering: {question}") if x)
    if params.opening_context and opening:
        prefix = " — ".join(x for x in (prefix, f"opening: {opening}") if x)
    return chunk_text(contribution.id, contribution.text, embedder, params, prefix=prefix)


OPENING_MIN_CHARS = 200  # a shorter first speech ("I beg to move") does not state the subject
OPENING_CHARS = 300


def debate_openings(contributions: Sequence[Contribution]) -> dict[str, str]:
    """For each speech after the one that opens its debate section (the first of
    OPENING_MIN_CHARS or more, by a named speaker), that speech's first sentences, up to
    OPENING_CHARS: what the debate is about, which a later speech often no longer says."""
    sections: dict[str, list[Contribution]] = defaultdict(list)
    for c in contributions:
        sections[c.debate_id].append(c)
    found: dict[str, str] = {}
    for section in sections.values():
        section.sort(key=lambda c: c.position)
        speeches = [c for c in section if c.kind is Kind.SPEECH and c.speaker.name]
        first = next((i for i, c in enumerate(speeches) if len(c.text) >= OPENING_MIN_CHARS),
                     None)
        if first is None:
            continue
        text = speeches[first].text
        ends = [end for _, end in sentence_spans(text) if end <= OPENING_CHARS]
        opening = text[: ends[-1] if ends else OPENING_CHARS]
        found |= dict.fromkeys((c.id for c in speeches[first + 1:]), opening)
    return found


def chunk_text(
    contribution_id: str, text: str, embedder: Embedder, params: ChunkingParams,
    prefix: str = "",
) -> list[Chunk]:
    """Cut one contribution's text into chunks that fit the embedder after `prefix`."""
    limit = min(params.max_pieces, embedder.max_tokens)
    budget = limit - SPECIAL_PIECES
    if prefix:
        # A long title must not crowd out the words themselves: it gets at most a third.
        prefix = _fit(prefix, embedder, budget // 3) + "\n"
        budget -= len(embedder.piece_offsets(prefix))
    offsets = embedder.piece_offsets(text)
    if len(offsets) <= budget:
        spans = [(0, len(text))]
    else:
        spans = _windows(text, offsets, budget, params.overlap_pieces)
    chunks = []
    for ordinal, (start, end) in enumerate(spans):
        piece_text = text[start:end]
        pieces = embedder.count_pieces(prefix + piece_text)
        if pieces > limit:  # re-tokenising a slice could merge pieces differently
            raise RuntimeError(f"chunk {ordinal} of {contribution_id} has {pieces} word pieces")
        chunks.append(
            Chunk(
                contribution_id=contribution_id,
                ordinal=ordinal,
                char_start=start,
                char_end=end,
                text=piece_text,
                embed_text=prefix + piece_text,
                pieces=pieces,
                tokens_cl100k=count_tokens(piece_text, "cl100k_base"),
                tokens_o200k=count_tokens(piece_text, "o200k_base"),
            )
        )
    return chunks


def _fit(text: str, embedder: Embedder, max_pieces: int) -> str:
    """`text`, cut after its first `max_pieces` word pieces."""
    offsets = embedder.piece_offsets(text)
    return text if len(offsets) <= max_pieces else text[: offsets[max_pieces - 1][1]]


def _windows(
    text: str, offsets: list[tuple[int, int]], budget: int, overlap: int
) -> list[tuple[int, int]]:
    """Character spans of sentence-aligned windows of at most `budget` pieces."""
    piece_starts = [start for start, _ in offsets]
    units = []  # (char_start, char_end, first_piece, end_piece): sentences, or parts of them
    for s_start, s_end in sentence_spans(text):
        first = bisect.bisect_left(piece_starts, s_start)
        end = bisect.bisect_left(piece_starts, s_end)
        if end - first <= budget:
            units.append((s_start, s_end, first, end))
        else:
            units.extend(_split_long_sentence(text, offsets, first, end, budget))
    size = [u[3] - u[2] for u in units]
    windows, i = [], 0
    while i < len(units):
        j, used = i, 0
        while j < len(units) and used + size[j] <= budget:
            used += size[j]
            j += 1
        windows.append((units[i][0], units[j - 1][1]))
        if j == len(units):
            break
        # Start the next window with the trailing sentences that fit in the overlap, as long
        # as the next new sentence still fits after them (else the window would not advance).
        k, carried = j, 0
        while (k - 1 > i and carried + size[k - 1] <= overlap
               and carried + size[k - 1] + size[j] <= budget):
            k -= 1
            carried += size[k]
        i = k
    return windows


def _split_long_sentence(
    text: str, offsets: list[tuple[int, int]], first: int, end: int, budget: int
) -> list[tuple[int, int, int, int]]:
    """Cut pieces [first, end) into runs of <= budget pieces, each starting at a word."""
    parts, start = [], first
    while start < end:
        stop = min(start + budget, end)
        if stop < end:
            # Back off so the next part begins at a word, not inside one (a "##" piece).
            cut = stop
            while cut > start + 1 and not _starts_word(text, offsets, cut):
                cut -= 1
            stop = cut if cut > start + 1 else stop
        parts.append((offsets[start][0], offsets[stop - 1][1], start, stop))
        start = stop
    return parts


def _starts_word(text: str, offsets: list[tuple[int, int]], piece: int) -> bool:
    begin = offsets[piece][0]
    return begin == 0 or text[begin - 1].isspace() or offsets[piece - 1][1] < begin
