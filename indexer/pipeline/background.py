"""A build in stages beside a server: run in a child process, watched and stopped by it.

Embedding holds the CPU, and in-process the GIL, for minutes: in a process of its own it
leaves the server's threads free to answer. The server owns the child and knows its state
without trusting a record on disk: the child reports how far it has got through a pipe, and
its exit status says whether it finished, failed or was killed, so a child that died is never
reported as building. A terminal's Ctrl-C reaches both processes; the child ignores it and is
stopped by the server as it shuts down (SIGTERM: a build stopped mid-way publishes nothing,
store/layout.py, and deletes what it was writing), and a child whose server died stops itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from indexer.embedding import EmbedderSpec
from indexer.errors import DebateSearchError
from indexer.text.chunking import ChunkingParams

log = logging.getLogger(__name__)
STOP_SECONDS = 10  # for the child to end after SIGTERM before it is killed
PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class BuildProgress:
    """How far a build in stages has got."""

    done: int  # source files the published index holds
    total: int  # source files it is being built to hold
    error: str | None = None  # why the build stopped short; None while it runs


class BackgroundBuild:
    """`build_in_stages` of the corpus at `paths` into `index_dir`, in a child process from
    `start` (or entering the context) until it ends or `stop` (or leaving the context)."""

    def __init__(self, paths: Sequence[Path], index_dir: Path, spec: EmbedderSpec,
                 cache_dir: Path, params: ChunkingParams | None = None):
        # spawn, not fork: a server's threads (and the model's) do not survive a fork
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_build, name="debate-search-build", daemon=True,
            args=(list(paths), Path(index_dir), spec, cache_dir, params, sender))
        self._receiver, self._sender = receiver, sender
        self._lock = threading.Lock()  # request threads ask for progress at once
        self._done = self._total = 0
        self._reported = False
        self._error: str | None = None

    def start(self) -> None:
        self._process.start()
        self._sender.close()  # the child's end: EOF here once the child has gone

    def stop(self) -> None:
        """End the build, whatever it is doing; what it published stays published."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(STOP_SECONDS)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def __enter__(self) -> BackgroundBuild:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        with self._lock:  # waitpid from two threads at once could miss the child's end
            return self._process.is_alive()

    def progress(self, served: bool = True) -> BuildProgress | None:
        """How far the build has got while it runs (None until it knows what it builds, and
        throughout if it has nothing to build); why it stopped if it failed; None once it
        has finished and, `served` says, its last publication is the build being served
        (until then, the files it published: a page that reloads its search once the build
        is done must find the whole index)."""
        with self._lock:
            exitcode = self._process.exitcode  # before reading: all it said is in the pipe
            self._read_reports()
            if exitcode is None or (exitcode == 0 and not served):
                return BuildProgress(self._done, self._total) if self._reported else None
            if exitcode == 0:
                return None
            error = self._error or f"the build process ended with exit status {exitcode}"
            return BuildProgress(self._done, self._total, error)

    def _read_reports(self) -> None:
        try:
            while self._receiver.poll():
                report = self._receiver.recv()
                if isinstance(report, str):
                    self._error = report
                else:
                    (self._done, self._total), self._reported = report, True
        except (EOFError, OSError):  # the child has gone and said all it had to say
            pass


def _build(paths: list[Path], index_dir: Path, spec: EmbedderSpec, cache_dir: Path,
           params: ChunkingParams | None, reports: Connection) -> None:
    """The child process: build, reporting progress, and exit 1 with the reason if it fails."""
    from indexer.pipeline.staged import build_in_stages
    from indexer.sources import resolve_inputs

    # This process owns itself: its signals and its log lines (to the server's terminal).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    logging.basicConfig(format="%(levelname)s:     build: %(message)s")
    logging.getLogger("indexer").setLevel(logging.INFO)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    try:
        inputs = resolve_inputs(paths, cache_dir, progress=False)
        report = build_in_stages(inputs, index_dir, spec.open(), params, cache_dir=cache_dir,
                                 on_progress=lambda done, total: reports.send((done, total)))
    except Exception as exc:  # noqa: BLE001 - whatever it is, the server serves what is built
        log.error("%s", exc, exc_info=not isinstance(exc, DebateSearchError))
        reports.send(str(exc))
        raise SystemExit(1) from exc
    log.info("the index at %s is %s", index_dir,
             "up to date" if report.up_to_date else "complete")


def _stop(signum: int, frame: object) -> None:
    """SIGTERM from the server: unwind, so that the build being written is deleted and
    every resource released (the server kills a child that takes too long)."""
    raise SystemExit(128 + signum)


def _exit_with(parent: int) -> None:
    """Stop this process as the server would have, as soon as its parent has gone (killed,
    say, with no chance to stop it): a build nobody serves is not wanted."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
