"""Query latency over HTTP against the real server (`debate-search serve`), and its memory.

`Server` is also how the tests start a real server (tests/conftest.py, running_server)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil
from tqdm import tqdm

from bench.latency import WARMUP, summarize
from search_api.engine.browsing import FIELD_FACETS

STARTUP_SECONDS = 180
STOP_SECONDS = 30
SAMPLE_EVERY_S = 0.05
# Every field facet (docs/api.md, Browsing); the speaker facet on its own.
FACETED = {"facets": ",".join(FIELD_FACETS)}
SPEAKER_FACET = {"facets": "speaker"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_command(index_dir: Path, port: int, args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "search_api.interfaces.cli", "serve", "--index", str(index_dir),
            "--host", "127.0.0.1", "--port", str(port), *args]


class ServerError(RuntimeError):
    """The server exited, could not serve its index, or did not answer in time (with its log)."""


class Server:
    """`debate-search serve [ARGS]` in a subprocess on a free loopback port, healthy once
    entered (its /health answered 200; with `healthy=False`, answered at all: a server of an
    index it cannot open, or is still building, answers 503), stopped on exit."""

    def __init__(self, index_dir: Path, log_path: Path, *, args: Sequence[str] = (),
                 startup_timeout_s: float = STARTUP_SECONDS, healthy: bool = True,
                 env: dict[str, str] | None = None):
        """`env`: environment variables the server runs with besides this process's."""
        self.index_dir, self.log_path, self.args = index_dir, log_path, args
        self.startup_timeout_s, self.healthy = startup_timeout_s, healthy
        self.env = env or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.startup_seconds: float | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **self.env}
        self._log = open(self.log_path, "wb")  # closed in __exit__
        started = time.perf_counter()
        self.proc = subprocess.Popen(_serve_command(self.index_dir, self.port, self.args), env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy(started)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def _wait_healthy(self, started: float) -> None:
        # uvicorn listens only once start-up (the index and the model loaded) is done.
        while time.perf_counter() - started < self.startup_timeout_s:
            if self.proc.poll() is not None:
                raise ServerError(f"the server exited with status {self.proc.returncode}:\n"
                                  f"{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/health", timeout=5)
            except httpx.TransportError:
                response = None
            if response is not None and (response.status_code == 200 or not self.healthy):
                return
            if response is not None and response.status_code == 503:  # the index did not load
                raise ServerError(f"the server cannot serve {self.index_dir}: {response.text}\n"
                                  f"{self.log_tail()}")
            time.sleep(0.2)
        raise ServerError(f"the server did not answer /health within "
                          f"{self.startup_timeout_s:g} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def peak_rss_bytes(self) -> int | None:
        """The kernel's high-water mark of the server's resident memory (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None

    def __exit__(self, *exc) -> None:
        self.exit_code = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully on SIGINT
            try:
                self.exit_code = self.proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.exit_code = "killed"
        self._log.close()


class RssSampler:
    """Samples a process's resident memory in a background thread."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(self.process.memory_info().rss)
            except psutil.Error:
                return
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _get(client: httpx.Client, query: str, extra: dict | None = None) -> tuple[float, bool]:
    t = time.perf_counter()
    response = client.get("/search", params={"q": query, "k": 10, **(extra or {})})
    ok = response.status_code == 200 and response.json()["count"] > 0
    return time.perf_counter() - t, ok


def run_sequential(base_url: str, queries: Sequence[str], *, max_seconds: float,
                   extra: dict | None = None) -> dict:
    """The queries one after another; `extra`: more parameters for each."""
    latencies, failures = [], 0
    with httpx.Client(base_url=base_url, timeout=60) as client:
        started = time.perf_counter()
        for query in tqdm(queries, desc="HTTP sequential", unit="query", leave=False):
            if time.perf_counter() - started > max_seconds:
                break
            seconds, ok = _get(client, query, extra)
            latencies.append(seconds)
            failures += not ok
        wall = time.perf_counter() - started
    return {**summarize(latencies, wall), "failures": failures}


def run_concurrent(
    base_url: str, queries: Sequence[str], *, clients: int, max_seconds: float
) -> dict:
    """`clients` threads, each with its own httpx.Client, each running the whole query set
    (rotated, so they do not ask the same thing at once)."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    bar = tqdm(total=clients * len(queries), desc=f"HTTP x{clients} clients", unit="query",
               leave=False)

    def client_loop(i: int) -> None:
        shift = i * len(queries) // clients
        mine = [*queries[shift:], *queries[:shift]]
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait()
            started = time.perf_counter()
            for query in mine:
                if time.perf_counter() - started > max_seconds:
                    break
                seconds, ok = _get(client, query)
                with lock:
                    latencies.append(seconds)
                    failures[0] += not ok
                    bar.update()

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    bar.close()
    return {**summarize(latencies, wall), "clients": clients, "failures": failures[0]}


def run_http(
    index_dir: Path, queries: Sequence[str], workdir: Path, *, clients: int, max_seconds: float
) -> dict:
    """Start the server, warm it up, time sequential and concurrent queries, record memory."""
    with Server(index_dir, workdir / "server.log") as server:
        process = psutil.Process(server.proc.pid)
        rss_started = process.memory_info().rss
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first_query_s, _ = _get(client, queries[0])
            mode = client.get("/search", params={"q": queries[0], "k": 10}).json().get("mode")
            for query in queries[:WARMUP]:
                _get(client, query)
        rss_warm = process.memory_info().rss
        with RssSampler(server.proc.pid) as sampler:
            sequential = run_sequential(server.base_url, queries, max_seconds=max_seconds)
            faceted = run_sequential(server.base_url, queries, max_seconds=max_seconds,
                                     extra=FACETED)
            speakers = run_sequential(server.base_url, queries, max_seconds=max_seconds,
                                      extra=SPEAKER_FACET)
            concurrent = run_concurrent(server.base_url, queries, clients=clients,
                                        max_seconds=max_seconds)
        rss_end = process.memory_info().rss
        peak = server.peak_rss_bytes()
    return {
        "startup_seconds": server.startup_seconds,
        "first_query_seconds": first_query_s,
        "mode": mode,
        "exit_code": server.exit_code,
        "sequential": sequential,
        "sequential_facets": faceted,
        "sequential_facets_speaker": speakers,
        "concurrent": concurrent,
        "memory": {
            "rss_at_health_bytes": rss_started,
            "rss_after_warmup_bytes": rss_warm,
            "rss_end_bytes": rss_end,
            "rss_sampled_peak_bytes": max(sampler.samples, default=None),
            "rss_samples": len(sampler.samples),
            "vmhwm_bytes": peak,
        },
    }
