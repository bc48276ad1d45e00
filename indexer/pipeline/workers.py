"""Who parses, chunks and embeds for a build: this process (LocalWorkers), or a Ray cluster
(distributed.RayWorkers). The build itself (what to embed, what to write, in which order) is
the same for both, so a distributed build writes what a local one writes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.contribution import Contribution, ParseIssue
from indexer.corpus import CorpusInput
from indexer.embedding import Embedder
from indexer.sources import CorpusParser
from indexer.text.chunking import Chunk, ChunkingParams, chunk_contribution, debate_openings
from indexer.text.qa_links import questions_answered
from indexer.text.tokens import count_tokens


@dataclass
class PreparedFile:
    """A source file parsed and chunked, its contributions' token counts taken."""

    contributions: list[Contribution]
    chunks: list[list[Chunk]]  # per contribution
    tokens: list[tuple[int, int]]  # per contribution: cl100k_base, o200k_base
    issues: list[ParseIssue]
    seconds: dict[str, float] = field(default_factory=dict)  # import, chunk


class Workers(Protocol):
    """Parses and chunks source files, embeds texts; results come back in the order asked."""

    description: dict[str, str]  # for the build report: workers, nodes (empty when local)

    def prepared(self, files: Iterable[tuple[CorpusInput, Path] | None]
                 ) -> Iterator[PreparedFile | None]:
        """Each file prepared, in order (None for None: a file not to parse)."""
        ...

    def embedded(self, batches: Sequence[list[str]]) -> Iterator[np.ndarray]:
        """Each batch's vectors, in order."""
        ...


class FilePreparer:
    """Parses and chunks files with one embedder's tokenizer; parsers made once a corpus."""

    def __init__(self, embedder: Embedder, params: ChunkingParams):
        self.embedder, self.params = embedder, params
        self.parsers: dict[str, CorpusParser] = {}

    def prepare(self, corpus: CorpusInput, path: Path) -> PreparedFile:
        started = time.perf_counter()
        if corpus.name not in self.parsers:
            self.parsers[corpus.name] = CorpusParser(corpus)
        contributions, issues = self.parsers[corpus.name].parse(path)
        parsed = time.perf_counter()
        questions = questions_answered(contributions) if self.params.question_context else {}
        openings = debate_openings(contributions) if self.params.opening_context else {}
        chunks = [chunk_contribution(c, self.embedder, self.params, questions.get(c.id),
                                     openings.get(c.id))
                  for c in contributions]
        tokens = [(count_tokens(c.text, "cl100k_base"), count_tokens(c.text, "o200k_base"))
                  for c in contributions]
        return PreparedFile(contributions, chunks, tokens, issues, seconds={
            "import": parsed - started, "chunk": time.perf_counter() - parsed})


class LocalWorkers:
    """This process does it all, one file and one batch at a time, as they are asked for."""

    description: dict[str, str] = {}

    def __init__(self, embedder: Embedder, params: ChunkingParams):
        self.embedder = embedder
        self.preparer = FilePreparer(embedder, params)

    def prepared(self, files):
        for item in files:
            yield None if item is None else self.preparer.prepare(*item)

    def embedded(self, batches):
        for batch in batches:
            yield self.embedder.embed(batch)
