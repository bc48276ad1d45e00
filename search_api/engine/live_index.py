"""The newest published build of an index folder, kept open for serving.

A build published while a server runs replaces the one it serves without a restart: at most
every `interval` seconds a request looks at which build is current (one readlink); a newer
one is opened in the background, beside the one serving, and swapped in when ready. A
request keeps the SearchIndex it started with, so requests in flight finish on the old build
(the store keeps the previous build on disk for them: indexer/store/layout.py). A build is
checked against its manifest's checksums and counts before it is opened: a damaged one is
never served (the one serving stays), nor the first one opened.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from indexer.embedding import Embedder, EmbedderSpec
from indexer.errors import DebateSearchError
from indexer.store.integrity import verify_build
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
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._error: DebateSearchError | None = None
        self._checked = 0.0
        self._loading = False
        self._refused: str | None = None  # a build that would not open: not tried again
        self._open_current()  # the first build is opened before serving starts

    def get(self) -> SearchIndex:
        """The index to answer this request with; the error that keeps one from opening if
        there is none (no index built yet, an unreadable one)."""
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            self._look_for_a_newer_build()
        index = self._index
        if index is None:
            raise self._error
        return index

    def _look_for_a_newer_build(self) -> None:
        try:
            current = resolve_build(self.index_dir).name
        except DebateSearchError as exc:
            if self._index is None:
                self._error = exc
            return
        serving = self._index.store.build.name if self._index else None
        if current in (serving, self._refused):
            return
        if self._index is None:  # nothing to serve meanwhile: open it now
            self._open_current()
            return
        with self._lock:
            if self._loading:
                return
            self._loading = True
        threading.Thread(target=self._open_current, name="open-new-build", daemon=True).start()

    def _open_current(self) -> None:
        build = None
        try:
            build = resolve_build(self.index_dir)  # once: the build checked is the one opened
            if not verify_build(build).checksums:
                log.warning("build %s of %s was built before checksums were recorded: only its "
                            "counts were checked; rebuild it with `debate-search index --force`",
                            build.name, self.index_dir)
            index = SearchIndex(build, embedder=self._embedder, spec=self._spec)
            index.warm_up()
        except DebateSearchError as exc:
            if self._index is None:
                self._error = exc
            else:  # keep serving the build that works; say why the new one does not
                log.error("not serving the new build of %s: %s", self.index_dir, exc)
                self._refused = build.name if build else None
            return
        finally:
            self._loading = False
        self._embedder = index.embedder  # one model for every build of the same model
        self._index, self._error = index, None
        log.info("serving build %s of %s", index.store.build.name, self.index_dir)
