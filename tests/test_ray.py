"""Builds distributed on Ray: a real two-node cluster on loopback builds what one process
builds. Slow (`make test` runs it; `pytest -k ray` selects it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from killing import CLI

from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters

pytestmark = pytest.mark.slow

FILES = ("wms/ministerial2009-10-26c.xml", "wms/ministerial2009-10-27a.xml",
         "wms/ministerial2009-10-28a.xml", "wms/ministerial2009-10-29a.xml")
QUERIES = ("prisons", "energy policy for Wales", "the armed forces in Afghanistan")


def _require_ray() -> None:
    """Ray is an optional extra: skipped without it, except where it must be there (CI)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("DEBATE_SEARCH_REQUIRE_RAY"):
            raise
        pytest.skip("Ray is not installed (pip install '.[distributed]')")


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and a second node joining it, one CPU each, stopped after the module."""
    _require_ray()
    from indexer.pipeline.distributed import local_cluster

    with local_cluster(nodes=2) as address:
        yield address


def test_a_ray_build_and_update_equal_a_single_process_build(ray_cluster, uk_data, embedder,
                                                            tmp_path, session_cache):
    """Three files built through the cluster, a fourth added through it (incremental), both
    embedded by its workers: the index equals one process's build of the four."""
    paths = [uk_data / f for f in FILES]
    single = tmp_path / "single"
    build_index(resolve_inputs(paths, session_cache, progress=False), single, embedder,
                progress=False, cache_dir=session_cache)
    distributed = tmp_path / "ray"
    # No vectors cached, so the workers embed every text; the converted model is reused.
    shutil.copytree(session_cache / "openvino", tmp_path / "ray-cache" / "openvino")

    def index(*args: Path | str) -> dict:
        done = subprocess.run(
            [str(CLI), "index", "--json", "--ray", ray_cluster, "--out", str(distributed),
             *map(str, args)],
            capture_output=True, text=True, timeout=900,
            env={**os.environ, "HF_HUB_OFFLINE": "1",
                 "DEBATE_SEARCH_CACHE_DIR": str(tmp_path / "ray-cache")},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout)
        assert report["embedder"]["workers"] == "ray: 2 workers on 2 node(s)"
        assert report["embedded"] > 0
        return report

    index(*paths[:3])
    added = index("--add", paths[3])
    assert added["files"]["parsed"] == 1 and added["files"]["removed"] == 0

    a, b = IndexReader(single), IndexReader(distributed)
    everything = SearchFilters()
    assert list(a.records(everything)) == list(b.records(everything))
    numbers = range(1, a.contribution_count + 1)
    assert a.chunks_of(numbers) == b.chunks_of(numbers)
    assert (a.counts(), a.speakers(), a.values()) == (b.counts(), b.speakers(), b.values())
    chunks = np.arange(a.chunk_count)
    assert a.chunk_count == b.chunk_count
    # Batches group other texts on the workers (and OpenVINO pads a batch to its longest
    # text), so a vector may differ after the fourth decimal: the same vector, to cosine.
    similarity = np.einsum("ij,ij->i", a.chunk_vectors(chunks), b.chunk_vectors(chunks))
    assert similarity.min() > 0.9999
    for query in QUERIES:
        vector = embedder.embed([query])[0]
        assert ([n for n, _, _ in a.nearest_contributions(vector, 10)]
                == [n for n, _, _ in b.nearest_contributions(vector, 10)])
        assert a.keyword_matches(query, 10) == b.keyword_matches(query, 10)


def test_an_unreachable_ray_cluster_is_named(tmp_path, uk_data):
    _require_ray()
    done = subprocess.run(
        [str(CLI), "index", "--ray", "127.0.0.1:9", "--out", str(tmp_path / "x"),
         str(uk_data / FILES[0])], capture_output=True, text=True, timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 1
    assert "cannot join the Ray cluster at 127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
