"""`debate-search sync`: a TheyWorkForYou scrape folder served by a real HTTP server on
loopback (http.server's directory listing of copies of two days of written statements),
synced into a folder of a tree with the real members, and the index updated from it."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.errors import CorpusError, SyncError
from indexer.pipeline.build import build_index
from indexer.sources import twfy_xml
from indexer.store.layout import read_manifest
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from indexer.sync import STATE_FILE, sync, sync_folder
from search_api.interfaces.cli import main

DAYS = ("ministerial2009-10-26c.xml", "ministerial2009-10-27a.xml")
RESCRAPE = "ministerial2009-10-26d.xml"  # a later version of the 26th
NEW_TEXT = b"<p>A re-scraped paragraph about the lighthouse at Dungeness.</p></speech>"


class _Handler(SimpleHTTPRequestHandler):
    """Serves the folder, logs each (path, status) on the server, and cuts off the bodies of
    the files named in `server.cut_off`: their Content-Length is the whole file's, but only
    half of it is sent before the connection closes."""

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.server.cut_off:
            return super().do_GET()
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.path, int(code)))

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture()
def served(tmp_path, uk_data) -> Path:
    """The folder the server serves: scrapedxml/wms/ with copies of two real days."""
    folder = tmp_path / "served" / "scrapedxml" / "wms"
    folder.mkdir(parents=True)
    for name in DAYS:
        shutil.copyfile(uk_data / "wms" / name, folder / name)
    return folder


@pytest.fixture()
def server(served) -> Iterator[ThreadingHTTPServer]:
    """A real HTTP server on a free loopback port, in a thread."""
    handler = partial(_Handler, directory=str(served.parents[1]))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.cut_off, httpd.requests = set(), []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture()
def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/scrapedxml/wms/"


@pytest.fixture()
def into(tmp_path, uk_data) -> Path:
    """The local folder: wms/ of a tree whose members/ are the real ones."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "members").symlink_to(uk_data / "members")
    return root / "wms"


def _rescrape(served: Path) -> bytes:
    """Serve the 26th again as version d, one paragraph added to its first statement."""
    body = (served / DAYS[0]).read_bytes().replace(b"</speech>", NEW_TEXT, 1)
    (served / RESCRAPE).write_bytes(body)
    return body


def _xml(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _held(index_dir: Path) -> dict[str, tuple[str | None, str]]:
    """What the index holds: contribution id -> (source file, text)."""
    reader = IndexReader(index_dir)
    try:
        return {r.id: (r.source_file, r.text) for r in reader.records(SearchFilters())}
    finally:
        reader.close()


def test_first_sync_fetches_every_day_and_the_second_nothing(url, server, into, served):
    first = sync_folder(url, into, progress=False)
    assert (first.listed, first.fetched, first.refused) == (2, list(DAYS), [])
    assert _xml(into) == list(DAYS)
    for name in DAYS:
        assert (into / name).read_bytes() == (served / name).read_bytes()
    state = json.loads((into / STATE_FILE).read_text())
    assert state["url"] == url and set(state["files"]) == set(DAYS)

    server.requests.clear()
    second = sync_folder(url, into, progress=False)
    assert (second.fetched, second.unchanged, second.removed) == ([], 2, [])
    # The files are asked for conditionally (If-Modified-Since), and are not sent again.
    assert sorted(status for _, status in server.requests) == [200, 304, 304]


def test_a_later_letter_replaces_its_day(url, into, served):
    sync_folder(url, into, progress=False)
    body = _rescrape(served)
    report = sync_folder(url, into, progress=False)
    assert (report.fetched, report.removed, report.refused) == ([RESCRAPE], [DAYS[0]], [])
    assert _xml(into) == [RESCRAPE, DAYS[1]]
    assert (into / RESCRAPE).read_bytes() == body
    assert set(json.loads((into / STATE_FILE).read_text())["files"]) == {DAYS[1], RESCRAPE}


def test_a_download_cut_off_is_refused_and_replaces_nothing(url, server, into, served):
    sync_folder(url, into, progress=False)
    _rescrape(served)
    server.cut_off.add(RESCRAPE)
    report = sync_folder(url, into, progress=False)
    assert report.fetched == [] and report.removed == []
    [refusal] = report.refused
    assert refusal.name == RESCRAPE and "nothing replaced" in refusal.reason
    assert _xml(into) == list(DAYS)  # the old version stays, no partial file is left
    assert not any(p.name.endswith(".part") for p in into.iterdir())

    server.cut_off.clear()  # whole next time: taken then
    assert sync_folder(url, into, progress=False).fetched == [RESCRAPE]


def test_a_file_that_does_not_parse_is_refused_and_the_rest_synced(url, into, served):
    broken = "ministerial2009-10-28a.xml"
    whole = (served / DAYS[1]).read_bytes()
    (served / broken).write_bytes(whole[: len(whole) // 2])  # breaks off mid-element
    report = sync_folder(url, into, progress=False)
    assert report.fetched == list(DAYS)
    [refusal] = report.refused
    assert refusal.name == broken
    assert "does not parse" in refusal.reason and "line" in refusal.reason
    assert _xml(into) == list(DAYS)


def test_a_listing_that_cannot_be_read_is_one_error(url, into):
    with pytest.raises(SyncError, match="HTTP 404"):
        sync_folder(url + "missing/", into, progress=False)


def test_a_folder_outside_a_tree_is_refused_before_anything_is_fetched(url, server, tmp_path):
    with pytest.raises(CorpusError, match="members/"):
        sync_folder(url, tmp_path / "loose", progress=False)
    assert server.requests == [] and not (tmp_path / "loose").exists()


@pytest.mark.slow
def test_sync_indexes_and_the_index_follows_each_day(url, server, into, served, embedder,
                                                      session_cache, tmp_path):
    index = tmp_path / "index"
    run = partial(sync, url, into, index, embedder, cache_dir=session_cache, progress=False)
    first = run()
    assert first.build and first.build.contributions > 0
    expected = {}
    for name in DAYS:
        found, _ = twfy_xml.parse_file(into / name, twfy_xml.load_lookups(into.parent),
                                       into.parent.name, into.parent)
        expected |= {c.id: (f"wms/{name}", c.text) for c in found}
    assert _held(index) == expected

    second = run()  # nothing new: nothing fetched, the index is up to date
    assert second.fetched == [] and second.build and second.build.up_to_date

    _rescrape(served)  # a later letter: the index holds its text and no longer the old file
    third = run()
    assert third.fetched == [RESCRAPE] and third.removed == [DAYS[0]]
    held = _held(index)
    assert {source for source, _ in held.values()} == {f"wms/{DAYS[1]}", f"wms/{RESCRAPE}"}
    assert len(held) == len(expected)
    assert sum("lighthouse at Dungeness" in text for _, text in held.values()) == 1
    build = read_manifest(index).build_id

    (served / "ministerial2009-10-26e.xml").write_bytes((served / RESCRAPE).read_bytes())
    server.cut_off.add("ministerial2009-10-26e.xml")  # cut off: the index is unchanged
    fourth = run()
    assert [r.name for r in fourth.refused] == ["ministerial2009-10-26e.xml"]
    assert _held(index) == held and read_manifest(index).build_id == build


@pytest.mark.slow
def test_the_command_names_what_it_refused_and_exits_1(url, into, served, session_cache,
                                                       embedder, tmp_path, uk_data):
    index = tmp_path / "index"
    other = tmp_path / "other"  # the index holds another folder too: the sync keeps it
    (other / "lordswrans").mkdir(parents=True)
    (other / "members").symlink_to(uk_data / "members")
    shutil.copyfile(uk_data / "lordswrans" / "lordswrans2009-10-26a.xml",
                    other / "lordswrans" / "lordswrans2009-10-26a.xml")
    from indexer.sources import resolve_inputs

    build_index(resolve_inputs([other], session_cache, progress=False), index, embedder,
                progress=False, cache_dir=session_cache)
    kept = _held(index)
    (served / "ministerial2009-10-28a.xml").write_bytes(b"<publicwhip><speech")
    env = {name: None for name in os.environ if name.startswith("DEBATE_SEARCH_")}
    env["DEBATE_SEARCH_CACHE_DIR"] = str(session_cache)
    result = CliRunner().invoke(main, ["sync", url, "--into", str(into), "--index", str(index),
                                       "--quiet"], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("refused ministerial2009-10-28a.xml: does not parse")
    assert "2 fetched" in result.stdout and "1 refused" in result.stdout
    held = _held(index)
    assert kept.items() <= held.items()
    assert {source for source, _ in held.values()} - {s for s, _ in kept.values()} == {
        f"wms/{name}" for name in DAYS}
