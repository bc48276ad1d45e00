"""The field types request models are written with, and the schema constraints they state.

A request's limits are stated in its schema, so generated clients send valid requests, and
checked by the library (engine/checks.py, answering/context.py), so the messages are the same
for every interface: a constraint here is JSON Schema only (`constrained`), never a pydantic
check. Pydantic checks types alone: a number is a number, a boolean a boolean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, JsonValue
from pydantic.config import JsonDict

from search_api.engine.checks import MAX_QUERY_CHARS

# The characters str.strip() removes (str.isspace), as a regular expression's character class
# (tests/test_app.py checks it). The library strips the text it is given and reads a blank
# filter as no filter.
SPACE = r"\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK: JsonDict = {"type": "string", "pattern": f"^[{SPACE}]*$"}
NOT_BLANK = f"[^{SPACE}]"


def constrained(**constraints: Any) -> Callable[[JsonDict], None]:
    """JSON Schema constraints for a field, placed on its value type; an optional field may
    also be blank (no filter) or null."""

    def add(schema: JsonDict) -> None:
        alternatives = schema.get("anyOf")
        if not isinstance(alternatives, list):
            schema.update(constraints)
            return
        text = next(s for s in alternatives if isinstance(s, dict) and s.get("type") == "string")
        text.update(constraints)
        if constraints:
            alternatives.insert(alternatives.index(text) + 1, BLANK)

    return add


def some_of(names: Iterable[str]) -> Callable[[JsonDict], None]:
    """JSON Schema of an optional list of some of `names` (a blank item: none), as a query
    string may send it: several in one item, comma-separated, are read by the library."""
    known: list[JsonValue] = list(names)

    def add(schema: JsonDict) -> None:
        alternatives = schema["anyOf"]
        assert isinstance(alternatives, list)
        array = next(s for s in alternatives if isinstance(s, dict) and s.get("type") == "array")
        array["items"] = {"anyOf": [{"type": "string", "enum": known}, BLANK]}

    return add


def _true_or_false(value: Any) -> Any:
    """A boolean as JSON writes it, or as a query string does ("true"/"false"): 0, 1 or "yes"
    are not booleans in the API's schema, so they are refused rather than guessed."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _not_a_boolean(value: Any) -> Any:
    """JSON's true and false are not numbers in the API's schema (Python counts them as 1, 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


TrueOrFalse = Annotated[bool, BeforeValidator(_true_or_false)]
WholeNumber = Annotated[int, BeforeValidator(_not_a_boolean)]
# The `q` of a request: some words, at most MAX_QUERY_CHARS characters (its description is
# the request's own).
QueryText = Annotated[str, Field(json_schema_extra=constrained(
    minLength=1, maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK))]
