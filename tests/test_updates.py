"""Incremental updates: adding, replacing (a re-scrape) and removing source files parses and
embeds only what changed, and leaves an index equal to a build from scratch of the same
files."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from killing import CLI, kill_while_embedding

from indexer.errors import UpdateError
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store import layout
from indexer.store.keyword import index_wide, tokenize
from indexer.store.manifest import SegmentEntry
from indexer.store.merging import MERGE_POLICY, MergePolicy
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from indexer.text.chunking import ChunkingParams

WMS_27 = "wms/ministerial2009-10-27a.xml"
WMS_28 = "wms/ministerial2009-10-28a.xml"
WMS_29 = "wms/ministerial2009-10-29a.xml"
QUERIES = ("prisons", "energy policy for Wales", "road safety", "the armed forces in Afghanistan")


@pytest.fixture()
def tree(uk_data, tmp_path) -> Path:
    """A corpus folder of our own (its files change in the tests), with the real members."""
    root = tmp_path / "tree"
    (root / "wms").mkdir(parents=True)
    (root / "members").symlink_to(uk_data / "members")
    return root


def _build(tree: Path, out: Path, embedder, cache: Path, **options):
    inputs = resolve_inputs([tree / "wms"], cache, progress=False)
    return build_index(inputs, out, embedder, progress=False, cache_dir=cache, **options)


def _search(reader: IndexReader, embedder) -> tuple[list, list[float]]:
    """What every kind of retrieval finds (ids, chunk ordinals), and its scores."""
    found, scores = [], []
    for query in QUERIES:
        vector = embedder.embed([query])[0]
        dense = reader.nearest_contributions(vector, 10)
        found.append([(reader.ids([n])[n], reader.chunks([c])[c].ordinal) for n, _, c in dense])
        keyword = reader.keyword_matches(query, 10)
        found.append([reader.ids([n])[n] for n, _ in keyword])
        scores += [score for _, score, _ in dense] + [score for _, score in keyword]
        passing = reader.passing(SearchFilters(date_from="2009-10-28"))
        found.append([reader.ids([n])[n]
                      for n, _, _ in reader.nearest_contributions(vector, 5, passing)])
    return found, scores


def _assert_same_results(one: IndexReader, two: IndexReader, embedder) -> None:
    (found_one, scores_one), (found_two, scores_two) = _search(one, embedder), _search(two,
                                                                                       embedder)
    assert found_one == found_two
    assert np.allclose(scores_one, scores_two, rtol=0, atol=1e-5)


def assert_same_index(one: Path, two: Path, embedder) -> None:
    """Two indexes hold the same contributions, chunks, vectors, speakers and links, and
    retrieval finds the same in both."""
    a, b = IndexReader(one), IndexReader(two)
    everything = SearchFilters()
    records_a, records_b = list(a.records(everything)), list(b.records(everything))
    assert [dataclasses.asdict(r) for r in records_a] == [dataclasses.asdict(r)
                                                           for r in records_b]
    numbers = range(1, a.contribution_count + 1)
    assert a.chunks_of(numbers) == b.chunks_of(numbers)
    assert a.chunk_count == b.chunk_count
    assert np.allclose(a.chunk_vectors(np.arange(a.chunk_count)),
                       b.chunk_vectors(np.arange(b.chunk_count)), atol=1e-6)
    assert a.speakers() == b.speakers()
    assert a.counts() == b.counts()
    assert a.values() == b.values()
    ids = [r.id for r in records_a]
    assert sorted(a.question_answer_links(ids)) == sorted(b.question_answer_links(ids))
    assert a.sentence_spans(ids) == b.sentence_spans(ids)
    _assert_same_results(a, b, embedder)


def _rescrape(text: str) -> str:
    """A re-scrape of a day: its last statement withdrawn, a word of its first corrected."""
    speeches = list(re.finditer(r"<speech .*?</speech>", text, flags=re.S))
    last = speeches[-1]
    text = text[: last.start()] + text[last.end() :]
    first = speeches[0]
    corrected = first.group(0).replace(" the ", " the said ", 1)
    return text[: first.start()] + corrected + text[first.end() :]


@pytest.mark.slow
def test_add_replace_and_remove_equal_a_build_from_scratch(uk_data, tree, tmp_path, embedder,
                                                           session_cache):
    out = tmp_path / "index"
    cache = tmp_path / "cache"  # empty: what is embedded is what had to be

    def from_scratch(name: str) -> Path:
        fresh = tmp_path / name
        _build(tree, fresh, embedder, cache)
        return fresh

    shutil.copy(uk_data / WMS_27, tree / "wms")
    first = _build(tree, out, embedder, cache)
    assert first.files == {"parsed": 1, "kept": 0, "copied": 0, "removed": 0}

    # A new sitting day: only its file is parsed and embedded.
    shutil.copy(uk_data / WMS_28, tree / "wms")
    added = _build(tree, out, embedder, cache)
    assert added.files["parsed"] == 1 and added.files["removed"] == 0
    assert added.embedded == added.chunks - first.chunks > 0
    assert_same_index(out, from_scratch("scratch-added"), embedder)

    # A re-scrape supersedes the day's file (28a -> 28b): its withdrawn statement disappears
    # and only the corrected chunk is embedded.
    original = (uk_data / WMS_28).read_text()
    withdrawn = re.findall(r'<speech id="([^"]+)"', original)[-1]
    (tree / "wms" / "ministerial2009-10-28b.xml").write_text(_rescrape(original))
    replaced = _build(tree, out, embedder, cache)
    assert replaced.files["parsed"] == 1 and replaced.files["removed"] == 1
    assert 0 < replaced.embedded <= 3
    reader = IndexReader(out)
    assert reader.contribution(withdrawn) is None
    assert reader.contribution_count == added.contributions - 1
    assert_same_index(out, from_scratch("scratch-replaced"), embedder)

    # A file removed from the corpus takes its contributions with it; nothing is embedded.
    (tree / "wms" / "ministerial2009-10-27a.xml").unlink()
    removed = _build(tree, out, embedder, cache)
    assert removed.files["parsed"] == 0 and removed.files["removed"] == 1
    assert removed.embedded == 0
    assert_same_index(out, from_scratch("scratch-removed"), embedder)

    # Unchanged: nothing to do.
    assert _build(tree, out, embedder, cache).up_to_date
    # An add cannot start over: it would lose the files it is not given.
    with pytest.raises(UpdateError, match="without --add"):
        _build(tree, out, embedder, cache, add=True, params=ChunkingParams(context=False))
    with pytest.raises(UpdateError, match="--force"):
        _build(tree, out, embedder, cache, add=True, force=True)


@pytest.mark.slow
def test_unchanged_segments_are_kept_not_rewritten(uk_data, tree, tmp_path, embedder,
                                                   session_cache, monkeypatch):
    """With merging of small segments off, each update writes one segment for what changed
    and keeps the others as they are (the same files on disk)."""
    never_merge = MergePolicy(merge_below=0)
    out = tmp_path / "index"
    for name in (WMS_27, WMS_28):
        shutil.copy(uk_data / name, tree / "wms")
        _build(tree, out, embedder, session_cache, merge_policy=never_merge)
    before = layout.read_manifest(out).segments
    assert len(before) == 2

    shutil.copy(uk_data / WMS_29, tree / "wms")
    with layout.hold_build(out) as previous:  # a reader keeps the previous build on disk
        report = _build(tree, out, embedder, session_cache, merge_policy=never_merge)
        assert report.files == {"parsed": 1, "kept": 2, "copied": 0, "removed": 0}
        assert report.segments == {"kept": 2, "written": 1}
        after = layout.read_manifest(out).segments
        assert after[:2] == before
        build = layout.resolve_build(out)
        for segment in before:  # hard links to the previous build's files: nothing rewritten
            for name in ("index.sqlite", "vectors.npy", "vectors.faiss"):
                mine = build / layout.SEGMENTS_DIR / segment.id / name
                theirs = previous.path / layout.SEGMENTS_DIR / segment.id / name
                assert mine.stat().st_ino == theirs.stat().st_ino

    # Three segments find what one finds (dense retrieval is exact in each).
    scratch = tmp_path / "scratch"
    _build(tree, scratch, embedder, session_cache,
           merge_policy=MergePolicy(merge_below=MERGE_POLICY.segment_chunks))
    assert len(layout.read_manifest(scratch).segments) == 1
    segmented, single = IndexReader(out), IndexReader(scratch)
    for query in QUERIES:
        vector = embedder.embed([query])[0]
        mine = segmented.nearest_contributions(vector, 10)
        theirs = single.nearest_contributions(vector, 10)
        assert [segmented.ids([n])[n] for n, _, _ in mine] == [single.ids([n])[n]
                                                               for n, _, _ in theirs]
        assert np.allclose([s for _, s, _ in mine], [s for _, s, _ in theirs], rtol=0,
                           atol=1e-5)
    # Keyword scores use the whole index's document frequencies, whatever the segment; only
    # the length normalisation keeps each segment's average length.
    for query in QUERIES:
        tokens = tokenize([query])[0]
        weights = index_wide([s.keyword for s in segmented.segments], dict.fromkeys(tokens, 1))
        single_df = single.segments[0].keyword.document_frequencies(tokens)
        documents = single.contribution_count
        for segment, own in zip(segmented.segments, weights, strict=True):
            df = segment.keyword.document_frequencies(tokens)
            for i, token in enumerate(tokens):
                if df[i]:  # the segment's idf, scaled, is the single index's
                    assert own[token] * _idf(df[i], segment.keyword.size) == pytest.approx(
                        _idf(single_df[i], documents))
        mine = segmented.keyword_matches(query, 10)
        theirs = single.keyword_matches(query, 10)
        assert ({segmented.ids([n])[n] for n, _ in mine}
                == {single.ids([n])[n] for n, _ in theirs})
    assert segmented.counts() == single.counts()
    assert segmented.speakers() == single.speakers()


def _idf(frequency: int, documents: int) -> float:
    return float(np.log(1 + (documents - frequency + 0.5) / (frequency + 0.5)))


def test_the_merge_policy_merges_small_segments_and_full_tiers():
    def segment(name, chunks):
        return SegmentEntry(name, contributions=chunks, chunks=chunks)

    policy = MERGE_POLICY
    small = [segment(f"s{i}", 2_000) for i in range(3)]
    big = [segment(f"b{i}", policy.segment_chunks) for i in range(4)]
    tier = [segment(f"t{i}", 20_000) for i in range(policy.merge_factor)]
    assert policy.merged(small + big) == {"s0", "s1", "s2"}
    assert policy.merged(big) == set()
    assert policy.merged(big + tier[:-1]) == set()  # a tier short of merge_factor stays
    assert policy.merged(big + tier) == {s.id for s in tier}


@pytest.mark.slow
def test_an_update_killed_mid_build_leaves_the_last_index_serving(uk_data, tree, tmp_path,
                                                                  embedder):
    """SIGKILL a real `debate-search index --add` while it embeds a new day."""
    out = tmp_path / "index"
    shutil.copy(uk_data / WMS_27, tree / "wms")
    _build(tree, out, embedder, tmp_path / "cache")
    before = IndexReader(out)
    counts, build = before.counts(), before.build
    kill_while_embedding(["--add", "--out", str(out), str(uk_data / "lords")],
                         tmp_path / "killed-cache")

    after = IndexReader(out)
    assert after.build == build and after.counts() == counts
    # Run again to the end, the same update embeds only the new files' texts (none that the
    # killed one paid for), keeps what the index held, and cleans up what the killed one left.
    done = subprocess.run(
        [str(CLI), "index", "--add", "--json", "--out", str(out), str(uk_data / "lords")],
        capture_output=True, text=True, check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1",
             "DEBATE_SEARCH_CACHE_DIR": str(tmp_path / "killed-cache")})
    report = json.loads(done.stdout)
    assert report["files"]["parsed"] == len(list((uk_data / "lords").glob("*.xml")))
    assert report["files"]["kept"] + report["files"]["copied"] == 1  # the statements' file
    assert report["embedded"] <= report["chunks"] - counts.chunks  # nothing twice
    assert IndexReader(out).contribution_count == report["contributions"] > counts.contributions
    assert not list((out / "builds").glob(".tmp-*"))
