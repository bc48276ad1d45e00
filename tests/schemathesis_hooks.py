"""Rules of the API that JSON Schema cannot state, taught to schemathesis's generator
(SCHEMATHESIS_HOOKS=schemathesis_hooks; tests/test_schema_fuzzing.py).

- A speaker filter must match someone in the index: a generated name becomes a real one
  (DEBATE_SEARCH_FUZZ_SPEAKER); in each search of a /search/batch body too.
- date_from must not be after date_to: a reversed pair of real dates is put in order.
- since must be a date or a build of the index: anything else generated becomes a date.
- /context's budget must hold the framing of its question: a valid budget is raised to the
  most that framing can take (tiktoken never makes more tokens than UTF-8 bytes).

The rules change cases meant to be valid only; negative cases are sent as generated.
"""

from __future__ import annotations

import datetime as dt
import os

import schemathesis
from schemathesis.generation import GenerationMode

FRAMING_TOKENS = 200  # the fixed lines of /context's header, with room to spare
MAX_CONTEXT_TOKENS = 100_000


@schemathesis.hook
def map_case(ctx, case):
    """The rules, on cases meant to be valid (negative ones are left as generated)."""
    if case.meta is not None and case.meta.generation.mode is not GenerationMode.POSITIVE:
        return case
    _known(case.query)
    _known(case.body)
    if case.operation.path == "/search/batch" and isinstance(case.body, dict):
        searches = case.body.get("searches")
        for search in searches if isinstance(searches, list) else ():
            _known(search)  # each search of a batch is a /search body
    if case.operation.path == "/context" and isinstance(case.body, dict):
        budget, question = case.body.get("max_tokens"), case.body.get("q")
        whole = isinstance(budget, int | float) and not isinstance(budget, bool)
        if whole and float(budget).is_integer() and isinstance(question, str):  # 1.0 too
            case.body["max_tokens"] = min(MAX_CONTEXT_TOKENS,
                                          max(int(budget), 4 * len(question) + FRAMING_TOKENS))
    return case


def _known(params):
    if not isinstance(params, dict):
        return params
    speaker = params.get("speaker")
    if isinstance(speaker, str) and speaker.strip():
        params["speaker"] = os.environ["DEBATE_SEARCH_FUZZ_SPEAKER"]
    start, end = _date(params.get("date_from")), _date(params.get("date_to"))
    if start and end and start > end:
        params["date_from"], params["date_to"] = params["date_to"], params["date_from"]
    since = params.get("since")
    if isinstance(since, str) and since.strip() and not _date(since.strip()):
        params["since"] = "2009-10-27"
    return params


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
