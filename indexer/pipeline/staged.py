"""A build published in stages: the first files searchable within a minute, the rest added
while they are served.

The first build of the default corpus embeds for a quarter of an hour on two cores. Built in
stages, it is published after its smallest file, and again after each further group of files,
each group at least as large (in bytes) as all before it: a corpus of n bytes is published
about log2(n / its smallest file) times, nine for the default corpus, and a server following
the index (search_api/engine/live_index.py) answers from the first publication on. Each stage
is an ordinary `build_index`, published atomically as every build is: every stage but the last
adds its group's files to what the index holds (`add`), so an index that is stale stays whole
while its new and changed files are added; the last stage is the update to the whole of the
inputs, which also removes what they no longer name and records their fingerprint. The
finished index is therefore the one `debate-search index` builds, and a build interrupted
between stages is taken up where it stopped: the files published are not parsed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from indexer.corpus import CorpusInput
from indexer.embedding import Embedder
from indexer.errors import DebateSearchError
from indexer.pipeline.build import build_index, files_to_parse
from indexer.pipeline.report import BuildReport
from indexer.text.chunking import ChunkingParams

log = logging.getLogger(__name__)

SourceFile = tuple[CorpusInput, Path]


class StageFailed(DebateSearchError):
    """A stage of a build in stages failed: what the index holds stays published."""


def stages(files: Sequence[SourceFile]) -> list[list[SourceFile]]:
    """`files` smallest first, in groups: the smallest alone, then each group at least as
    large as all the groups before it."""
    groups: list[list[SourceFile]] = []
    group: list[SourceFile] = []
    built = size = 0
    for file in sorted(files, key=lambda f: f[1].stat().st_size):
        group.append(file)
        size += file[1].stat().st_size
        if size >= built:
            groups.append(group)
            built, group, size = built + size, [], 0
    if group:
        groups.append(group)
    return groups


def build_in_stages(inputs: Sequence[CorpusInput], index_dir: Path, embedder: Embedder,
                    params: ChunkingParams | None = None, *, cache_dir: Path | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Update the index at `index_dir` to hold `inputs`, as `build_index` does, publishing it
    after each stage. `on_progress(done, total)` is told before each stage how many of the
    inputs' files the published index holds; an index that needs no file parsed is updated
    at once, and told nothing. Returns the last stage's report; StageFailed names the files
    of a stage that failed."""
    params = params or ChunkingParams()
    pending = files_to_parse(inputs, index_dir, embedder, params)
    add = pending is not None  # else the first stage starts the index over
    if pending is None:
        pending = [(corpus, path) for corpus in inputs for path in corpus.files]
    groups = stages(pending)
    if not groups:  # nothing to parse: files removed, or only the fingerprint to record
        return build_index(inputs, index_dir, embedder, params, progress=False,
                           cache_dir=cache_dir)
    total = sum(len(corpus.files) for corpus in inputs)
    done = total - len(pending)
    for number, group in enumerate(groups, start=1):
        if on_progress:
            on_progress(done, total)
        last = number == len(groups)
        try:
            report = build_index(inputs if last else _only(inputs, group), index_dir,
                                 embedder, params, add=add and not last, progress=False,
                                 cache_dir=cache_dir)
        except Exception as exc:
            names = ", ".join(str(path.relative_to(corpus.root)) for corpus, path in group)
            raise StageFailed(f"indexing {names} failed ({type(exc).__name__}: {exc}); the "
                              f"index holds the {done} of {total} files indexed before") from exc
        add, done = True, done + len(group)
        log.info("stage %d of %d: %d of %d files indexed. %s", number, len(groups), done,
                 total, report.summary())
    return report


def _only(inputs: Sequence[CorpusInput], group: Sequence[SourceFile]) -> list[CorpusInput]:
    """`inputs` narrowed to the files of `group` (a corpus with none of them left out)."""
    chosen = {path for _, path in group}
    narrowed = [replace(corpus, files=tuple(p for p in corpus.files if p in chosen), issues=())
                for corpus in inputs]
    return [corpus for corpus in narrowed if corpus.files]
