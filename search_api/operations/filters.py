"""The filters of /search, /answer, /context and the tools: one base every such request extends.

Its fields are `indexer.store.records.SearchFilters`' (tests/test_app.py keeps them the same),
described by that dataclass's docstrings; the values are checked by engine/checks.py.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from indexer.store.records import SearchFilters
from search_api.descriptions import descriptions
from search_api.engine.checks import KINDS
from search_api.operations.fields import constrained

_DESCRIBED = descriptions(SearchFilters)


class FilteredRequest(BaseModel):
    """A request that takes /search's filters; none is required, a blank one is no filter.

    Pydantic lists a model's fields base by base, from its last base to its first, then its
    own; a request puts the fields clients see before the filters in a base listed after this
    one (`class SearchRequest(FilteredRequest, SearchQuery)`: q, k, offset, the filters, ...).
    """

    model_config = ConfigDict(extra="forbid")

    speaker: str | None = Field(None, description=_DESCRIBED["speaker"])
    party: str | None = Field(None, description=_DESCRIBED["party"])
    house: str | None = Field(None, description=_DESCRIBED["house"])
    kind: str | None = Field(None, description=_DESCRIBED["kind"],
                             json_schema_extra=constrained(enum=list(KINDS)))
    date_from: str | None = Field(None, description=_DESCRIBED["date_from"],
                                  json_schema_extra=constrained(format="date"))
    date_to: str | None = Field(None, description=_DESCRIBED["date_to"],
                                json_schema_extra=constrained(format="date"))
    debate: str | None = Field(None, description=_DESCRIBED["debate"])
    parliament: str | None = Field(None, description=_DESCRIBED["parliament"])
    corpus: str | None = Field(None, description=_DESCRIBED["corpus"])
    since: str | None = Field(None, description=_DESCRIBED["since"])

    def filters(self) -> SearchFilters:
        """The filters as the library takes them."""
        return SearchFilters(
            speaker=self.speaker, party=self.party, house=self.house, kind=self.kind,
            date_from=self.date_from, date_to=self.date_to, debate=self.debate,
            parliament=self.parliament, corpus=self.corpus, since=self.since,
        )
