"""/feeds/search.atom and /feeds/speaker.atom: Atom feeds, answered 304 Not Modified while
the build served is the one a reader last saw.

A feed changes only when a new build is published, so its validators come from the build:
the ETag hashes the build's id with the request's address (its links are absolute) and
Last-Modified is the build's publication time. A reader polling every few minutes then costs
one comparison until the next build, and no search.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from search_api.engine.search_index import SearchIndex
from search_api.interfaces.http.atom import ATOM_TYPE, atom_document
from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.feeds import (
    FEED_ENTRIES,
    Feed,
    SearchFeedRequest,
    SpeakerFeedRequest,
    manifest_time,
    search_feed,
    speaker_feed,
)

router = APIRouter(tags=["feeds"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM_TYPE: {"schema": {"type": "string"}}},
          "description": "An Atom 1.0 feed (RFC 4287), with ETag and Last-Modified."},
    304: {"description": "Not Modified: the ETag given in If-None-Match (or the time in "
                         "If-Modified-Since) is still the feed's; no body."},
}


@router.get("/feeds/search.atom", response_class=Response, responses=_RESPONSES,
            description=f"A search followed as new sittings enter the index: its matches "
                        f"that pass the filters (/search with sort=newest, at most "
                        f"{FEED_ENTRIES}), latest sitting first.")
def search_atom(request: Request, index: IndexDep,
                params: Annotated[SearchFeedRequest, Query()]) -> Response:
    return _conditional(request, index, lambda: search_feed(index, params, "feeds/search.atom"))


@router.get("/feeds/speaker.atom", response_class=Response, responses=_RESPONSES,
            description=f"A member's latest contributions that pass the filters, latest "
                        f"sitting first (at most {FEED_ENTRIES}).")
def speaker_atom(request: Request, index: IndexDep,
                 params: Annotated[SpeakerFeedRequest, Query()]) -> Response:
    return _conditional(request, index,
                        lambda: speaker_feed(index, params, "feeds/speaker.atom"))


def _conditional(request: Request, index: SearchIndex, make: Callable[[], Feed]) -> Response:
    """304 if the reader holds this build's feed, else the feed (RFC 9110, 13.2.2: an
    If-None-Match, when sent, decides alone)."""
    etag = '"' + hashlib.sha256(f"{index.build_id}\n{request.url}".encode()).hexdigest()[:32] \
        + '"'
    published = manifest_time(index.manifest.created_at)
    headers = {"ETag": etag, "Last-Modified": format_datetime(published, usegmt=True),
               "Cache-Control": "no-cache"}  # may be stored, but asked about each time
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")} \
                or if_none_match.strip() == "*":
            return Response(status_code=304, headers=headers)
    elif _not_modified_since(request.headers.get("if-modified-since"), published):
        return Response(status_code=304, headers=headers)
    base = str(request.base_url)
    return Response(atom_document(make(), base, str(request.url)), media_type=ATOM_TYPE,
                    headers=headers)


def _not_modified_since(value: str | None, published: dt.datetime) -> bool:
    if not value:
        return False
    try:
        since = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored (RFC 9110, 13.1.3)
    # HTTP dates count whole seconds.
    return since.tzinfo is not None and published.replace(microsecond=0) <= since
