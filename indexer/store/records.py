"""What reading a built index gives back: typed records, never database rows.

These types are the whole vocabulary between the store and its readers (search_api, bench):
a record carries what it needs to be shown or cited, and nothing about how it is stored.
Attribute docstrings double as field descriptions in the HTTP API's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from indexer.contribution import DESCRIBED_BY_DOCSTRINGS, Speaker


@dataclass(frozen=True, slots=True)
class Debate:
    """The debate section a contribution belongs to."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    id: str
    """Id of the heading that opens the section."""
    title: str
    """"Major heading — minor heading" as printed."""
    major_heading: str | None
    minor_heading: str | None
    position: int
    """1-based position of the contribution in its debate."""


@dataclass(frozen=True, slots=True)
class ContributionRecord:
    """A contribution as the index holds it: attribution, place in its debate, text."""

    id: str
    corpus: str
    parliament: str
    kind: str
    house: str
    date: str
    time: str | None
    column: str | None
    speaker: Speaker
    debate: Debate
    source_url: str | None
    source_file: str | None
    previous_id: str | None  # the contribution before this one in the same debate
    next_id: str | None
    tokens_cl100k: int
    tokens_o200k: int
    text: str


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    """Where one embedded chunk lies in its contribution's text."""

    id: int  # the chunk's number in the index (its vector's position)
    ordinal: int  # its place among the contribution's chunks, from 0
    start: int  # text[start:end] of the contribution
    end: int


@dataclass(frozen=True)
class KeywordFeedback:
    """RM3 expansion of a keyword query (keyword.relevance_model): from its best `docs`
    matches, their `terms` most probable words join it, its own keeping `original_weight`."""

    docs: int = 10
    terms: int = 10
    original_weight: float = 0.5


@dataclass(frozen=True, slots=True)
class SpeakerSummary:
    """One speaker of the index: who, and how much they said."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    key: str
    """The person id, or "name:<printed name>" where the person is unknown."""
    person_id: str | None
    name: str
    printed_names: list[str]
    """Every form of the name printed in the record."""
    party: str | None
    constituency: str | None
    peerage: str | None
    houses: list[str]
    contributions: int
    by_kind: dict[str, int]


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Which contributions a search may return; None means any.

    Values are taken as given (blank ones mean no filter); search_api.engine.filters checks
    them against what the index holds before the store applies them.
    """

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    speaker: str | None = None
    """Speaker name (substring) or person id."""
    party: str | None = None
    """Party name or code, e.g. "Labour" or "Lab"."""
    house: str | None = None
    """House or body, e.g. "House of Lords"."""
    kind: str | None = None
    """speech, question, answer, statement, interjection or document."""
    date_from: str | None = None
    """Earliest sitting date, YYYY-MM-DD."""
    date_to: str | None = None
    """Latest sitting date, YYYY-MM-DD."""
    debate: str | None = None
    """Substring of the debate title."""
    parliament: str | None = None
    """e.g. "UK Parliament"."""
    corpus: str | None = None
    """A corpus name, as /stats lists them."""
    since: str | None = None
    """Only what entered the index since then: a date, YYYY-MM-DD (entered on or after it),
    or a build id as /health reports it (entered in a later build)."""

    def __post_init__(self):
        # A blank value (an empty form field) means no filter, not "matches everything".
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, value.strip() or None)

    def active(self) -> dict[str, str]:
        """The filters that are set, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True, slots=True)
class IndexValues:
    """The values an index holds in its filterable fields, sorted."""

    parties: tuple[str, ...]
    party_codes: dict[str, str]  # a code as the source writes it ("Lab") -> the party
    houses: tuple[str, ...]
    kinds: tuple[str, ...]
    parliaments: tuple[str, ...]
    corpora: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many contributions, and how many of them name a speaker and a party."""

    contributions: int
    with_speaker: int
    with_party: int


@dataclass(frozen=True, slots=True)
class IndexCounts:
    """How much the index holds, and how much of it is attributed."""

    contributions: int
    chunks: int
    speakers: int
    import_issues: int
    by_kind: dict[str, Coverage]
    by_house: dict[str, int]
    by_parliament: dict[str, int]
    by_corpus: dict[str, Coverage]
    first_date: str | None
    last_date: str | None
