"""Building: the on-disk index, skipping unchanged inputs, the vector cache, atomic swaps."""

from __future__ import annotations

import json
import shutil
import sqlite3

import faiss
import numpy as np
import pytest
from killing import kill_while_embedding

from indexer.errors import IndexNotFound
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store import layout
from indexer.store.manifest import FORMAT_VERSION
from indexer.store.reader import IndexReader
from indexer.store.vector_cache import VectorCache
from indexer.store.vectors import EXACT_FILE, VECTORS_FILE
from indexer.text.chunking import ChunkingParams
from search_api.engine.search_index import SearchIndex

WMS_27 = "wms/ministerial2009-10-27a.xml"
WMS_28 = "wms/ministerial2009-10-28a.xml"


def _inputs(uk_data, tmp_path, *files):
    return resolve_inputs([uk_data / f for f in files], tmp_path / "cache", progress=False)


def test_index_layout_and_manifest(tiny_index_dir):
    build = layout.resolve_build(tiny_index_dir)
    assert (tiny_index_dir / "current").is_symlink()
    manifest = json.loads((build / layout.MANIFEST_FILE).read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["dimension"] == 384
    assert manifest["model"]["max_tokens"] == 256
    assert manifest["chunking"] == {"max_pieces": 256, "overlap_pieces": 48, "context": True,
                                    "question_context": False, "opening_context": False}
    [corpus] = manifest["corpora"]
    assert corpus["format"] == "twfy-xml"
    assert "lordswrans/lordswrans2009-10-26a.xml" in corpus["files"]
    assert any(name.startswith("members/") for name in corpus["files"])  # attribution inputs
    assert all(len(sha) == 64 for sha in corpus["files"].values())

    # A small index (the tiny one here) is one segment.
    [segment] = manifest["segments"]
    folder = build / layout.SEGMENTS_DIR / segment["id"]
    index = faiss.read_index(str(folder / VECTORS_FILE))
    conn = sqlite3.connect(folder / layout.DATABASE_FILE)
    n_chunks, n_contributions = conn.execute(
        "SELECT (SELECT count(*) FROM chunks), (SELECT count(*) FROM contributions)").fetchone()
    assert index.ntotal == n_chunks == manifest["counts"]["chunks"] == segment["chunks"]
    assert n_contributions == manifest["counts"]["contributions"] == segment["contributions"]
    assert manifest["vectors"]["search"] == "exact"  # a small index: below EXACT_BELOW
    vectors = np.load(folder / EXACT_FILE)
    assert np.array_equal(vectors, index.reconstruct_n(0, index.ntotal))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Every contribution has at least one chunk, and token counts are stored for both.
    assert conn.execute(
        "SELECT count(*) FROM contributions WHERE rowid NOT IN "
        "(SELECT contribution_rowid FROM chunks)").fetchone()[0] == 0
    assert conn.execute(
        "SELECT min(tokens_cl100k), min(tokens_o200k) FROM contributions").fetchone() > (0, 0)
    # The segment knows its source files, as the manifest does.
    files = {path: sha for path, sha in conn.execute("SELECT path, sha256 FROM files")}
    assert files == {p: sha for p, sha in corpus["files"].items() if not p.startswith("members/")}
    # Sentences are stored as spans; their vectors are not stored (the vector cache keeps
    # those answers embed: tests/test_sentence_vectors.py).
    n_sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    assert n_sentences == segment["sentences"] > n_contributions
    assert sorted(p.name for p in folder.iterdir()) == [
        "bm25", layout.DATABASE_FILE, VECTORS_FILE, EXACT_FILE]


@pytest.mark.slow
def test_a_cold_build_embeds_chunks_and_no_sentence(uk_data, tmp_path, embedder):
    cache = tmp_path / "empty-cache"
    report = build_index(_inputs(uk_data, tmp_path, WMS_27), tmp_path / "index", embedder,
                         progress=False, cache_dir=cache)
    assert report.embedded_by_kind == {"chunks": report.embedded, "sentences": 0}
    assert 0 < report.embedded <= report.chunks < report.sentences
    # The machine's vector cache holds the chunks' vectors and nothing else.
    path = VectorCache(cache, embedder.fingerprint, embedder.dimension).path
    assert sqlite3.connect(path).execute("SELECT count(*) FROM vectors").fetchone() == (
        report.embedded,)
    assert not list((tmp_path / "index").rglob("sentences.npy"))


@pytest.mark.slow
def test_unchanged_inputs_are_not_rebuilt_and_vectors_are_reused(uk_data, tmp_path, embedder):
    out = tmp_path / "index"
    first = build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, progress=False)
    assert not first.up_to_date and first.embedded > 0 and first.reused == 0
    build_id = layout.read_manifest(out).build_id

    again = build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, progress=False)
    assert again.up_to_date
    assert layout.read_manifest(out).build_id == build_id

    forced = build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, force=True,
                         progress=False)
    assert forced.embedded == 0 and forced.reused == forced.chunks

    # Adding a file embeds only the new file's chunks.
    grown = build_index(_inputs(uk_data, tmp_path, WMS_27, WMS_28), out, embedder,
                        progress=False)
    assert grown.reused == first.chunks
    assert grown.embedded == grown.chunks - first.chunks > 0
    # No reader holds the builds it replaced: only the current one stays on disk.
    kept = sorted(p.name for p in (out / "builds").iterdir())
    assert kept == [layout.resolve_build(out).name]


@pytest.mark.slow
def test_the_vector_cache_is_shared_by_every_index_on_the_machine(uk_data, tmp_path, embedder):
    cache = tmp_path / "machine-cache"
    first = build_index(_inputs(uk_data, tmp_path, WMS_27), tmp_path / "one", embedder,
                        progress=False, cache_dir=cache)
    assert first.embedded > 0 and first.reused == 0
    assert (cache / "vectors").is_dir()
    # The same text indexed in another folder (with another file beside it) embeds only the
    # other file's chunks, and its vectors are those of the first build.
    elsewhere = build_index(_inputs(uk_data, tmp_path, WMS_27, WMS_28), tmp_path / "two",
                            embedder, progress=False, cache_dir=cache)
    assert elsewhere.reused == first.chunks
    assert elsewhere.embedded == elsewhere.chunks - first.chunks > 0
    one, two = IndexReader(tmp_path / "one"), IndexReader(tmp_path / "two")
    number_in_two = {i: n for n, i in _ids(two).items()}
    for number, contribution_id in _ids(one).items():
        there = number_in_two[contribution_id]
        mine = [c.id for c in one.chunks_of([number])[number]]
        theirs = [c.id for c in two.chunks_of([there])[there]]
        assert np.array_equal(one.chunk_vectors(mine), two.chunk_vectors(theirs))


def _ids(reader: IndexReader) -> dict[int, str]:
    return reader.ids(list(range(1, reader.contribution_count + 1)))


@pytest.mark.slow
def test_reused_vectors_equal_fresh_ones(uk_data, tmp_path, embedder):
    out = tmp_path / "index"
    bare = ChunkingParams(context=False)  # so the embedded text is the chunk's own text
    build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, bare, progress=False)
    build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, bare, force=True,
                progress=False)
    reader = IndexReader(out)
    vectors = reader.chunk_vectors(np.arange(3))
    owners = reader.chunk_owner[:3].tolist()
    records = reader.contributions(owners)
    chunks = [reader.chunks(range(3))[i] for i in range(3)]
    texts = [records[n].text[c.start : c.end] for n, c in zip(owners, chunks, strict=True)]
    # The same vectors, to what batching allows: OpenVINO pads a batch to its longest text,
    # and texts embedded among others differ from those embedded alone after the fourth
    # decimal now and then.
    assert np.diag(vectors @ embedder.embed(texts).T).min() > 0.9999


@pytest.mark.slow
def test_a_failed_write_leaves_the_previous_index_serving(uk_data, tmp_path, embedder,
                                                          monkeypatch):
    out = tmp_path / "index"
    build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, progress=False)
    before = SearchIndex(out, embedder=embedder).search("energy", k=3)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(OSError, match="No space left"):
        build_index(_inputs(uk_data, tmp_path, WMS_28), out, embedder, progress=False)

    assert not list((out / "builds").glob(".tmp-*"))
    after = SearchIndex(out, embedder=embedder).search("energy", k=3)
    assert [h.contribution.id for h in after.hits] == [h.contribution.id for h in before.hits]


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_index_intact(small_index_dir, uk_data, tmp_path,
                                                         embedder):
    """SIGKILL a real `debate-search index` mid-embedding; the old index still serves."""
    out = tmp_path / "index"
    shutil.copytree(small_index_dir, out, symlinks=True)
    before = SearchIndex(out, embedder=embedder).search("police use of Tasers", k=5)
    kill_while_embedding(["--force", "--out", str(out), str(uk_data / "lords")],
                         tmp_path / "cache")

    after = SearchIndex(out, embedder=embedder).search("police use of Tasers", k=5)
    assert [h.contribution.id for h in after.hits] == [h.contribution.id for h in before.hits]
    assert layout.read_manifest(out).counts == layout.read_manifest(small_index_dir).counts


@pytest.mark.slow
def test_leftovers_of_a_crashed_write_are_cleaned(uk_data, tmp_path, embedder):
    out = tmp_path / "index"
    build_index(_inputs(uk_data, tmp_path, WMS_27), out, embedder, progress=False)
    leftover = out / "builds" / ".tmp-19990101T000000-1"
    leftover.mkdir()
    (leftover / layout.MANIFEST_FILE).write_text("{half written")
    SearchIndex(out, embedder=embedder)  # readers never look at temporary folders
    build_index(_inputs(uk_data, tmp_path, WMS_28), out, embedder, progress=False)
    assert not leftover.exists()


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexNotFound, match="debate-search index --out"):
        layout.resolve_build(tmp_path / "nowhere")


@pytest.mark.slow
def test_malformed_file_is_reported_and_the_rest_indexes(uk_data, tmp_path, embedder):
    tree = tmp_path / "tree"
    (tree / "wms").mkdir(parents=True)
    (tree / "members").symlink_to(uk_data / "members")
    shutil.copy(uk_data / WMS_27, tree / "wms")
    broken = (uk_data / WMS_28).read_bytes()
    (tree / "wms" / "ministerial2009-10-28a.xml").write_bytes(broken[: len(broken) // 2])
    report = build_index(resolve_inputs([tree / "wms"], tmp_path / "cache", progress=False),
                         tmp_path / "index", embedder, progress=False)
    assert report.contributions > 5  # all of the 27th, and what the 28th had before the break
    [issue] = [i for i in report.issues if "ministerial2009-10-28a.xml" in i]
    assert "ministerial2009-10-28a.xml:" in issue  # file and line
    assert "1 item(s)" in report.summary() or "Skipped" in report.summary()


def test_a_build_in_stages_starts_with_the_smallest_file_then_groups_as_large_as_all_before(
        tmp_path):
    from indexer.pipeline.staged import stages
    from search_api.settings import default_corpus

    [corpus] = resolve_inputs([default_corpus()], tmp_path / "cache", progress=False)
    groups = stages([(corpus, path) for path in corpus.files])
    sizes = [[path.stat().st_size for _, path in group] for group in groups]
    assert sorted(path for group in groups for _, path in group) == sorted(corpus.files)
    assert [size for group in sizes for size in group] == sorted(
        path.stat().st_size for path in corpus.files)
    assert len(sizes[0]) == 1
    for n, group in enumerate(sizes[1:-1], start=1):  # each closes once as large as all before
        before = sum(map(sum, sizes[:n]))
        assert sum(group[:-1]) < before <= sum(group)
    assert len(groups) == 9  # the default corpus's, as docs/cli.md says
