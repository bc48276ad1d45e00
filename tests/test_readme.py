"""The README's example is what the real server returns, and the README stays an introduction.

The example is the first ```sh block after the heading "## Example" (one curl command) and the
first ```json block after that (its output). The slow test sends the same request (path and
query string) to the session's real server over the small real index and compares the shape
of its JSON with the README's:

- objects: exactly the same keys; a key missing on either side fails, naming its path
  (e.g. `results[0].snippet.sentence`);
- lists: every element the server returns, and every further element the README shows, has
  the shape of the README list's first element (an empty list in the README says nothing
  about its elements);
- everything else: the same JSON type (string, integer, number with a fraction, boolean,
  null), except that where the server's OpenAPI document declares a field nullable
  (`anyOf` with `null`), null on either side stands for any value, since whether such a field
  is set depends on the index and the query.
"""

import json
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
MAX_LINES = 250
EXAMPLE_HEADING = "## Example"
EXAMPLE_HOST = "127.0.0.1:8000"


def _example() -> tuple[str, str]:
    """The README example's curl command and JSON output, as written."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert EXAMPLE_HEADING in lines, f"README.md has no {EXAMPLE_HEADING!r} heading"
    rest = lines[lines.index(EXAMPLE_HEADING) + 1:]

    def block(language: str) -> str:
        nonlocal rest
        opening = f"```{language}"
        assert opening in rest, f"no {opening} block after {EXAMPLE_HEADING!r} in README.md"
        start = rest.index(opening) + 1
        end = rest.index("```", start)
        text, rest = "\n".join(rest[start:end]), rest[end + 1:]
        return text

    return block("sh"), block("json")


def _request_target(command: str) -> str:
    """The path and query string the README's curl asks for; fails unless it is a plain GET
    on the server `make serve` starts."""
    words = shlex.split(command)
    assert words[0] == "curl", f"the example is not a curl command: {command!r}"
    urls = [word for word in words[1:] if not word.startswith("-")]
    options = [word for word in words[1:] if word.startswith("-")]
    assert len(urls) == 1, f"the example's curl should name one URL: {command!r}"
    assert set(options) <= {"-s"}, f"the example's curl should be a plain GET (-s only): {options}"
    url = urlsplit(urls[0])
    assert (url.scheme, url.netloc) == ("http", EXAMPLE_HOST), \
        f"the example should ask http://{EXAMPLE_HOST}, not {url.scheme}://{url.netloc}"
    return f"{url.path}?{url.query}" if url.query else url.path


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class Schema:
    """An OpenAPI document, walked along a JSON path to tell which fields may be null."""

    def __init__(self, openapi: dict):
        self.components = openapi["components"]["schemas"]

    def alternatives(self, node: dict) -> list[dict]:
        """The schemas `node` allows, with references resolved and anyOf/oneOf flattened."""
        while "$ref" in node:
            node = self.components[node["$ref"].rsplit("/", 1)[1]]
        choices = node.get("anyOf") or node.get("oneOf")
        if not choices:
            return [node]
        return [alternative for choice in choices for alternative in self.alternatives(choice)]

    def nullable(self, node: dict) -> bool:
        return any(alternative.get("type") == "null" for alternative in self.alternatives(node))

    def child(self, node: dict, key: str | int) -> dict:
        """The schema of `node`'s key or list element; {} (nothing nullable) if unknown."""
        for alternative in self.alternatives(node):
            if isinstance(key, int) and "items" in alternative:
                return alternative["items"]
            if isinstance(key, str):
                if key in alternative.get("properties", {}):
                    return alternative["properties"][key]
                if isinstance(alternative.get("additionalProperties"), dict):
                    return alternative["additionalProperties"]
        return {}


SERVER = ("README.md", "the server")
README_ITSELF = ("README.md's first element", "README.md")


def shape_differences(shown, served, schema: Schema, node: dict, path: str = "",
                      sides: tuple[str, str] = SERVER) -> list[str]:
    """Where `served` differs in shape from `shown` (the README's JSON), each named by path."""
    where, (left, right) = path or "the response", sides
    if shown is None or served is None:
        if shown is served or schema.nullable(node):
            return []
    if _json_type(shown) != _json_type(served):
        return [f"{where}: {left} shows {_json_type(shown)}, {right} has {_json_type(served)}"]
    if isinstance(shown, dict):
        prefix = f"{path}." if path else ""
        problems = [f"{prefix}{key}: {right} has it, {left} does not"
                    for key in served if key not in shown]
        problems += [f"{prefix}{key}: {left} has it, {right} does not"
                     for key in shown if key not in served]
        for key in shown.keys() & served.keys():
            problems += shape_differences(shown[key], served[key], schema,
                                          schema.child(node, key), f"{prefix}{key}", sides)
        return problems
    if isinstance(shown, list) and shown:
        model, element = shown[0], schema.child(node, 0)
        problems = []
        for index, value in enumerate(served):
            problems += shape_differences(model, value, schema, element, f"{path}[{index}]",
                                          sides)
        for index, value in enumerate(shown[1:], start=1):
            problems += shape_differences(model, value, schema, element, f"{path}[{index}]",
                                          README_ITSELF)
        return problems
    return []


def test_readme_is_an_introduction():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {MAX_LINES}): move reference, measurements "
        "and transcripts into docs/")


def test_readme_example_is_well_formed():
    command, output = _example()
    assert _request_target(command).startswith("/")
    assert isinstance(json.loads(output), dict)


@pytest.mark.slow
def test_readme_example_is_what_the_server_returns(server_url):
    command, output = _example()
    target = _request_target(command)
    shown = json.loads(output)

    response = httpx.get(f"{server_url}{target}", timeout=60)
    assert response.status_code == 200, response.text
    openapi = httpx.get(f"{server_url}/openapi.json", timeout=30).json()
    path = urlsplit(target).path
    schema = Schema(openapi)
    node = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]

    problems = shape_differences(shown, response.json(), schema, node)
    assert not problems, (f"README.md's example ({command}) is stale:\n  " + "\n  ".join(problems))
