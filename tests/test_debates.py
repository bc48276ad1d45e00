"""GET /debates/{id}: a whole debate in the record's order, paged, opened around a
contribution; and the debate id every citation carries. Over the tiny index (the MCP tool and
resources: test_mcp.py; the page: test_page.py)."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

import pytest

from indexer.store.reader import IndexReader
from indexer.store.records import ContributionRecord, SearchFilters

QUESTION = "What are the average carbon dioxide emissions of new cars?"


@pytest.fixture(scope="module")
def records(tiny_index_dir) -> list[ContributionRecord]:
    reader = IndexReader(tiny_index_dir)
    try:
        return list(reader.records(SearchFilters()))
    finally:
        reader.close()


@pytest.fixture(scope="module")
def longest(records) -> list[ContributionRecord]:
    """The contributions of the tiny index's longest debate, as the store holds them, in
    their positions' order."""
    debate_id, _ = Counter(r.debate.id for r in records).most_common(1)[0]
    return sorted((r for r in records if r.debate.id == debate_id),
                  key=lambda r: r.debate.position)


def _path(debate_id: str) -> str:
    return f"/debates/{quote(debate_id, safe='/')}"


def test_a_debate_is_its_records_in_order_across_pages(tiny_client, longest):
    debate_id = longest[0].debate.id
    assert len(longest) >= 2  # the tiny index's debates: a question and its answer
    listed, offset, pages = [], 0, 0
    while offset is not None:
        response = tiny_client.get(_path(debate_id), params={"offset": offset, "limit": 1})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["offset"] == offset and body["limit"] == 1 and body["around"] is None
        listed += body["contributions"]
        offset, pages = body["next_offset"], pages + 1
    assert pages == len(longest)
    assert [c["id"] for c in listed] == [r.id for r in longest]
    assert [c["position"] for c in listed] == list(range(1, len(longest) + 1))
    for c, r in zip(listed, longest, strict=True):
        assert c["speaker"]["name"] == r.speaker.name and c["speaker"]["party"] == r.speaker.party
        assert c["speaker"]["office"] == r.speaker.office and c["kind"] == r.kind
        assert c["time"] == r.time and c["first_sentence"] and c["first_sentence"] in r.text
        assert r.text.lstrip().startswith(c["first_sentence"][:20])
    header = body["debate"]
    first = longest[0]
    assert header == {
        "id": debate_id, "title": first.debate.title, "major_heading": first.debate.major_heading,
        "minor_heading": first.debate.minor_heading, "corpus": first.corpus,
        "parliament": first.parliament, "house": first.house, "date": first.date,
        "source_url": first.source_url, "contributions": len(longest)}


def test_the_default_page_is_the_whole_of_a_short_debate(tiny_client, longest):
    body = tiny_client.get(_path(longest[0].debate.id)).json()
    assert body["limit"] == 50 and body["offset"] == 0 and body["next_offset"] is None
    assert [c["id"] for c in body["contributions"]] == [r.id for r in longest]


def test_around_opens_the_page_that_holds_the_contribution(tiny_client, longest):
    debate_id = longest[0].debate.id
    for limit in (1, 2):
        for at, record in enumerate(longest):
            body = tiny_client.get(_path(debate_id), params={"around": record.id,
                                                             "limit": limit, "offset": 99}).json()
            assert body["offset"] == at - at % limit and body["around"] == record.id
            assert record.id in [c["id"] for c in body["contributions"]]


def test_unknown_debate_and_foreign_around_are_errors_in_the_one_shape(tiny_client, longest,
                                                                       records):
    missing = tiny_client.get("/debates/uk.org.publicwhip/no/such.1")
    assert missing.status_code == 404
    assert missing.json() == {"error": {
        "status": 404, "code": "unknown_debate", "field": None,
        "message": "no debate with id 'uk.org.publicwhip/no/such.1' in this index (a "
                   "debate's id is its contributions' debate.id)"}}
    elsewhere = next(r for r in records if r.debate.id != longest[0].debate.id)
    # A contribution of another debate is not found in this one: a 404, as for an unknown id.
    foreign = tiny_client.get(_path(longest[0].debate.id), params={"around": elsewhere.id})
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "unknown_contribution"
    assert foreign.json()["error"]["message"] == (
        f"no contribution with id {elsewhere.id!r} in debate {longest[0].debate.id!r}")
    for params, field in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                          ({"offset": -1}, "offset"), ({"page": 2}, "page")):
        refused = tiny_client.get(_path(longest[0].debate.id), params=params)
        assert refused.status_code == 400, params
        assert field in refused.json()["error"]["message"]


def test_citations_carry_the_debate_id(tiny_client, records):
    debates = {r.id: r.debate.id for r in records}
    answer = tiny_client.get("/answer", params={"q": QUESTION}).json()
    cited = [c["citation"] for s in answer["speakers"] for c in s["contributions"]]
    context = tiny_client.post("/context", json={"q": QUESTION}).json()
    cited += [p["citation"] for p in context["passages"]]
    assert cited
    for citation in cited:
        assert citation["debate_id"] == debates[citation["contribution_id"]]
        opened = tiny_client.get(_path(citation["debate_id"]),
                                 params={"around": citation["contribution_id"]})
        assert opened.status_code == 200
        assert opened.json()["debate"]["title"] == citation["debate_title"]
