"""The pipeline: sources -> contributions -> chunks -> vectors -> store."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from indexer.corpus import CorpusInput, sha256_file
from indexer.embedding import Embedder
from indexer.errors import IndexFormatError, IndexNotFound, UpdateError
from indexer.pipeline.report import BuildReport
from indexer.pipeline.updates import (
    ParsedFile,
    Previous,
    lookups_digest,
    plan_update,
    previous_build,
    wanted_files,
)
from indexer.pipeline.workers import LocalWorkers, Workers
from indexer.pipeline.writing import BuildWriter
from indexer.sources import corpus_defaults, members_files, parser_version
from indexer.store.integrity import file_digests, verify_build
from indexer.store.layout import build_lock, publish, read_manifest
from indexer.store.manifest import (
    FORMAT_VERSION,
    CorpusEntry,
    Manifest,
    ModelEntry,
    with_history,
    write_manifest_file,
)
from indexer.store.merging import MERGE_POLICY, MergePolicy
from indexer.store.vectors import EXACT_BELOW
from indexer.text.chunking import ChunkingParams


def input_fingerprint(
    inputs: Sequence[CorpusInput], embedder: Embedder, params: ChunkingParams,
    exact_below: int = EXACT_BELOW,
) -> dict:
    """Everything a build's output depends on; equal fingerprints mean an equal index."""
    corpora = []
    for corpus in inputs:
        paths = sorted({*corpus.files, *members_files(corpus)})
        entry = {
            "name": corpus.name,
            "format": corpus.format,
            "parser_version": parser_version(corpus.format),
            "manifest": str(corpus.manifest.manifest_path) if corpus.manifest else None,
            "files": {p.relative_to(corpus.root).as_posix(): sha256_file(p) for p in paths},
        }
        if defaults := corpus_defaults(corpus):  # the house and parliament a manifest states
            entry["defaults"] = defaults
        corpora.append(entry)
    spec = {
        "format_version": FORMAT_VERSION,
        "model": embedder.fingerprint,
        "chunking": asdict(params),
        "exact_below": exact_below,
        "corpora": corpora,
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "corpora": corpora}


def is_up_to_date(index_dir: Path, fingerprint: dict) -> bool:
    try:
        manifest = read_manifest(index_dir)
    except (IndexNotFound, IndexFormatError):
        return False
    return manifest.input_fingerprint == fingerprint["digest"]


def build_index(
    inputs: Sequence[CorpusInput],
    index_dir: Path,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    *,
    force: bool = False,
    add: bool = False,
    progress: bool = True,
    cache_dir: Path | None = None,
    exact_below: int = EXACT_BELOW,
    workers: Workers | None = None,
    merge_policy: MergePolicy = MERGE_POLICY,
    mirrored: Sequence[Path] = (),
) -> BuildReport:
    """Build or update the index at `index_dir` so that it holds `inputs`.

    Only what changed is parsed, chunked, embedded and written: source files new or changed
    since the current build go into new segments; the segments of unchanged files are kept
    as they are; a segment that lost files (removed or changed) is written again from its
    stored rows, without them (updates.py decides). With `add`, files the index holds that
    `inputs` do not name are kept rather than removed. `force` rebuilds everything. Nothing
    already embedded is embedded again: vectors come from the vector cache under `cache_dir`
    (shared by every index of the machine; none if None) or the previous build. From
    `exact_below` chunks up, a segment's vector index is approximate. `workers` parse, chunk
    and embed (default: this process; distributed.RayWorkers: a Ray cluster's).
    `merge_policy` says which segments an update merges, and how large one may grow. With
    `add`, the index holds each `mirrored` folder as `inputs` find it: a file under one that
    they no longer name (deleted, or superseded by a re-scrape) leaves the index (`sync`).
    """
    params = params or ChunkingParams()
    index_dir = Path(index_dir)
    workers = workers or LocalWorkers(embedder, params)
    report = BuildReport(index_dir=str(index_dir),
                         embedder=embedded_with(embedder) | workers.description)
    started = time.perf_counter()
    with build_lock(index_dir):
        fingerprint = input_fingerprint(inputs, embedder, params, exact_below)
        if not force and not add and is_up_to_date(index_dir, fingerprint):
            report.up_to_date = True
            return report
        settings = build_settings(embedder, params, exact_below)
        previous = None if force else previous_build(index_dir, settings)
        # Whatever its settings, the current build says when each file entered the index.
        prior = previous.manifest if previous else _current_manifest(index_dir)
        if add and previous is None:
            _check_nothing_to_lose(index_dir, force)
        corpora = _corpora(inputs, fingerprint, previous if add else None)
        plan = plan_update(previous, wanted_files(inputs, corpora, previous if add else None,
                                                  mirrored), merge_policy)
        # Without `add`, an update that changes no file still records what the index now
        # holds (the inputs' fingerprint): after builds in stages or with `add`, which record
        # none, the next build of the same inputs is then up to date at once.
        if previous and plan.unchanged() and add:
            report.up_to_date = True
            return report
        writer = BuildWriter(plan, embedder, workers, params, exact_below, merge_policy,
                             index_dir, cache_dir, report, progress)

        def write(folder: Path, build_id: str) -> None:
            segments = writer.write(folder)
            t = time.perf_counter()
            # Kept segments' files keep the checksums they were written with, so that the
            # check below finds one damaged since, rather than publishing it again.
            files = file_digests(folder, previous.manifest.files if previous else None)
            write_manifest_file(folder, with_history(Manifest.of_segments(
                segments, build_id=build_id, created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                input_fingerprint=None if add else fingerprint["digest"], settings=settings,
                model=_model_entry(embedder), chunking=asdict(params), exact_below=exact_below,
                corpora=corpora, files=files,
                corpus_issues=tuple((i.file, i.line, i.message)
                                    for c in inputs for i in c.issues),
                built_with={"python": platform.python_version()}), prior))
            verify_build(folder, name=f"the new build of {index_dir} (not published)")
            report.seconds["check"] = time.perf_counter() - t

        publish(index_dir, write)
    report.issues = [str(i) for corpus in inputs for i in corpus.issues] + report.issues
    report.seconds["total"] = time.perf_counter() - started
    return report


def files_to_parse(inputs: Sequence[CorpusInput], index_dir: Path, embedder: Embedder,
                   params: ChunkingParams, exact_below: int = EXACT_BELOW
                   ) -> list[tuple[CorpusInput, Path]] | None:
    """The files of `inputs` that `build_index` would parse and embed to update the index at
    `index_dir` (those new or changed since its current build), in order; None where it would
    start over (no index, an unreadable one, or one built with other settings)."""
    previous = previous_build(index_dir, build_settings(embedder, params, exact_below))
    if previous is None:
        return None
    fingerprint = input_fingerprint(inputs, embedder, params, exact_below)
    plan = plan_update(previous, wanted_files(inputs, _corpora(inputs, fingerprint, None)))
    return [(unit.corpus, unit.path) for unit in plan.units if isinstance(unit, ParsedFile)]


def _current_manifest(index_dir: Path) -> Manifest | None:
    try:
        return read_manifest(index_dir)
    except (IndexNotFound, IndexFormatError):
        return None


def _check_nothing_to_lose(index_dir: Path, force: bool) -> None:
    """An `add` keeps what the index holds: it cannot start over (`force`, or settings other
    than the index's) without losing the files it is not given."""
    try:
        read_manifest(index_dir)
    except IndexNotFound:
        return  # nothing there: an add is a first build
    except IndexFormatError as exc:
        why = str(exc)
    else:
        why = ("--force rebuilds from the inputs alone" if force else
               "the index was built with another model, chunking or vector settings")
    raise UpdateError(f"cannot add to the index at {index_dir}: {why}; rebuild it from all "
                      "its sources without --add")


def embedded_with(embedder: Embedder) -> dict[str, str]:
    """What computes the vectors: not part of the model's fingerprint (embedding.py says why)."""
    return {"backend": embedder.backend, "device": embedder.device}


def build_settings(embedder: Embedder, params: ChunkingParams, exact_below: int) -> str:
    """What every segment of an index must share: a build with other settings starts over."""
    spec = {"format_version": FORMAT_VERSION, "model": embedder.fingerprint,
            "chunking": asdict(params), "exact_below": exact_below}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _corpora(inputs: Sequence[CorpusInput], fingerprint: dict, previous: Previous | None
             ) -> tuple[CorpusEntry, ...]:
    """The manifest's corpora: those of `inputs`, after (with `add`) those the previous
    build holds, their files joined."""
    corpora = {c.name: c for c in (previous.manifest.corpora if previous else ())}
    for corpus, files in zip(inputs, fingerprint["corpora"], strict=True):
        manifest = corpus.manifest
        kept = corpora.get(corpus.name) if previous else None
        corpora[corpus.name] = CorpusEntry(
            name=corpus.name,
            title=manifest.title if manifest else corpus.name,
            format=corpus.format,
            manifest=str(manifest.manifest_path) if manifest else None,
            root=str(corpus.root),
            licence=asdict(manifest.licence) if manifest else None,
            parser_version=files["parser_version"],
            lookups=lookups_digest(corpus, files["files"]),
            files={**kept.files, **files["files"]} if kept else files["files"],
        )
    return tuple(corpora.values())


def _model_entry(embedder: Embedder) -> ModelEntry:
    return ModelEntry(name=embedder.name, path=str(getattr(embedder, "model_path", "")),
                      fingerprint=embedder.fingerprint, dimension=embedder.dimension,
                      max_tokens=embedder.max_tokens,
                      embedded_with=embedded_with(embedder))  # this build's new vectors
