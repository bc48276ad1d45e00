"""The OpenAPI document of the served index: its filters' values as enumerations.

Which parties, houses, parliaments and corpora a filter accepts depends on the index being
served, so the document lists them once that index is loaded; generated clients then offer
the valid values, and schema fuzzers send them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from indexer.store.records import IndexValues
from search_api.engine.search_index import SearchIndex
from search_api.operations.fields import BLANK


def index_openapi(app: FastAPI, serving: Callable[[], SearchIndex | None]
                  ) -> Callable[[], dict[str, Any]]:
    """`app.openapi` with the filters' values of the index `serving()` returns (none when no
    index is loaded: the document is then the plain one), made again for each new build."""
    plain = app.openapi
    # (build, its document): replaced whole, so a request thread never sees half of one.
    latest: tuple[str | None, dict[str, Any]] | None = None

    def openapi() -> dict[str, Any]:
        nonlocal latest
        index = serving()
        build = index.build_id if index is not None else None
        found = latest
        if found is None or found[0] != build:
            document = copy.deepcopy(plain())
            if index is not None:
                _enumerate(document, _accepted(index.values))
            found = latest = (build, document)
        return found[1]

    return openapi


def _accepted(values: IndexValues) -> dict[str, list[str]]:
    return {
        "party": sorted({*values.parties, *values.party_codes}),
        "house": list(values.houses),
        "parliament": list(values.parliaments),
        "corpus": list(values.corpora),
    }


def _enumerate(document: dict[str, Any], accepted: dict[str, list[str]]) -> None:
    """Set the enumeration of every query parameter and body property named in `accepted`."""
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in accepted:
                    _set_enum(parameter["schema"], accepted[parameter["name"]])
    for model in document.get("components", {}).get("schemas", {}).values():
        for name, schema in model.get("properties", {}).items():
            if name in accepted:
                _set_enum(schema, accepted[name])


def _set_enum(schema: dict[str, Any], values: list[str]) -> None:
    """On the field's string alternative; a blank value (no filter) stays valid."""
    alternatives = schema.get("anyOf") or []
    text = next((s for s in alternatives if s.get("type") == "string"), None)
    if text is None or not values:
        return
    text["enum"] = values
    alternatives.insert(alternatives.index(text) + 1, dict(BLANK))
