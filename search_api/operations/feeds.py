"""/feeds/search.atom and /feeds/speaker.atom: a search, or a member, followed in a feed
reader as new sittings enter the index.

A feed is a list of contributions, latest sitting first, each with a stable id (its source
id as a tag URI), the day it was said and, for one that entered the index after the folder's
first build, when it did. The Atom document itself is written at the HTTP edge
(interfaces/http/atom.py); this module decides what a feed holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import BaseModel, Field

from indexer.store.records import ContributionRecord
from search_api.engine.browsing import Browsing
from search_api.engine.citations import NO_SPEAKER, describe_speaker
from search_api.engine.ranking import MODES
from search_api.engine.search_index import SearchIndex
from search_api.operations.fields import QueryText, constrained
from search_api.operations.filters import FilteredRequest

# Entries a feed holds: a reader polling every few minutes sees every new match of a day's
# sitting, and a feed stays one quick search (at most MAX_K).
FEED_ENTRIES = 50
SUMMARY_CHARS = 400  # of a speaker feed's contribution, which has no matching passage
# RFC 4151 tag URIs: the authority and the year it was first used, so ids never change.
TAG_AUTHORITY = "tag:debate-search,2009:"
_ID_SAFE = "/:.-_~,;=!$&'()*+@"  # RFC 3986 path characters, kept as the source writes them


class SearchFeedRequest(FilteredRequest):
    """GET /feeds/search.atom: the query and the filters of /search."""

    q: QueryText = Field(description="The question or words to follow.")
    mode: str | None = Field(None, description="hybrid (default: words and meaning), dense "
                                               "(meaning) or keyword.",
                             json_schema_extra=constrained(enum=list(MODES)))


class SpeakerFeedRequest(FilteredRequest):
    """GET /feeds/speaker.atom: a member (as /search's speaker filter takes one), and any
    other filters."""

    speaker: str = Field(description="A person id or a name (substring), as /search's "
                                     "speaker filter takes it; /speakers finds them.")


@dataclass(frozen=True)
class FeedEntry:
    """One contribution of a feed."""

    id: str  # a tag URI of the contribution's source id: the same in every build
    contribution: ContributionRecord
    published: dt.datetime  # the sitting day
    # The sitting day, or when the contribution entered the index if that was after the
    # folder's first build: a reader then shows a sitting indexed late as new.
    updated: dt.datetime
    title: str  # the debate's title and the speaker
    # Who (office; party, constituency), where and when, then the passage that matched or
    # the opening of the contribution.
    summary: str


@dataclass(frozen=True)
class Feed:
    id: str  # a tag URI of the feed's route and parameters
    title: str  # what is followed: the query and its filters
    build_id: str
    published: dt.datetime  # when the build served was published: Last-Modified
    entries: list[FeedEntry]

    @property
    def updated(self) -> dt.datetime:
        """The newest entry's time; the build's publication without entries."""
        return max((e.updated for e in self.entries), default=self.published)


def search_feed(index: SearchIndex, request: SearchFeedRequest, route: str) -> Feed:
    """The query's matches that pass the filters, latest sitting first: /search with
    sort=newest and k=FEED_ENTRIES (ties of a day in relevance order)."""
    results = index.search(request.q, k=FEED_ENTRIES, filters=request.filters(),
                           mode=request.mode, browsing=Browsing(sort="newest"))
    entries = [_entry(index, hit.contribution, hit.snippet.text) for hit in results.hits]
    title = _titled(f"“{results.query}”", results.filters)
    return _feed(index, route, request, title, entries)


def speaker_feed(index: SearchIndex, request: SpeakerFeedRequest, route: str) -> Feed:
    """The member's latest FEED_ENTRIES contributions that pass the filters, latest sitting
    first."""
    records = index.latest(request.filters(), FEED_ENTRIES)
    entries = [_entry(index, record, _opening(record.text)) for record in records]
    named = records[0].speaker.member_name or records[0].speaker.name if records else None
    filters = request.filters().active()
    title = _titled(f"Contributions of {named or request.speaker}", filters)
    return _feed(index, route, request, title, entries)


def contribution_tag(contribution_id: str) -> str:
    """The contribution's id as a tag URI (RFC 4151)."""
    return TAG_AUTHORITY + quote(contribution_id, safe=_ID_SAFE)


def _feed(index: SearchIndex, route: str, request: BaseModel, title: str,
          entries: list[FeedEntry]) -> Feed:
    given = request.model_dump(exclude_none=True, exclude_defaults=True)
    parameters = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(given.items()))
    published = manifest_time(index.manifest.created_at)
    return Feed(TAG_AUTHORITY + route + (f"?{parameters}" if parameters else ""), title,
                index.build_id, published, entries)


def _entry(index: SearchIndex, record: ContributionRecord, passage: str) -> FeedEntry:
    sitting = dt.datetime.fromisoformat(record.date).replace(tzinfo=dt.UTC)
    position = index.manifest.entered_in(record.corpus, record.source_file)
    updated = (sitting if position == 0 else
               max(sitting, manifest_time(index.manifest.builds[position].created_at)))
    title = f"{record.debate.title}: {record.speaker.name or NO_SPEAKER}"
    summary = f"{describe_speaker(record.speaker)}. {record.house}, {record.date}. {passage}"
    return FeedEntry(contribution_tag(record.id), record, sitting, updated, title, summary)


def _titled(subject: str, filters: dict[str, str]) -> str:
    """The feed's title: what it follows, then its filters as `name: value`."""
    shown = "; ".join(f"{name}: {value}" for name, value in filters.items())
    return f"{subject} in debate-search" + (f" ({shown})" if shown else "")


def _opening(text: str) -> str:
    """The first SUMMARY_CHARS of `text`, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def manifest_time(created_at: str) -> dt.datetime:
    """A manifest's time (2026-12-07T10:30:00+0000), aware."""
    return dt.datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%S%z")
