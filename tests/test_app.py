"""The HTTP API through TestClient: every route, its schema, and one error shape for all.

Most tests ask the API over the tiny index (the Lords' written questions and answers of 26
October 2009: conftest.py) and expect what that file holds; those that need two houses, two
days or a debate's middle ask it over the small index, and are slow."""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from indexer.contribution import Kind
from indexer.store.records import ContributionRecord, SearchFilters
from search_api.descriptions import descriptions
from search_api.engine.checks import MAX_K, MAX_OFFSET, MAX_QUERY_CHARS
from search_api.engine.ranking import MODES, RetrievalConfig
from search_api.engine.stages import parse_server_timing
from search_api.interfaces.http.app import create_app
from search_api.interfaces.http.errors import ErrorResponse
from search_api.operations.contributions import ContributionPublic
from search_api.operations.fields import BLANK, SPACE
from search_api.operations.filters import FilteredRequest
from search_api.operations.search import SearchResponse
from search_api.operations.speakers import SpeakersResponse
from search_api.settings import Settings

# The tiny index.
ELECTRIC = "electric vehicles and charging points"
EMISSIONS = "carbon dioxide emissions of new cars"
ADONIS = "uk.org.publicwhip/person/13178"
EMISSIONS_QUESTION = "uk.org.publicwhip/wrans/2009-10-26a.112.7"  # Lord Berkeley's
EMISSIONS_ANSWER = "uk.org.publicwhip/wrans/2009-10-26a.112.8"  # Lord Adonis's reply to it
# The small index.
TASERS = "police use of Tasers"
HANSON = "uk.org.publicwhip/person/10259"
HANSON_SPEECH = "uk.org.publicwhip/debate/2009-10-26b.3.3"
SEARCH_FIELDS = ("q, k, offset, speaker, party, house, kind, date_from, date_to, debate, "
                 "parliament, corpus, since, mode, understand, sort, group, per_group, facets")


def _error(response) -> dict:
    """The error of a response, after checking it has exactly the one error shape."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"status", "code", "message", "field"}
    ErrorResponse.model_validate(body)
    assert body["error"]["status"] == response.status_code
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body["error"]


# Search -------------------------------------------------------------------------------


def test_search_get(tiny_client, tiny_index):
    response = tiny_client.get("/search", params={"q": EMISSIONS, "k": 5})
    assert response.status_code == 200
    page = SearchResponse.model_validate(response.json())
    assert (page.query, page.mode, page.k, page.offset) == (EMISSIONS, RetrievalConfig().mode,
                                                            5, 0)
    assert page.count == len(page.results) == 5
    assert page.total == tiny_index.contribution_count
    assert page.filters == {}
    assert len({r.id for r in page.results}) == 5
    top = page.results[0]
    assert top.id == EMISSIONS_ANSWER
    assert top.speaker.name == "Lord Adonis" and top.speaker.person_id == ADONIS
    assert (top.speaker.party, top.speaker.constituency) == ("Labour", None)
    assert top.speaker.peerage == "Lord Adonis, of Camden Town in the London Borough of Camden"
    assert top.speaker.office == "Secretary of State, Department for Transport"
    assert top.speaker.office_source == "members"  # a written answer names no office
    assert (top.house, top.date, top.kind) == ("House of Lords", "2009-10-26", "answer")
    assert top.debate.title == "Vehicles: Carbon Emissions"
    assert top.source_url.startswith("http://www.publications.parliament.uk/")
    assert (top.previous_id, top.next_id) == (EMISSIONS_QUESTION, None)
    assert [q.id for q in top.answers_to] == [EMISSIONS_QUESTION] and top.answers == []
    for result in page.results:
        snippet = result.snippet
        assert snippet.sentence == snippet.text[snippet.highlight_start : snippet.highlight_end]
    scores = [r.score for r in page.results]
    assert scores == sorted(scores, reverse=True)


def test_search_names_its_stages_in_server_timing(tiny_client):
    stages = parse_server_timing(tiny_client.get(
        "/search", params={"q": "rural bus services", "k": 2, "mode": "keyword"}
    ).headers["server-timing"])
    assert set(stages) == {"keyword", "fetch", "snippets", "links", "other"}
    assert "server-timing" not in tiny_client.get("/health").headers  # it searched nothing


@pytest.mark.slow
def test_search_get_over_the_commons(api_client):
    """A Commons speech carries its speaker's constituency and the office the record names."""
    top = SearchResponse.model_validate(
        api_client.get("/search", params={"q": TASERS, "k": 5}).json()).results[0]
    assert top.id == HANSON_SPEECH
    assert top.speaker.name == "David Hanson" and top.speaker.person_id == HANSON
    assert (top.speaker.party, top.speaker.constituency) == ("Labour", "Delyn")
    assert top.speaker.office == "The Minister for Policing, Crime and Counter-Terrorism"
    assert top.speaker.office_source == "record"
    assert (top.house, top.date, top.kind) == ("House of Commons", "2009-10-26", "speech")
    assert top.debate.title == "HOME DEPARTMENT — Tasers"
    assert (top.previous_id, top.next_id) == (
        "uk.org.publicwhip/debate/2009-10-26b.3.2", "uk.org.publicwhip/debate/2009-10-26b.3.4")


def test_search_post_equals_get(tiny_client):
    fields = {"q": ELECTRIC, "k": 4, "offset": 4, "party": "Lab", "house": "House of Lords",
              "kind": "answer", "date_from": "2009-10-26", "date_to": "2009-10-26",
              "debate": "Vehicles", "speaker": "Adonis"}
    got = tiny_client.get("/search", params=fields)
    posted = tiny_client.post("/search", json=fields)
    assert got.status_code == posted.status_code == 200
    assert got.json() == posted.json()
    page = SearchResponse.model_validate(posted.json())
    assert page.filters == {k: v for k, v in fields.items() if k not in ("q", "k", "offset")}
    # Lord Adonis answered seven questions under headings naming vehicles: four on carbon
    # emissions, two on electric power, one on diesel trains.
    assert page.total == 7
    assert page.count == 3  # k=4, but the first four were skipped
    for r in page.results:
        assert r.speaker.name == "Lord Adonis" and "Vehicles" in r.debate.title


def test_search_filters_and_paging(tiny_client):
    params = {"q": "Government policy", "house": "House of Lords", "kind": "answer",
              "party": "Labour", "k": 10}
    first = tiny_client.get("/search", params=params).json()
    second = tiny_client.get("/search", params=params | {"offset": 10}).json()
    both = tiny_client.get("/search", params=params | {"k": 20}).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == [r["id"] for r in both["results"]]
    assert len(set(ids)) == 20
    for r in both["results"]:
        assert (r["house"], r["kind"], r["speaker"]["party"]) == (
            "House of Lords", "answer", "Labour")
    assert first["total"] == second["total"] == both["total"] == 31  # every answer: Labour's


def test_browsing_shapes(tiny_client):
    """The shapes scripts rely on: `groups` of debates, `facets` of values and counts."""
    params = {"q": "Northern Ireland", "sort": "newest", "group": "debate", "k": 2,
              "per_group": 2, "facets": "party,house,kind,parliament,date"}
    got = tiny_client.get("/search", params=params)
    posted = tiny_client.post("/search", json=params | {"facets": params["facets"].split(",")})
    repeated = tiny_client.get("/search", params=params | {"facets": params["facets"].split(",")})
    assert got.status_code == 200 and got.json() == posted.json() == repeated.json()
    body = got.json()
    SearchResponse.model_validate(body)
    assert (body["sort"], body["group"], body["results"], body["count"]) == (
        "newest", "debate", [], 2)
    assert body["total_groups"] > 2 and body["total"] >= body["total_groups"]
    for group in body["groups"]:
        assert list(group) == ["debate", "count", "results"]
        assert list(group["debate"]) == ["id", "title", "house", "date"]
        assert 1 <= len(group["results"]) <= min(group["count"], 2)
        for r in group["results"]:
            assert (r["debate"]["id"], r["date"]) == (group["debate"]["id"],
                                                      group["debate"]["date"])
            assert r["speaker"]["name"] and r["citation"] and r["snippet"]["sentence"]
    assert any(len(group["results"]) == 2 for group in body["groups"])  # a question, its answer
    assert list(body["facets"]) == ["party", "house", "kind", "parliament", "date"]
    for counts in body["facets"].values():  # a contribution without a value counts too
        assert all(list(c) == ["value", "count"] for c in counts)
        assert sum(c["count"] for c in counts) == body["total"]
    assert body["facets"]["date"] == [{"value": "2009-10-26", "count": body["total"]}]
    assert body["facet_date_unit"] == "day"
    plain = tiny_client.get("/search", params={"q": "Northern Ireland"}).json()
    assert (plain["sort"], plain["group"], plain["groups"], plain["facets"]) == (
        "relevance", None, None, None)
    assert plain["total_groups"] is None and plain["facet_date_unit"] is None


@pytest.mark.slow
def test_newest_debates_first(api_client):
    params = {"q": "prisons and the courts", "sort": "newest", "group": "debate", "k": 2,
              "per_group": 2}
    body = api_client.get("/search", params=params).json()
    assert [g["debate"]["date"] for g in body["groups"]] == ["2009-10-27", "2009-10-26"]


@pytest.mark.slow
def test_lords_only(api_client):
    page = api_client.get("/search", params={"q": "tuberculosis", "house": "house of lords"})
    results = page.json()["results"]
    assert results and {r["house"] for r in results} == {"House of Lords"}
    assert page.json()["filters"] == {"house": "house of lords"}


# Contributions, speakers, health, stats -----------------------------------------------


def _served(client, index, path: str, contribution_id: str) -> ContributionPublic:
    """The contribution served at /contributions/`path`: the index's record in full, with
    its token counts, and its neighbours pointing back to it."""
    response = client.get(f"/contributions/{path}")
    assert response.status_code == 200
    c = ContributionPublic.model_validate(response.json())
    record = index.contribution(contribution_id)
    assert c.id == contribution_id and c.text == record.text
    assert c.tokens_cl100k > 0 and c.tokens_o200k > 0
    if c.previous:
        assert c.previous.id == c.previous_id and c.previous.next_id == c.id
        assert c.previous.debate.position + 1 == c.debate.position
    if c.next:
        assert c.next.id == c.next_id and c.next.previous_id == c.id
        assert c.next.debate.position - 1 == c.debate.position
    return c


# (index, id, how its text starts, person id, member name, source file, the contribution
# before it and its speaker, the one after it)
SERVED = [
    pytest.param("tiny", EMISSIONS_ANSWER,
                 "For new passenger cars sold in the UK in 2008 the average CO2", ADONIS,
                 "Lord Adonis", "lordswrans/lordswrans2009-10-26a.xml",
                 (EMISSIONS_QUESTION, "Lord Berkeley"), None,
                 id="an answer, the last of its section"),
    pytest.param("small", HANSON_SPEECH,
                 "We are committed to providing the police with the equipment", HANSON,
                 "David Hanson", "debates/debates2009-10-26b.xml",
                 ("uk.org.publicwhip/debate/2009-10-26b.3.2", "Norman Baker"),
                 "uk.org.publicwhip/debate/2009-10-26b.3.4",
                 id="a speech in the middle of its debate", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("encoded", [False, True], ids=["slashes", "percent-encoded"])
@pytest.mark.parametrize(("index", "contribution_id", "starts", "person_id", "member",
                          "source_file", "previous", "next_id"), SERVED)
def test_contribution_with_neighbours(request, index, contribution_id, starts, person_id,
                                      member, source_file, previous, next_id, encoded):
    client, served = ((request.getfixturevalue("tiny_client"),
                       request.getfixturevalue("tiny_index")) if index == "tiny" else
                      (request.getfixturevalue("api_client"),
                       request.getfixturevalue("small_index")))
    path = quote(contribution_id, safe="") if encoded else contribution_id
    response = client.get(f"/contributions/{path}")
    assert response.status_code == 200
    c = ContributionPublic.model_validate(response.json())
    record = served.contribution(contribution_id)
    assert c.id == contribution_id and c.text == record.text and c.text.startswith(starts)
    assert (c.speaker.person_id, c.speaker.member_name) == (person_id, member)
    assert c.source_file == source_file
    assert c.tokens_cl100k > 0 and c.tokens_o200k > 0
    # Its neighbours in the debate, each pointing back to it.
    assert (c.previous_id, c.previous.speaker.name) == previous
    assert c.previous.id == c.previous_id and c.previous.next_id == c.id
    assert c.previous.debate.position + 1 == c.debate.position
    assert c.next_id == next_id
    if next_id is None:
        assert c.next is None
    else:
        assert c.next.id == next_id and c.next.previous_id == c.id
        assert c.next.debate.position - 1 == c.debate.position


def test_first_contribution_of_a_debate_has_no_previous(tiny_client):
    body = tiny_client.get(f"/contributions/{EMISSIONS_QUESTION}").json()
    assert body["previous"] is None and body["previous_id"] is None
    assert body["next"]["id"] == EMISSIONS_ANSWER
    assert "text" not in body["next"]  # neighbours are summaries
    assert [a["id"] for a in body["answers"]] == [EMISSIONS_ANSWER]


def test_every_office_held_reaches_the_api(tiny_client):
    # Lord Mandelson answered on the Privy Council, holding two posts that day.
    mandelson = tiny_client.get("/contributions/uk.org.publicwhip/wrans/2009-10-26a.106.9")
    speaker = mandelson.json()["speaker"]
    assert speaker["name"] == "Lord Mandelson"
    assert speaker["offices"] == [
        "Lord President of the Council, Privy Council Office",
        "Secretary of State, Department for Business, Innovation and Skills"]
    assert speaker["office"] == "; ".join(speaker["offices"])
    assert (speaker["office_source"], speaker["chair"]) == ("members", False)
    asker = tiny_client.get("/contributions/uk.org.publicwhip/wrans/2009-10-26a.106.8").json()
    assert asker["speaker"]["name"] == "Lord Marlesford"
    assert (asker["speaker"]["office"], asker["speaker"]["offices"]) == (None, None)


@pytest.mark.slow
def test_offices_and_chair_turns_reach_the_api(api_client):
    # Phil Woolas answering Home Office questions: his Home Office post, and all of his posts
    woolas = api_client.get("/contributions/uk.org.publicwhip/debate/2009-10-26b.6.0").json()
    assert woolas["speaker"]["office"] == "Minister of State, Home Office"
    assert woolas["speaker"]["offices"] == [
        "Minister of State, Home Office", "Minister of State, HM Treasury",
        "Minister of State, Regional Affairs"]
    assert woolas["speaker"]["chair"] is False
    chair = api_client.get("/contributions/uk.org.publicwhip/debate/2009-10-26b.6.2").json()
    assert chair["speaker"]["name"] == "Mr. Speaker"
    assert (chair["speaker"]["party"], chair["speaker"]["office"]) == (None, "Speaker")
    assert (chair["speaker"]["offices"], chair["speaker"]["chair"]) == (["Speaker"], True)
    assert chair["citation"].startswith("Mr. Speaker (Speaker; Buckingham). House of Commons.")


def test_speakers_by_name_and_person_id(tiny_client, tiny_index):
    by_name = SpeakersResponse.model_validate(tiny_client.get("/speakers?q=adonis").json())
    by_id = tiny_client.get("/speakers", params={"q": ADONIS}).json()
    assert by_id == by_name.model_dump() | {"q": ADONIS}
    assert by_name.count == 1
    [adonis] = by_name.speakers
    assert (adonis.person_id, adonis.name, adonis.party) == (ADONIS, "Lord Adonis", "Labour")
    assert adonis.houses == ["House of Lords"]
    assert adonis.by_kind == {"answer": 13}
    # A plain search ranks every contribution that passes its filters: its total counts them.
    counted = tiny_index.search("education", filters=SearchFilters(speaker=ADONIS)).total
    assert adonis.contributions == sum(adonis.by_kind.values()) == counted


def test_speakers_busiest_first(tiny_client):
    body = tiny_client.get("/speakers", params={"limit": 5}).json()
    assert body["q"] is None and body["count"] == 5
    counts = [s["contributions"] for s in body["speakers"]]
    assert counts == sorted(counts, reverse=True)
    assert [s["name"] for s in body["speakers"][:2]] == ["Lord Adonis", "Lord Laird"]  # 13, 7
    assert tiny_client.get("/speakers?q=nobody+atall").json() == {
        "q": "nobody atall", "count": 0, "speakers": []}


def test_health(tiny_client, tiny_index):
    body = tiny_client.get("/health").json()
    assert body == {"status": "ok", "contributions": tiny_index.contribution_count,
                    "build_id": tiny_index.manifest.build_id,
                    "building": None, "build_error": None}  # no build beside this server


def test_stats(tiny_client, tiny_index):
    stats = tiny_client.get("/stats").json()
    assert stats["contributions"] == tiny_index.contribution_count == 62
    assert stats["chunks"] == tiny_index.chunk_count
    assert stats["speakers"] == 26
    assert stats["by_house"] == {"House of Lords": 62}
    assert {kind: counts["contributions"] for kind, counts in stats["by_kind"].items()} == {
        "question": 31, "answer": 31}
    # The party filter's choices (the page lists them): the index's own parties.
    assert stats["parties"] == list(tiny_index.values.parties) == [
        "Conservative", "Crossbench", "Independent Labour", "Labour", "Liberal Democrat"]
    assert stats["dates"] == {"from": "2009-10-26", "to": "2009-10-26"}
    assert stats["model"]["dimension"] == 384
    assert stats["build"]["id"] == tiny_index.manifest.build_id


@pytest.mark.slow
def test_stats_of_two_houses_and_days(api_client, small_index):
    stats = api_client.get("/stats").json()
    assert stats["contributions"] == small_index.contribution_count
    assert set(stats["by_house"]) == {"House of Commons", "House of Lords"}
    assert sum(stats["by_house"].values()) == stats["contributions"]
    assert set(stats["by_kind"]) == {"speech", "question", "answer", "statement"}
    assert stats["dates"] == {"from": "2009-10-26", "to": "2009-10-27"}


def test_docs_and_openapi(tiny_client):
    docs = tiny_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = tiny_client.get("/openapi.json").json()
    assert {"/search", "/contributions/{contribution_id}", "/speakers", "/health",
            "/stats"} <= set(spec["paths"])
    assert set(spec["paths"]["/search"]) == {"get", "post"}
    assert "ErrorResponse" in spec["components"]["schemas"]
    get_params = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert get_params == set(SEARCH_FIELDS.split(", "))


def test_openapi_states_the_limits_the_library_enforces(tiny_client, tiny_index):
    spec = tiny_client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert (params["k"]["minimum"], params["k"]["maximum"]) == (1, MAX_K)
    assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, MAX_OFFSET)
    assert params["q"]["maxLength"] == MAX_QUERY_CHARS and params["q"]["minLength"] == 1
    assert _text_branch(params["mode"])["enum"] == list(MODES)
    assert _text_branch(params["kind"])["enum"] == [k.value for k in Kind]
    assert _text_branch(params["date_from"])["format"] == "date"
    # The served index's own values, and a blank value still means "no filter".
    assert set(_text_branch(params["party"])["enum"]) >= {"Labour", "Lab", "Conservative"}
    assert _text_branch(params["house"])["enum"] == list(tiny_index.values.houses)
    assert BLANK in params["party"]["anyOf"]
    body = spec["components"]["schemas"]["ContextRequest"]["properties"]
    assert body["encoding"]["enum"] == ["cl100k_base", "o200k_base"]
    assert _text_branch(body["party"])["enum"] == _text_branch(params["party"])["enum"]


def _text_branch(schema: dict) -> dict:
    return next(s for s in schema.get("anyOf", [schema]) if "enum" in s or "format" in s)


def test_the_filter_base_is_search_filters():
    """The requests' filters are SearchFilters' fields: same names, order, types and
    descriptions, all optional."""
    hints = typing.get_type_hints(SearchFilters)
    library = {f.name: (hints[f.name], descriptions(SearchFilters)[f.name])
               for f in dataclasses.fields(SearchFilters)}
    requests = {name: (info.annotation, info.description)
                for name, info in FilteredRequest.model_fields.items()}
    assert list(requests.items()) == list(library.items())
    assert not any(info.is_required() for info in FilteredRequest.model_fields.values())
    assert FilteredRequest(**{name: "x" for name in library}).filters() == SearchFilters(
        **{name: "x" for name in library})


def test_contributions_show_the_record_s_own_fields():
    """A contribution in full is ContributionRecord's fields (of its types), its citation,
    its neighbours and its Q/A links."""
    hints = typing.get_type_hints(ContributionRecord)
    shown = ContributionPublic.model_fields
    assert {name: info.annotation for name, info in shown.items() if name in hints} == hints
    assert set(shown) - set(hints) == {"citation", "previous", "next", "answers", "answers_to"}


def test_blank_is_what_strip_removes():
    blank = {c for c in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(f"[{SPACE}]", c)}
    assert blank == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}


def test_a_method_a_path_does_not_take_is_told_what_it_does(tiny_client):
    response = tiny_client.delete("/search")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert tiny_client.put("/speakers").headers["allow"] == "GET"


# The search page's files (the page in a browser: test_page.py) --------------------------


def test_page_and_assets_are_served(tiny_client):
    page = tiny_client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert 'src="/static/app.js"' in page.text and 'href="/static/style.css"' in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from elsewhere
    for asset, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = tiny_client.get(f"/static/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    assert "innerHTML" not in tiny_client.get("/static/app.js").text
    missing = tiny_client.get("/static/nothing.js")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


# Errors -------------------------------------------------------------------------------

LONG = "x" * 501

# (method, path, JSON body, status, code, field, words the message must contain)
BAD_REQUESTS = [
    ("GET", "/search?q=", None, 400, "invalid_parameter", "q", "empty"),
    ("GET", "/search?q=%20%20", None, 400, "invalid_parameter", "q", "empty"),
    ("GET", "/search", None, 400, "invalid_parameter", "q", "q: Field required"),
    ("GET", f"/search?q={LONG}", None, 400, "invalid_parameter", "q", "most allowed is 500"),
    ("GET", "/search?q=x&k=0", None, 400, "invalid_parameter", "k", "between 1 and 100"),
    ("GET", "/search?q=x&k=101", None, 400, "invalid_parameter", "k", "between 1 and 100"),
    ("GET", "/search?q=x&k=abc", None, 400, "invalid_parameter", "k", "valid integer"),
    ("GET", "/search?q=x&k=1.5", None, 400, "invalid_parameter", "k", "valid integer"),
    ("GET", "/search?q=x&offset=-1", None, 400, "invalid_parameter", "offset", "between 0"),
    ("GET", "/search?q=x&offset=abc", None, 400, "invalid_parameter", "offset", "integer"),
    ("GET", "/search?q=x&party=Labor", None, 400, "invalid_parameter", "party",
     "unknown party 'Labor'; known: "),
    ("GET", "/search?q=x&house=Senate", None, 400, "invalid_parameter", "house",
     "unknown house 'Senate'; known: House of Lords"),  # the tiny index's one house
    ("GET", "/search?q=x&kind=rant", None, 400, "invalid_parameter", "kind",
     "known: speech, question, answer, statement"),
    ("GET", "/search?q=x&date_from=2009-13-01", None, 400, "invalid_parameter", "date_from",
     "use YYYY-MM-DD"),
    ("GET", "/search?q=x&date_to=yesterday", None, 400, "invalid_parameter", "date_to",
     "'yesterday' is not a date"),
    ("GET", "/search?q=x&date_from=2009-10-27&date_to=2009-10-26", None, 400,
     "invalid_parameter", "date_from", "is after date_to"),
    ("GET", "/search?q=x&speaker=Nobody+Atall", None, 400, "invalid_parameter", "speaker",
     "no speaker matches 'Nobody Atall'"),
    ("GET", "/search?q=x&foo=1", None, 400, "invalid_parameter", "foo",
     f"unknown parameter 'foo'; allowed: {SEARCH_FIELDS}"),
    ("POST", "/search", {"q": ""}, 400, "invalid_parameter", "q", "empty"),
    ("POST", "/search", {"q": 5}, 400, "invalid_parameter", "q", "valid string"),
    ("POST", "/search", {"q": "x", "k": "abc"}, 400, "invalid_parameter", "k", "valid integer"),
    ("POST", "/search", {"q": "x", "k": 500}, 400, "invalid_parameter", "k", "between 1 and"),
    ("POST", "/search", {"q": "x", "party": "Labor"}, 400, "invalid_parameter", "party",
     "Labour"),
    ("POST", "/search", {"q": "x", "party": ["Lab"]}, 400, "invalid_parameter", "party",
     "valid string"),
    ("POST", "/search", {"q": "x", "understand": 0}, 400, "invalid_parameter", "understand",
     "must be true or false"),
    ("POST", "/search", {"q": "x", "offset": False}, 400, "invalid_parameter", "offset",
     "whole number"),
    ("POST", "/search", {"q": "x", "foo": 1}, 400, "invalid_parameter", "foo",
     f"allowed: {SEARCH_FIELDS}"),
    ("GET", "/search?q=x&sort=best", None, 400, "invalid_parameter", "sort",
     "unknown sort 'best'; known: relevance, newest, oldest"),
    ("GET", "/search?q=x&group=speaker", None, 400, "invalid_parameter", "group",
     "unknown group 'speaker'; known: debate"),
    ("GET", "/search?q=x&facets=party,colour", None, 400, "invalid_parameter", "facets",
     "unknown facet 'colour'; known: party, house, kind, parliament, date"),
    ("GET", "/search?q=x&per_group=11", None, 400, "invalid_parameter", "per_group",
     "between 1 and 10"),
    ("POST", "/search", {"q": "x", "sort": "date"}, 400, "invalid_parameter", "sort",
     "known: relevance, newest, oldest"),
    ("POST", "/search", {"q": "x", "facets": ["constituency"]}, 400, "invalid_parameter",
     "facets", "unknown facet 'constituency'; known: party, house"),
    ("POST", "/search", {"q": "x", "facets": "party"}, 400, "invalid_parameter", "facets",
     "valid list"),
    ("POST", "/search", b"{not json", 400, "invalid_json", None, "not valid JSON"),
    ("POST", "/search", [], 400, "invalid_parameter", None, "send a JSON object"),
    ("POST", "/search", b"", 400, "invalid_parameter", None, "body is missing"),
    ("GET", "/contributions/uk.org.publicwhip/debate/2009-10-26b.999.9", None, 404,
     "unknown_contribution", None,
     "no contribution with id 'uk.org.publicwhip/debate/2009-10-26b.999.9'"),
    ("GET", "/speakers?limit=0", None, 400, "invalid_parameter", "limit", "between 1 and 100"),
    ("GET", "/speakers?limit=abc", None, 400, "invalid_parameter", "limit", "valid integer"),
    ("GET", "/speakers?name=hanson", None, 400, "invalid_parameter", "name",
     "unknown parameter 'name'; allowed: q, limit"),
    ("POST", "/context", {"q": "x", "max_tokens": 0}, 400, "invalid_parameter", "max_tokens",
     "max_tokens must be between 1 and 100000, not 0"),
    ("POST", "/context", {"q": "x", "encoding": "nope"}, 400, "invalid_parameter", "encoding",
     "unknown encoding 'nope'; known: cl100k_base, o200k_base"),
    ("GET", "/no-such-page", None, 404, "not_found", None, "Not Found"),
    ("DELETE", "/search", None, 405, "http_error", None, "Method Not Allowed"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "field", "says"),
                         BAD_REQUESTS, ids=[f"{m} {p[:50]} {b!r:.30}" for m, p, b, *_ in
                                            BAD_REQUESTS])
def test_bad_input_gets_one_error_shape(tiny_client, method, path, body, status, code, field,
                                        says):
    if isinstance(body, bytes):
        response = tiny_client.request(method, path, content=body,
                                      headers={"content-type": "application/json"})
    else:
        response = tiny_client.request(method, path, json=body)
    assert response.status_code == status
    error = _error(response)
    assert (error["code"], error["field"]) == (code, field)
    assert says in error["message"]


def test_missing_index_answers_503_and_still_serves_docs(tmp_path, torch_threads):
    missing = tmp_path / "no-index-here"
    settings = Settings(index_dir=missing, torch_threads=torch_threads)
    with TestClient(create_app(settings)) as client:
        for response in (client.get("/health"), client.get("/search", params={"q": TASERS}),
                         client.post("/search", json={"q": TASERS}), client.get("/stats")):
            assert response.status_code == 503
            error = _error(response)
            assert (error["code"], error["field"]) == ("index_not_found", None)
            assert str(missing) in error["message"]
            assert "debate-search index" in error["message"]
        assert client.get("/docs").status_code == 200
        assert client.get("/openapi.json").status_code == 200
