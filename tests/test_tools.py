"""GET /tools: OpenAI-style function definitions, generated from the tools' own models; the
example calls run over the tiny index (the Lords' written questions and answers of 26 October
2009: conftest.py)."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from mcp import Client
from pydantic import ValidationError

from search_api.interfaces.mcp import build_mcp_server
from search_api.operations.tools import TOOLS, without_titles

EMISSIONS = "carbon dioxide emissions of new cars"
EXAMPLES = {
    "search_debates": [
        {"q": "electric vehicles"},
        {"q": "vehicle emissions", "k": 2, "offset": 1, "party": "Labour",
         "house": "House of Lords", "kind": "answer", "date_from": "2009-10-26",
         "date_to": "2009-10-29", "debate": "Carbon Emissions", "speaker": "Adonis"},
        {"q": "Northern Ireland", "sort": "newest", "group": "debate", "per_group": 2,
         "facets": ["party", "date"]},
    ],
    "get_contribution": [{"id": "uk.org.publicwhip/wrans/2009-10-26a.112.8"}],
    "get_debate": [{"id": "uk.org.publicwhip/wrans/2009-10-26a.112.6"},
                   {"id": "uk.org.publicwhip/wrans/2009-10-26a.112.6", "limit": 1,
                    "around": "uk.org.publicwhip/wrans/2009-10-26a.112.8"}],
    "answer_question": [
        {"q": "What are the average carbon dioxide emissions of new cars?"},
        {"q": "What did Labour members say about railways?", "party": "Labour",
         "house": "House of Lords"},
    ],
    "list_speakers": [{"q": "Adonis"}, {"q": "Baroness", "limit": 5}, {}],
    "find_speakers": [{"q": "vehicles and transport"},
                      {"q": EMISSIONS, "limit": 3, "house": "House of Lords"}],
}
INVALID = {
    "search_debates": [{}, {"q": "Tasers", "k": "ten"}, {"q": "Tasers", "colour": "red"},
                       {"q": ["Tasers"]}, {"q": "Tasers", "facets": "party"},
                       {"q": "Tasers", "per_group": "two"}],
    "get_contribution": [{}, {"id": 3}, {"id": "x", "text": "y"}],
    "get_debate": [{}, {"id": "x", "limit": "all"}, {"id": "x", "page": 2}],
    "answer_question": [{"q": 5}, {"question": "Tasers?"}],
    "list_speakers": [{"limit": "all"}, {"name": "Hanson"}],
    "find_speakers": [{}, {"q": "Tasers", "limit": "all"}, {"q": "Tasers", "k": 3}],
}


@pytest.fixture(scope="module")
def definitions(tiny_client) -> dict[str, dict]:
    response = tiny_client.get("/tools")
    assert response.status_code == 200
    tools = response.json()["tools"]
    assert all(t["type"] == "function" and set(t["function"]) == {"name", "description",
                                                                  "parameters"} for t in tools)
    return {t["function"]["name"]: t["function"] for t in tools}


def test_the_four_tools_are_defined(definitions):
    assert set(definitions) == set(EXAMPLES) == {t.name for t in TOOLS}
    for definition in definitions.values():
        jsonschema.Draft202012Validator.check_schema(definition["parameters"])
        assert definition["parameters"]["type"] == "object"
        assert len(definition["description"]) > 80
        for field in definition["parameters"]["properties"].values():
            assert field.get("description") or field.get("$ref"), field


def test_example_calls_validate(definitions):
    for name, calls in EXAMPLES.items():
        for call in calls:
            jsonschema.validate(call, definitions[name]["parameters"])
        for call in INVALID[name]:
            with pytest.raises(jsonschema.ValidationError):
                jsonschema.validate(call, definitions[name]["parameters"])


def test_the_models_agree_with_the_definitions(definitions):
    """What the schema accepts the request model accepts, and what it rejects, it rejects."""
    models = {t.name: t.input_model for t in TOOLS}
    for name, calls in EXAMPLES.items():
        for call in calls:
            models[name].model_validate(call)
        for call in INVALID[name]:
            with pytest.raises(ValidationError):
                models[name].model_validate(call)


def test_mcp_input_schemas_are_the_same_definitions(definitions, tiny_index):
    server = build_mcp_server(lambda: tiny_index)
    listed = asyncio.run(server.list_tools())
    assert {t.name for t in listed} == set(definitions)
    for tool in listed:
        mcp_schema = without_titles(tool.input_schema)
        ours = definitions[tool.name]["parameters"]
        assert mcp_schema["properties"] == ours["properties"]
        assert set(mcp_schema.get("required", [])) == set(ours.get("required", []))
        assert tool.description == definitions[tool.name]["description"]


def test_example_calls_run_with_attribution(tiny_index):
    """Each valid example, called through the MCP server in-process, returns attributed data."""
    server = build_mcp_server(lambda: tiny_index)

    async def run() -> None:
        async with Client(server) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            for name, calls in EXAMPLES.items():
                for call in calls:
                    result = await client.call_tool(name, call)
                    assert not result.is_error, (name, call, result.content)
                    jsonschema.validate(result.structured_content, listed[name].output_schema)
                    _check_attribution(name, result.structured_content)

    asyncio.run(run())


def _check_attribution(name: str, data: dict) -> None:
    if name == "search_debates":
        grouped = [r for group in data["groups"] or () for r in group["results"]]
        for r in data["results"] + grouped:
            assert r["id"] and r["speaker"]["name"] and r["house"] and r["date"]
            assert r["debate"]["title"] and r["source_url"]
    elif name == "get_contribution":
        assert data["speaker"]["name"] == "Lord Adonis"
        assert data["speaker"]["office"] and data["speaker"]["party"] == "Labour"
    elif name == "get_debate":
        assert data["debate"]["title"] and data["debate"]["house"] == "House of Lords"
        assert [c["speaker"]["name"] for c in data["contributions"]][-1] == "Lord Adonis"
    elif name == "answer_question":
        for position in data["speakers"]:
            for c in position["contributions"]:
                cite = c["citation"]
                assert cite["speaker"] and cite["house"] and cite["date"]
                assert cite["debate_title"] and cite["contribution_id"] and cite["source_url"]
                assert cite["debate_id"]
    elif name == "list_speakers":
        assert all(s["name"] and s["key"] for s in data["speakers"])
    elif name == "find_speakers":
        assert data["speakers"] and data["count"] == len(data["speakers"])
        for s in data["speakers"]:
            cite = s["citation"]
            assert s["count"] >= 1 and cite["person_id"] == s["person_id"] == s["value"]
            assert cite["speaker"] and cite["contribution_id"] and cite["source_url"]


def test_limits_are_checked_by_the_library(tiny_index):
    """A value out of range is a tool error with the library's message, as over HTTP and the
    CLI; a value of the wrong type is refused by the arguments' schema."""
    server = build_mcp_server(lambda: tiny_index)
    refused = [
        ("search_debates", {"q": "Tasers", "k": 0}, "k must be between 1 and 100, not 0"),
        ("search_debates", {"q": "Tasers", "per_group": 11},
         "per_group must be between 1 and 10, not 11"),
        ("list_speakers", {"limit": 0}, "limit must be between 1 and 100, not 0"),
        ("find_speakers", {"q": "Tasers", "limit": 21}, "limit must be between 1 and 20, not 21"),
        ("search_debates", {"q": "Tasers", "k": "ten"}, "k\n  Input should be a valid integer"),
    ]

    async def run() -> None:
        async with Client(server) as client:
            for name, arguments, message in refused:
                result = await client.call_tool(name, arguments)
                assert result.is_error and message in result.content[0].text, result.content

    asyncio.run(run())


def test_the_search_tool_browses(tiny_index):
    """Sorting, grouping and facets through the MCP tool, and its errors told to the model."""
    server = build_mcp_server(lambda: tiny_index)

    async def run() -> None:
        async with Client(server) as client:
            found = await client.call_tool("search_debates", {
                "q": EMISSIONS, "group": "debate", "facets": ["house"]})
            page = found.structured_content
            assert page["groups"][0]["debate"]["title"] == "Vehicles: Carbon Emissions"
            assert page["facets"]["house"] == [{"value": "House of Lords",
                                                "count": page["total"]}]
            wrong = await client.call_tool("search_debates", {"q": "Tasers", "sort": "best"})
            assert wrong.is_error
            assert "unknown sort 'best'; known: relevance, newest, oldest" in wrong.content[0].text

    asyncio.run(run())
