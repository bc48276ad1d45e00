"""End to end: `debate-search serve` in a subprocess, queried over loopback with httpx."""

from __future__ import annotations

import httpx
import pytest

# The `server_url` fixture (a real `debate-search serve` subprocess over the small index) is
# in conftest.py: slow.
pytestmark = pytest.mark.slow


def test_search_over_http(server_url):
    response = httpx.get(f"{server_url}/search?q=police+use+of+Tasers&k=5", timeout=60)
    assert response.status_code == 200
    page = response.json()
    assert (page["query"], page["count"]) == ("police use of Tasers", 5)
    results = page["results"]
    assert results[0]["debate"]["title"] == "HOME DEPARTMENT — Tasers"
    assert {"David Hanson", "Norman Baker"} <= {r["speaker"]["name"] for r in results}
    for r in results:
        assert (r["house"], r["date"], r["kind"]) == ("House of Commons", "2009-10-26", "speech")
        speaker = r["speaker"]
        assert speaker["person_id"].startswith("uk.org.publicwhip/person/")
        assert speaker["party"] and speaker["constituency"]
        assert r["source_url"].startswith("http://www.publications.parliament.uk/")
        assert r["snippet"]["sentence"] in r["snippet"]["text"]


def test_error_over_http(server_url):
    response = httpx.get(f"{server_url}/search", params={"q": "Tasers", "party": "Labor"},
                         timeout=30)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert (error["status"], error["code"], error["field"]) == (400, "invalid_parameter", "party")
    assert "Labour" in error["message"]
