"""The MCP server through the official SDK's own client: in-process over the tiny index,
and over both transports over the small index (slow).

stdio: `debate-search mcp --index DIR` as a subprocess; streamable HTTP: /mcp of a real
`debate-search serve`. Each lists the tools, calls them all, and checks the attribution.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from search_api.interfaces.http.app import create_app
from search_api.interfaces.mcp import build_mcp_server
from search_api.operations.answers import AnswerResponse
from search_api.operations.contributions import ContributionPublic
from search_api.operations.debates import DebateResponse
from search_api.operations.search import SearchResponse
from search_api.operations.speakers import FindSpeakersResponse, SpeakersResponse
from search_api.settings import Settings

TOOLS = {"search_debates", "get_contribution", "answer_question", "list_speakers",
         "find_speakers", "get_debate"}


@dataclass(frozen=True)
class Expected:
    """What an index holds that the tools must find: a search's best result, the question
    it answers, a question to answer, a speaker to look up."""

    query: str
    house: str
    top_id: str
    name: str
    person_id: str
    party: str
    constituency: str | None
    debate: str
    question_id: str
    asker: str
    asker_party: str
    question_starts: str
    question: str
    speaker_q: str


# The tiny index: Lord Adonis's written answer to Lord Berkeley.
TINY = Expected(
    query="carbon dioxide emissions of new cars", house="House of Lords",
    top_id="uk.org.publicwhip/wrans/2009-10-26a.112.8", name="Lord Adonis",
    person_id="uk.org.publicwhip/person/13178", party="Labour", constituency=None,
    debate="Vehicles: Carbon Emissions", question_id="uk.org.publicwhip/wrans/2009-10-26a.112.7",
    asker="Lord Berkeley", asker_party="Labour",
    question_starts="To ask Her Majesty's Government further to the Written Answer by the then "
                    "Minister of State at the Department for Transport, Stephen Ladyman",
    question="What are the average carbon dioxide emissions of new cars?", speaker_q="Adonis")
# The small index: David Hanson's oral answer to Norman Baker on Tasers.
SMALL = Expected(
    query="police use of Tasers", house="House of Commons",
    top_id="uk.org.publicwhip/debate/2009-10-26b.3.3", name="David Hanson",
    person_id="uk.org.publicwhip/person/10259", party="Labour", constituency="Delyn",
    debate="HOME DEPARTMENT — Tasers", question_id="uk.org.publicwhip/debate/2009-10-26b.3.2",
    asker="Norman Baker", asker_party="Liberal Democrat",
    question_starts="What his policy is on the use of Taser guns",
    question="What did the minister say about Tasers?", speaker_q="Hanson")


async def _exercise(client: Client, expected: Expected) -> None:
    listed = await client.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    for tool in listed.tools:
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema  # results are typed, as structured content

    found = await client.call_tool("search_debates", {"q": expected.query, "k": 3,
                                                      "house": expected.house})
    assert not found.is_error
    page = SearchResponse.model_validate(found.structured_content)
    top = page.results[0]
    assert (top.id, top.speaker.name, top.speaker.person_id) == (
        expected.top_id, expected.name, expected.person_id)
    assert (top.speaker.party, top.speaker.constituency) == (expected.party,
                                                             expected.constituency)
    assert top.speaker.office and top.source_url.startswith("http://www.publications")
    assert top.debate.title == expected.debate
    assert [q.id for q in top.answers_to] == [expected.question_id]

    fetched = await client.call_tool("get_contribution", {"id": expected.question_id})
    contribution = ContributionPublic.model_validate(fetched.structured_content)
    assert contribution.speaker.name == expected.asker
    assert contribution.speaker.party == expected.asker_party
    assert contribution.text.startswith(expected.question_starts)
    assert [a.id for a in contribution.answers] == [expected.top_id]

    answered = await client.call_tool("answer_question", {"q": expected.question})
    answer = AnswerResponse.model_validate(answered.structured_content)
    assert answer.answerable and answer.speakers
    for position in answer.speakers:
        for c in position.contributions:
            full = await client.call_tool("get_contribution", {"id": c.citation.contribution_id})
            record = ContributionPublic.model_validate(full.structured_content)
            assert c.citation.speaker == record.speaker.name == position.speaker.name
            for quote in c.quotes:
                assert record.text[quote.char_start : quote.char_end] == quote.text
    assert answered.content[0].text  # the same result as JSON text, for text-only clients

    speakers = await client.call_tool("list_speakers", {"q": expected.speaker_q})
    listing = SpeakersResponse.model_validate(speakers.structured_content)
    assert listing.speakers[0].person_id == expected.person_id
    assert listing.speakers[0].party == expected.party

    await _find_speakers(client, expected)

    wrong = await client.call_tool("search_debates", {"q": expected.query, "party": "Labor"})
    assert wrong.is_error and "Labour" in wrong.content[0].text
    missing = await client.call_tool("get_contribution", {"id": "no/such/id"})
    assert missing.is_error and "no/such/id" in missing.content[0].text
    await _exercise_debate(client, expected)


async def _exercise_debate(client: Client, expected: Expected) -> None:
    """get_debate and the debate:// and contribution:// resources: the answer's debate, from
    a citation's debate_id, opened at the answer."""
    found = await client.call_tool("search_debates", {"q": expected.query, "k": 1,
                                                      "house": expected.house})
    debate_id = SearchResponse.model_validate(found.structured_content).results[0].debate.id
    opened = await client.call_tool("get_debate", {"id": debate_id, "around": expected.top_id,
                                                   "limit": 1})
    page = DebateResponse.model_validate(opened.structured_content)
    assert page.debate.title == expected.debate and page.around == expected.top_id
    assert [c.id for c in page.contributions] == [expected.top_id]
    assert page.contributions[0].speaker.name == expected.name
    before = await client.call_tool("get_debate", {"id": debate_id, "limit": page.offset})
    assert expected.question_id in [c.id for c in DebateResponse.model_validate(
        before.structured_content).contributions]

    templates = {t.uri_template for t in (await client.list_resource_templates())
                 .resource_templates}
    assert templates == {"debate://{+id}", "contribution://{+id}"}
    read = await client.read_resource(f"debate://{debate_id}")
    whole = DebateResponse.model_validate_json(read.contents[0].text)
    assert whole.debate == page.debate and whole.contributions[page.offset].id == expected.top_id
    read = await client.read_resource(f"contribution://{expected.top_id}")
    contribution = ContributionPublic.model_validate_json(read.contents[0].text)
    assert contribution.speaker.name == expected.name and contribution.debate.id == debate_id
    unknown = await client.call_tool("get_debate", {"id": "no/such/debate"})
    assert unknown.is_error and "no/such/debate" in unknown.content[0].text
    with pytest.raises(MCPError, match="no/such/debate"):
        await client.read_resource("debate://no/such/debate")


async def _find_speakers(client: Client, expected: Expected) -> None:
    """find_speakers: the answering minister among them, each speaker's count what the
    search tool lists under their filter, each cited by their best match."""
    called = await client.call_tool("find_speakers", {"q": expected.query,
                                                      "house": expected.house})
    assert not called.is_error, called.content
    found = FindSpeakersResponse.model_validate(called.structured_content)
    assert expected.person_id in {s.person_id for s in found.speakers}
    assert found.count == len(found.speakers) and found.filters == {"house": expected.house}
    for speaker in found.speakers:
        assert speaker.citation.person_id == speaker.person_id == speaker.value
        assert speaker.citation.speaker and speaker.citation.house == expected.house
        listed = await client.call_tool("search_debates", {
            "q": expected.query, "house": expected.house, "speaker": speaker.value,
            "sort": "newest", "k": 100})
        page = SearchResponse.model_validate(listed.structured_content)
        assert page.matches == speaker.count == len(page.results)
        assert speaker.citation.contribution_id in {r.id for r in page.results}


def test_in_process(tiny_index):
    async def run() -> None:
        async with Client(build_mcp_server(lambda: tiny_index)) as client:
            await _exercise(client, TINY)

    asyncio.run(run())


@pytest.mark.slow
def test_stdio(small_index_dir, cli_command):
    command, *args = cli_command
    server = StdioServerParameters(
        command=command, args=[*args, "mcp", "--index", str(small_index_dir)],
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )

    async def run() -> None:
        async with Client(server, read_timeout_seconds=300) as client:
            assert client.server_info.name == "debate-search"
            await _exercise(client, SMALL)

    asyncio.run(run())


@pytest.mark.slow
def test_streamable_http(server_url):
    async def run() -> None:
        async with Client(f"{server_url}/mcp", read_timeout_seconds=300) as client:
            await _exercise(client, SMALL)

    asyncio.run(run())


def test_the_app_starts_again_with_its_mcp_endpoint(tiny_index_dir, torch_threads):
    """Each start of the app runs a fresh MCP session manager (the SDK runs one only once)."""
    app = create_app(Settings(index_dir=tiny_index_dir, torch_threads=torch_threads))
    for _ in range(2):
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
