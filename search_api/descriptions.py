"""Field descriptions of the library's dataclasses, read from their attribute docstrings (the
HTTP API's schema and the CLI's help both show them)."""

from __future__ import annotations

from pydantic import TypeAdapter


def descriptions(cls: type) -> dict[str, str | None]:
    """Each field of dataclass `cls` (in order) and its docstring, or None."""
    properties = TypeAdapter(cls).json_schema().get("properties", {})
    return {name: schema.get("description") for name, schema in properties.items()}
