"""The Atom feeds (/feeds/search.atom, /feeds/speaker.atom), read back with feedparser, their
conditional GET, and `since`: what entered the index since a date or a build.

The fast tests read the tiny index (the Lords' written questions and answers of 26 October
2009: conftest.py); those that build indexes of their own, or start a server, are slow."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import feedparser
import httpx
import pytest
from click.testing import CliRunner

from search_api.interfaces.cli import main

EMISSIONS = "carbon dioxide emissions of new cars"
WMS_26 = "wms/ministerial2009-10-26c.xml"
WMS_27 = "wms/ministerial2009-10-27a.xml"
JUSTICE = "offenders and the criminal justice system"  # matches statements of both days
RFC_3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
SWITCH_SECONDS = 60  # a server looks for a new build every 2 s


def _feed(response: httpx.Response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return parsed


def _dates(parsed) -> list[str]:
    return [entry.published[:10] for entry in parsed.entries]


def test_a_search_feed_is_atom_with_stable_ids_dates_and_absolute_links(tiny_client):
    response = tiny_client.get("/feeds/search.atom", params={"q": EMISSIONS, "kind": "answer"})
    parsed = _feed(response)
    assert parsed.entries
    # The query and the filters, in the feed's title.
    assert EMISSIONS in parsed.feed.title and "kind: answer" in parsed.feed.title
    ids = [entry.id for entry in parsed.entries]
    assert len(set(ids)) == len(ids)
    assert "tag:debate-search,2009:uk.org.publicwhip/wrans/2009-10-26a.112.8" in ids
    assert all(i.startswith("tag:debate-search,2009:uk.org.publicwhip/wrans/") for i in ids)
    # The tiny index was built once: every entry is dated by its sitting.
    for entry in parsed.entries:
        assert RFC_3339.match(entry.updated) and RFC_3339.match(entry.published)
        assert entry.updated.startswith("2009-10-26T00:00:00")
        assert entry.author
        rels = {link.rel: link.href for link in entry.links}
        assert rels["alternate"].startswith("http://testserver/?id=uk.org.publicwhip")
        assert rels["related"].startswith("http://www.publications.parliament.uk/")
        assert entry.summary
    assert RFC_3339.match(parsed.feed.updated)
    assert parsed.feed.links[0].href.startswith("http://testserver/feeds/search.atom?")
    # Latest sitting first; the first entry's passage is the matching one.
    assert _dates(parsed) == sorted(_dates(parsed), reverse=True)
    assert "Lord Adonis" in parsed.entries[0].summary and "Labour" in parsed.entries[0].summary
    # The same request is the same feed.
    assert tiny_client.get("/feeds/search.atom", params={"q": EMISSIONS, "kind": "answer"}
                           ).content == response.content


def test_a_feed_is_not_sent_again_until_a_new_build(tiny_client):
    params = {"q": EMISSIONS}
    first = tiny_client.get("/feeds/search.atom", params=params)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = tiny_client.get("/feeds/search.atom", params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = tiny_client.get("/feeds/search.atom", params=params,
                            headers={"If-Modified-Since": modified})
    assert since.status_code == 304 and since.content == b""
    # Another query, an older time, or an ETag of something else: the feed.
    assert tiny_client.get("/feeds/search.atom", params={"q": "hospital waiting times"},
                           headers={"If-None-Match": etag}).status_code == 200
    assert tiny_client.get("/feeds/search.atom", params=params, headers={
        "If-Modified-Since": "Mon, 26 Oct 2009 00:00:00 GMT"}).status_code == 200
    # If-None-Match, when sent, decides alone (RFC 9110).
    assert tiny_client.get("/feeds/search.atom", params=params, headers={
        "If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200


def test_a_speaker_feed_lists_the_members_contributions(tiny_client, tiny_index):
    speaker = tiny_index.speakers("Adonis")[0]
    parsed = _feed(tiny_client.get("/feeds/speaker.atom",
                                   params={"speaker": speaker.person_id}))
    assert speaker.name in parsed.feed.title and speaker.person_id in parsed.feed.title
    assert len(parsed.entries) == min(50, speaker.contributions)
    assert {entry.author for entry in parsed.entries} == {"Lord Adonis"}
    assert all("Lord Adonis" in entry.title for entry in parsed.entries)


def test_feeds_refuse_bad_values_in_the_one_error_shape(tiny_client):
    for route, params, field in (
            ("/feeds/speaker.atom", {"speaker": "Nobody Whatsoever"}, "speaker"),
            ("/feeds/search.atom", {"q": EMISSIONS, "since": "last week"}, "since"),
            ("/feeds/search.atom", {"q": EMISSIONS, "party": "Labor"}, "party"),
            ("/search", {"q": EMISSIONS, "since": "2009-02-30"}, "since")):
        response = tiny_client.get(route, params=params)
        assert response.status_code == 400, (route, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_parameter" and error["field"] == field
    message = tiny_client.get("/search", params={"q": EMISSIONS, "since": "last week"}
                              ).json()["error"]["message"]
    assert "neither a date (YYYY-MM-DD) nor a build of this index" in message


def test_the_openapi_document_lists_the_feeds(tiny_client):
    paths = tiny_client.get("/openapi.json").json()["paths"]
    for route in ("/feeds/search.atom", "/feeds/speaker.atom"):
        responses = paths[route]["get"]["responses"]
        assert "application/atom+xml" in responses["200"]["content"]
        assert {"304", "400", "503"} <= set(responses)
    names = {p["name"] for p in paths["/feeds/search.atom"]["get"]["parameters"]}
    assert {"q", "speaker", "party", "since"} <= names


def test_since_a_date_after_the_build_keeps_nothing(tiny_client):
    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert tiny_client.get("/search", params={"q": EMISSIONS, "since": later}
                           ).json()["total"] == 0
    assert tiny_client.get("/search", params={"q": EMISSIONS, "since": "2009-01-01"}
                           ).json()["total"] == 62


# Indexes of their own -------------------------------------------------------------------


def _runner(cache: Path):
    def invoke(*args):
        env = {"DEBATE_SEARCH_CACHE_DIR": str(cache)}
        return CliRunner().invoke(main, [str(a) for a in args], env=env)

    return invoke


def _build(uk_data: Path, files: list[str], out: Path, embedder, cache: Path, add=False):
    from indexer.pipeline.build import build_index
    from indexer.sources import resolve_inputs

    inputs = resolve_inputs([uk_data / f for f in files], cache, progress=False)
    return build_index(inputs, out, embedder, progress=False, cache_dir=cache, add=add)


def _client(index_dir: Path):
    from fastapi.testclient import TestClient

    from search_api.interfaces.http.app import create_app
    from search_api.settings import Settings

    return TestClient(create_app(Settings(index_dir=index_dir)))


@pytest.mark.slow
def test_ids_are_the_same_in_two_builds_of_the_same_sources(uk_data, embedder,
                                                            session_cache, tmp_path):
    feeds = []
    for name in ("one", "two"):
        _build(uk_data, [WMS_26, WMS_27], tmp_path / name, embedder, session_cache)
        with _client(tmp_path / name) as client:
            feeds.append(_feed(client.get("/feeds/search.atom", params={"q": JUSTICE})))
    assert [e.id for e in feeds[0].entries] == [e.id for e in feeds[1].entries]
    assert [e.updated for e in feeds[0].entries] == [e.updated for e in feeds[1].entries]
    assert _dates(feeds[0])[0] == "2009-10-27" and _dates(feeds[0])[-1] == "2009-10-26"


@pytest.mark.slow
def test_search_since_lists_only_what_an_update_added(uk_data, embedder, session_cache,
                                                      tmp_path):
    index_dir = tmp_path / "index"
    run = _runner(session_cache)
    first = run("index", "--quiet", "--out", index_dir, uk_data / WMS_26)
    assert first.exit_code == 0, first.output
    first_build = _current_build(index_dir)
    added = run("index", "--quiet", "--add", "--out", index_dir, uk_data / WMS_27)
    assert added.exit_code == 0, added.output

    def ids(*options) -> set[str]:
        done = run("search", JUSTICE, "-k", "100", "--json", "--index", index_dir, *options)
        assert done.exit_code == 0, done.output
        return {r["id"] for r in json.loads(done.stdout)["results"]}

    everything, since = ids(), ids("--since", first_build)
    assert since and since < everything
    assert all("/2009-10-27a." in i for i in since)
    assert everything - since == {i for i in everything if "/2009-10-26c." in i}
    assert ids("--since", "2009-01-01") == everything
    assert ids("--since", (dt.date.today() + dt.timedelta(days=2)).isoformat()) == set()
    refused = run("search", JUSTICE, "--since", "last week", "--index", index_dir)
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        f"Error: since 'last week' is neither a date (YYYY-MM-DD) nor a build of this index; "
        f"its latest builds: {first_build}, {_current_build(index_dir)}"]


def _current_build(index_dir: Path) -> str:
    from indexer.store.layout import resolve_build

    return resolve_build(index_dir).name


@pytest.mark.slow
def test_a_sitting_added_tops_the_feed_of_a_running_server(uk_data, embedder, session_cache,
                                                          start_server, tmp_path):
    index_dir = tmp_path / "index"
    _build(uk_data, [WMS_26], index_dir, embedder, session_cache)
    with start_server(index_dir, tmp_path / "server.log") as url:
        feed_url = f"{url}/feeds/search.atom"
        before = httpx.get(feed_url, params={"q": JUSTICE}, timeout=30)
        assert set(_dates(_feed(before))) == {"2009-10-26"}
        served = httpx.get(f"{url}/health", timeout=30).json()["build_id"]
        _build(uk_data, [WMS_27], index_dir, embedder, session_cache, add=True)
        new_build = _current_build(index_dir)
        deadline = time.monotonic() + SWITCH_SECONDS
        while httpx.get(f"{url}/health", timeout=30).json()["build_id"] != new_build:
            assert time.monotonic() < deadline, "the server still serves the old build"
            time.sleep(0.5)
        assert new_build != served
        # The reader's copy is stale now: the new feed comes, not a 304.
        after = httpx.get(feed_url, params={"q": JUSTICE}, timeout=30,
                          headers={"If-None-Match": before.headers["etag"]})
        parsed = _feed(after)
        dates = _dates(parsed)
        assert dates[0] == "2009-10-27" and "2009-10-26" in dates
        assert dates == sorted(dates, reverse=True)
        # A sitting that entered with a later build is dated by when it entered.
        published = dt.datetime.strptime(after.headers["last-modified"],
                                         "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
        for entry in parsed.entries:
            updated = dt.datetime.fromisoformat(entry.updated)
            if entry.published.startswith("2009-10-27"):
                assert updated == published
            else:
                assert updated == dt.datetime(2009, 10, 26, tzinfo=dt.UTC)
        assert parsed.feed.updated == parsed.entries[0].updated
        old_ids = {e.id for e in _feed(before).entries}
        assert old_ids <= {e.id for e in parsed.entries}


def test_a_query_with_characters_xml_cannot_hold_is_still_a_feed(tiny_client):
    # Found by schemathesis: control characters in q reached the feed's title.
    parsed = _feed(tiny_client.get("/feeds/search.atom", params={"q": "carbon\x07 emissions\x10"}))
    assert "carbon emissions" in parsed.feed.title
