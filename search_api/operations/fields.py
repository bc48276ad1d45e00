"""The fields request and response models are made of, from the library's own definitions.

Filters come from SearchFilters, descriptions from the dataclasses' docstrings, and limits
from the library's checks: the schema states them, so generated clients send valid requests,
and the library's checks give the error messages, the same for every interface.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from indexer.store.records import SearchFilters
from search_api.descriptions import descriptions
from search_api.engine.checks import KINDS, MAX_QUERY_CHARS

# The characters str.strip() removes (str.isspace), as a regular expression's character class
# (tests/test_app.py checks it). The library strips the text it is given and reads a blank
# filter as no filter.
SPACE = r"\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK = {"type": "string", "pattern": f"^[{SPACE}]*$"}
NOT_BLANK = f"[^{SPACE}]"


def constrained(**constraints: Any) -> Callable[[dict], None]:
    """JSON Schema constraints for a field, placed on its value type; an optional field may
    also be blank (no filter) or null."""

    def add(schema: dict) -> None:
        alternatives = schema.get("anyOf")
        if alternatives is None:
            schema.update(constraints)
            return
        text = next(s for s in alternatives if s.get("type") == "string")
        text.update(constraints)
        if constraints:
            alternatives.insert(alternatives.index(text) + 1, BLANK)

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


class FilteredRequest(BaseModel):
    """A request that takes /search's filters (its fields come from `filter_fields`)."""

    model_config = ConfigDict(extra="forbid")

    def filters(self) -> SearchFilters:
        return SearchFilters(**{f.name: getattr(self, f.name) for f in fields(SearchFilters)})


# Schema constraints of filter values the library checks the same way for every interface.
_FILTER_CONSTRAINTS = {
    "kind": {"enum": list(KINDS)},
    "date_from": {"format": "date"},
    "date_to": {"format": "date"},
}


def fields_of(cls: type, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Pydantic field definitions of dataclass `cls`'s fields (all, or those in `names`):
    its types, and its attribute docstrings as descriptions."""
    described = descriptions(cls)
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], Field(description=described[f.name]))
            for f in fields(cls) if names is None or f.name in names}


def filter_fields() -> dict[str, Any]:
    """SearchFilters' fields as optional request fields, with the constraints their values
    must meet."""
    return {
        name: (hint, Field(None, description=info.description, json_schema_extra=constrained(
            **_FILTER_CONSTRAINTS.get(name, {}))))
        for name, (hint, info) in fields_of(SearchFilters).items()
    }


def names_field(names: Iterable[str], description: str) -> Any:
    """An optional list of some of `names` (a blank item: none), as a query string may send
    it: several in one item, comma-separated, are read by the library."""

    def add(schema: dict) -> None:
        array = next(s for s in schema["anyOf"] if s.get("type") == "array")
        array["items"] = {"anyOf": [{"type": "string", "enum": list(names)}, BLANK]}

    return (list[str] | None, Field(None, description=description, json_schema_extra=add))


def query_field(description: str) -> Any:
    """The `q` of a request: some words, at most MAX_QUERY_CHARS characters."""
    return (str, Field(description=description, json_schema_extra=constrained(
        minLength=1, maxLength=MAX_QUERY_CHARS, pattern=NOT_BLANK)))
