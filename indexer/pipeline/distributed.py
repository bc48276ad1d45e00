"""Builds distributed on Ray: a cluster's workers parse, chunk and embed; this process plans
and writes, exactly as a local build does (build.py), so the index is the same.

Each worker is a Ray actor holding the model (opened from the same EmbedderSpec, one CPU
thread, or one GPU, each) and the corpora's parsers. Files are prepared a few ahead of the
writer, in order; the texts a window of files needs embedded (after the vector cache and the
previous build) are spread over every worker in batches. Source files and the model must be
at the same paths on every node (a shared filesystem; the packaged model is in the installed
environment), as Ray's own docs assume for data a cluster reads.

Ray is an optional extra: `pip install '.[distributed]'`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from indexer.embedding import EmbedderSpec
from indexer.errors import DebateSearchError
from indexer.text.chunking import ChunkingParams

AHEAD = 2  # files in flight per worker, so none waits between files


class DistributedError(DebateSearchError):
    """A Ray cluster that cannot be reached or used."""


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise DistributedError("--ray needs Ray: pip install 'debate-search[distributed]' "
                               "(or '.[distributed]' in a checkout)") from exc
    return ray


class _Worker:
    """One actor: a model and parsers, preparing files and embedding batches on request."""

    def __init__(self, spec: EmbedderSpec, params: ChunkingParams):
        from indexer.pipeline.workers import FilePreparer

        self.embedder = spec.open()
        if spec.threads and self.embedder.backend == "torch":
            import torch

            # The actor owns its worker process, so torch's process-wide setting is its own.
            torch.set_num_threads(spec.threads)
        self.preparer = FilePreparer(self.embedder, params)

    def prepare(self, corpus, path: Path):
        if not Path(path).is_file():
            raise DistributedError(f"{path} is not on Ray node {socket.gethostname()}; every "
                                   "node must see the source files at the same path")
        return self.preparer.prepare(corpus, Path(path))

    def embed(self, texts: list[str]):
        return self.embedder.embed(texts)


class RayWorkers:
    """The workers of a Ray cluster (`address`: "auto" starts a local one), one per CPU, or
    per GPU when `spec.device` is cuda. Close with `shutdown()` (or use as a context)."""

    def __init__(self, address: str, spec: EmbedderSpec, params: ChunkingParams,
                 workers: int | None = None):
        ray = _ray()
        _check_reachable(address)
        try:
            if address == "auto":
                ray.init(include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise DistributedError(f"cannot join the Ray cluster at {address}: {exc}") from exc
        gpu = spec.device == "cuda"
        resources = ray.cluster_resources()
        count = workers or int(resources.get("GPU" if gpu else "CPU", 0))
        if count < 1:
            ray.shutdown()
            raise DistributedError(f"the Ray cluster at {address} has no "
                                   f"{'GPU' if gpu else 'CPU'} to run a worker on")
        # One thread a CPU worker: the cluster's parallelism is its workers'.
        spec = dataclasses.replace(spec, threads=None if gpu else 1)
        actor = ray.remote(num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0)(_Worker)
        self.actors = [actor.remote(spec, params) for _ in range(count)]
        self.ray = ray
        nodes = len({n["NodeID"] for n in ray.nodes() if n["Alive"]})
        self.description = {"workers": f"ray: {count} workers on {nodes} node(s)"}

    def prepared(self, files):
        ray, pending = self.ray, deque()
        turn = itertools.cycle(self.actors)
        for item in files:
            if item is not None:
                corpus, path = item
                item = next(turn).prepare.remote(dataclasses.replace(corpus, files=()), path)
            pending.append(item)
            if len(pending) > AHEAD * len(self.actors):
                yield _result(ray, pending.popleft())
        while pending:
            yield _result(ray, pending.popleft())

    def embedded(self, batches):
        turn = itertools.cycle(self.actors)
        futures = [next(turn).embed.remote(batch) for batch in batches]
        for future in futures:
            yield _result(self.ray, future)

    def shutdown(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.ray.shutdown()

    def __enter__(self) -> RayWorkers:
        return self

    def __exit__(self, *_exc) -> None:
        self.shutdown()


def _check_reachable(address: str) -> None:
    """Fail at once where nothing listens: Ray itself retries a dead address for minutes."""
    if address == "auto" or "://" in address or ":" not in address:
        return  # Ray's own forms (ray://, a cluster it finds): left to Ray
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise DistributedError(f"cannot join the Ray cluster at {address}: {exc}; start one "
                               "with `ray start --head` or use --ray auto") from exc


def _result(ray, future):
    """A worker's result; its exception (a DistributedError, say) raised here as itself."""
    if future is None:
        return None
    try:
        return ray.get(future)
    except ray.exceptions.RayTaskError as exc:
        raise exc.as_instanceof_cause() from None
    except ray.exceptions.RayError as exc:  # a worker or node lost
        raise DistributedError(f"a Ray worker failed: {exc}") from exc


@contextlib.contextmanager
def local_cluster(nodes: int, cpus_per_node: int = 1, port: int | None = None
                  ) -> Iterator[str]:
    """A real Ray cluster of `nodes` nodes on this machine's loopback (a head and nodes that
    join it, each with its own resources), as `ray start` makes one; yields its address and
    stops it (`ray stop`) after. For trying distribution on one machine: tests, benchmarks."""
    ray = Path(sys.executable).with_name("ray")
    if not ray.is_file():
        _ray()  # raises the install hint
    port = port or _free_port()
    address = f"127.0.0.1:{port}"
    common = ["--num-cpus", str(cpus_per_node), "--num-gpus", "0", "--disable-usage-stats"]
    try:
        _ray_command(ray, "start", "--head", "--port", str(port),
                     "--node-ip-address", "127.0.0.1", "--include-dashboard", "false", *common)
        for _ in range(nodes - 1):
            _ray_command(ray, "start", "--address", address,
                         "--node-ip-address", "127.0.0.1", *common)
        yield address
    finally:
        subprocess.run([str(ray), "stop", "--force"], capture_output=True, timeout=120)


def _ray_command(ray: Path, *args: str) -> None:
    # Loopback only: no tokens to hand around (Ray 2.60's head and joining nodes otherwise
    # disagree on whether one is needed once ~/.ray/auth_token exists).
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    done = subprocess.run([str(ray), *args], capture_output=True, text=True, timeout=180,
                          env=env)
    if done.returncode:
        raise DistributedError(f"`ray {' '.join(args)}` failed: {done.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
