"""The newest published build of an index folder, kept open for serving.

A build published while a server runs replaces the one it serves without a restart: at most
every `interval` seconds a request looks at which build is current (one readlink); a newer
one is opened in the background, beside the one serving, and swapped in when ready. A
request keeps the SearchIndex it started with, so requests in flight finish on the old build,
which its reader holds on disk until the last of them lets go (indexer/store/layout.py). A
build is checked against its manifest's checksums and counts before it is opened: a damaged
one is never served (the one serving stays), nor the first one opened. Whatever keeps a new
build from opening, it is logged and not tried again; the build serving stays.

`get` is called by every request thread at once: the fields below change under `_lock`, and
one build is opened at a time (`_opening`), so requests that arrive while nothing is served
wait for the first build rather than each opening it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from indexer.embedding import Embedder, EmbedderSpec
from indexer.errors import DebateSearchError, IndexFormatError, IndexNotFound
from indexer.store.layout import resolve_build
from search_api.engine.search_index import SearchIndex

log = logging.getLogger(__name__)
RELOAD_INTERVAL = 2.0  # seconds between looks at which build is current


class LiveIndex:
    """The SearchIndex of the current build of `index_dir`, replaced as new builds appear."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None,
                 interval: float = RELOAD_INTERVAL, spec: EmbedderSpec | None = None):
        self.index_dir, self.interval = Path(index_dir), interval
        self._embedder, self._spec = embedder, spec
        self._lock = threading.Lock()  # guards the fields below
        self._opening = threading.Lock()  # held while a build is opened
        self._index: SearchIndex | None = None
        self._error: DebateSearchError | None = None
        self._checked = time.monotonic()
        self._loading = False  # a newer build is being opened in the background
        self._refused: str | None = None  # a build that would not open: not tried again
        self._open_current()  # the first build is opened before serving starts

    def get(self) -> SearchIndex:
        """The index to answer this request with; the error that keeps one from opening if
        there is none (no index built yet, an unreadable one)."""
        now = time.monotonic()
        with self._lock:
            due = now - self._checked >= self.interval
            if due:
                self._checked = now
        if due:
            self._look_for_a_newer_build()
        with self._lock:
            index, error = self._index, self._error
        if index is None:
            raise error or IndexNotFound(f"no index at {self.index_dir} yet")
        return index

    def serves_newest(self) -> bool:
        """Whether the build served is the one published last (or the last would not open:
        it never will be served)."""
        try:
            current = resolve_build(self.index_dir).name
        except DebateSearchError:
            return True
        with self._lock:
            serving = self._index.build_id if self._index else None
            return current in (serving, self._refused)

    def _look_for_a_newer_build(self) -> None:
        try:
            current = resolve_build(self.index_dir).name
        except DebateSearchError as exc:
            with self._lock:
                if self._index is None:
                    self._error = exc
            return
        with self._lock:
            serving = self._index.build_id if self._index else None
            if current in (serving, self._refused) or self._loading:
                return
            self._loading = serving is not None
        if serving is None:  # nothing to serve meanwhile: this request waits for it
            self._open_current()
            return
        threading.Thread(target=self._open_current, name="open-new-build", daemon=True).start()

    def _open_current(self) -> None:
        with self._opening:
            try:
                self._open_if_new()
            finally:
                with self._lock:
                    self._loading = False

    def _open_if_new(self) -> None:
        current = None
        try:
            current = resolve_build(self.index_dir).name
            with self._lock:
                if self._index is not None and self._index.build_id == current:
                    return  # opened by the request that waited before this one
            # The reader holds the build it opens, so the build checked is the one served.
            index = SearchIndex(self.index_dir, embedder=self._embedder, spec=self._spec,
                                verify=True)
            index.warm_up()
        except Exception as exc:  # noqa: BLE001 - whatever it is, the build is not served
            self._refuse(current, exc)
            return
        if not index.checked_by_checksums:
            log.warning("build %s of %s was built before checksums were recorded: only its "
                        "counts were checked; rebuild it with `debate-search index --force`",
                        index.build_id, self.index_dir)
        with self._lock:
            self._embedder = index.embedder  # one model for every build of the same model
            self._index, self._error = index, None
        log.info("serving build %s of %s", index.build_id, self.index_dir)

    def _refuse(self, build: str | None, exc: Exception) -> None:
        """Keep serving the build that works, if any, and say why this one does not; it is
        not tried again (a later build is)."""
        with self._lock:
            self._refused = build
            if self._index is None:
                self._error = (exc if isinstance(exc, DebateSearchError) else IndexFormatError(
                    f"the index at {self.index_dir} cannot be opened: "
                    f"{type(exc).__name__}: {exc}"))
                return
        log.error("not serving the new build of %s: %s", self.index_dir, exc,
                  exc_info=not isinstance(exc, DebateSearchError))
