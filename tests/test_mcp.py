"""The MCP server through the official SDK's own client, over both transports.

stdio: `debate-search mcp --index DIR` as a subprocess; streamable HTTP: /mcp of a real
`debate-search serve`. Each lists the tools, calls all four, and checks the attribution.
"""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters

from search_api.interfaces.http.app import create_app
from search_api.operations.answers import AnswerResponse
from search_api.operations.contributions import ContributionPublic
from search_api.operations.search import SearchResponse
from search_api.operations.speakers import SpeakersResponse
from search_api.settings import Settings

TOOLS = {"search_debates", "get_contribution", "answer_question", "list_speakers"}
HANSON = "uk.org.publicwhip/person/10259"
HANSON_REPLY = "uk.org.publicwhip/debate/2009-10-26b.3.3"
BAKER_QUESTION = "uk.org.publicwhip/debate/2009-10-26b.3.2"


async def _exercise(client: Client) -> None:
    listed = await client.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    for tool in listed.tools:
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema  # results are typed, as structured content

    found = await client.call_tool("search_debates", {"q": "police use of Tasers", "k": 3,
                                                      "house": "House of Commons"})
    assert not found.is_error
    page = SearchResponse.model_validate(found.structured_content)
    top = page.results[0]
    assert (top.id, top.speaker.name, top.speaker.person_id) == (HANSON_REPLY, "David Hanson",
                                                                 HANSON)
    assert (top.speaker.party, top.speaker.constituency) == ("Labour", "Delyn")
    assert top.speaker.office and top.source_url.startswith("http://www.publications")
    assert top.debate.title == "HOME DEPARTMENT — Tasers"
    assert [q.id for q in top.answers_to] == [BAKER_QUESTION]

    fetched = await client.call_tool("get_contribution", {"id": BAKER_QUESTION})
    contribution = ContributionPublic.model_validate(fetched.structured_content)
    assert contribution.speaker.name == "Norman Baker"
    assert contribution.speaker.party == "Liberal Democrat"
    assert contribution.text.startswith("What his policy is on the use of Taser guns")
    assert [a.id for a in contribution.answers] == [HANSON_REPLY]

    answered = await client.call_tool("answer_question",
                                      {"q": "What did the minister say about Tasers?"})
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

    speakers = await client.call_tool("list_speakers", {"q": "Hanson"})
    listing = SpeakersResponse.model_validate(speakers.structured_content)
    assert listing.speakers[0].person_id == HANSON
    assert listing.speakers[0].party == "Labour"

    wrong = await client.call_tool("search_debates", {"q": "Tasers", "party": "Labor"})
    assert wrong.is_error and "Labour" in wrong.content[0].text
    missing = await client.call_tool("get_contribution", {"id": "no/such/id"})
    assert missing.is_error and "no/such/id" in missing.content[0].text


def test_stdio(small_index_dir, cli_command):
    command, *args = cli_command
    server = StdioServerParameters(
        command=command, args=[*args, "mcp", "--index", str(small_index_dir)],
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )

    async def run() -> None:
        async with Client(server, read_timeout_seconds=300) as client:
            assert client.server_info.name == "debate-search"
            await _exercise(client)

    asyncio.run(run())


def test_streamable_http(server_url):
    async def run() -> None:
        async with Client(f"{server_url}/mcp", read_timeout_seconds=300) as client:
            await _exercise(client)

    asyncio.run(run())


def test_the_app_starts_again_with_its_mcp_endpoint(small_index_dir, torch_threads):
    """Each start of the app runs a fresh MCP session manager (the SDK runs one only once)."""
    app = create_app(Settings(index_dir=small_index_dir, torch_threads=torch_threads))
    for _ in range(2):
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
