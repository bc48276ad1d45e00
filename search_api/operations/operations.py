"""The operations themselves: each takes a SearchIndex and a request model and returns a
response model. HTTP routes, CLI commands and MCP tools call these and nothing else."""

from __future__ import annotations

from search_api.answering.answers import answer_question, render_answer
from search_api.answering.context import pack_context
from search_api.answering.exchanges import exchanges
from search_api.engine.browsing import Browsing
from search_api.engine.catalogue import index_stats, list_speakers
from search_api.engine.search_index import SearchIndex
from search_api.operations import answer_schemas, schemas


def search(index: SearchIndex, request: schemas.SearchRequest) -> schemas.SearchResponse:
    """Contributions that answer `q`, best first (or by date, or by debate, with facets),
    each with its Q/A links."""
    browsing = Browsing(request.sort, request.group, request.facets or (), request.per_group)
    results = index.search(request.q, k=request.k, offset=request.offset,
                           filters=request.filters(), mode=request.mode,
                           understand=request.understand, browsing=browsing)
    links = exchanges(index.store, [hit.contribution.id for hit in results.every_hit()])
    return schemas.search_response(results, links)


def contribution(index: SearchIndex, request: schemas.ContributionRequest
                 ) -> schemas.ContributionPublic:
    """One contribution: full text, attribution, neighbours, Q/A links."""
    record, previous, following = index.contribution_in_context(request.id)
    return schemas.contribution_response(record, previous, following,
                                 exchanges(index.store, [record.id])[record.id])


def answer(index: SearchIndex, request: answer_schemas.AnswerRequest
           ) -> answer_schemas.AnswerResponse:
    """Verbatim quotes answering `q`, grouped by speaker, each cited."""
    result = answer_question(index, request.q, request.filters())
    return answer_schemas.answer_response(result, render_answer(result))


def context(index: SearchIndex, request: answer_schemas.ContextRequest
            ) -> answer_schemas.ContextResponse:
    """The best passages for `q`, numbered and cited, within `max_tokens`."""
    packed = pack_context(index, request.q, request.max_tokens, request.encoding,
                          request.filters())
    return answer_schemas.context_response(packed)


def speakers(index: SearchIndex, request: schemas.SpeakersRequest) -> schemas.SpeakersResponse:
    """Speakers whose name or person id matches `q`, busiest first."""
    return schemas.speakers_response(request.q, list_speakers(index, request.q, request.limit))


def stats(index: SearchIndex) -> dict:
    """What the index holds: counts, attribution coverage, model, corpora, build."""
    return index_stats(index)
