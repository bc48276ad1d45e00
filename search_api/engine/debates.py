"""A whole debate: its contributions in the record's order, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.store.reader import IndexReader
from indexer.store.records import ContributionRecord
from search_api.errors import InvalidRequest, UnknownContribution, UnknownDebate

DEBATE_PAGE = 50  # contributions a page lists unless asked for another number
MAX_DEBATE_PAGE = 500


@dataclass(frozen=True)
class DebatePage:
    """A page of a debate: the debate's first contribution (whose record names the debate:
    title, house, date, parliament, source), how many it holds, and the page's contributions
    with their first sentences."""

    first: ContributionRecord
    total: int
    offset: int
    limit: int
    around: str | None  # the contribution the page was opened at
    contributions: list[ContributionRecord]
    first_sentences: dict[str, str]  # by contribution id


def read_debate(store: IndexReader, debate_id: str, offset: int = 0,
                limit: int = DEBATE_PAGE, around: str | None = None) -> DebatePage:
    """Contributions `offset`.. of the debate `debate_id`, at most `limit`; with `around`, the
    page (of `limit`) that holds that contribution of the debate instead."""
    if not 1 <= limit <= MAX_DEBATE_PAGE:
        raise InvalidRequest("limit", f"limit must be between 1 and {MAX_DEBATE_PAGE}, "
                                      f"not {limit}")
    if offset < 0:
        raise InvalidRequest("offset", f"offset must be 0 or more, not {offset}")
    numbers = store.debate_numbers(debate_id)
    if not numbers:
        raise UnknownDebate(debate_id)
    around = around.strip() if around and around.strip() else None
    if around is not None:
        ids = store.ids(numbers)
        try:
            at = next(i for i, n in enumerate(numbers) if ids[n] == around)
        except StopIteration:  # no such contribution here: a missing resource, as an id is
            raise UnknownContribution(around, debate_id) from None
        offset = at - at % limit
    chosen = numbers[offset : offset + limit]
    records = store.contributions([numbers[0], *chosen])
    page = [records[n] for n in chosen]
    return DebatePage(records[numbers[0]], len(numbers), offset, limit, around, page,
                      first_sentences(store, page))


def first_sentences(store: IndexReader, records: list[ContributionRecord]) -> dict[str, str]:
    """Each record's first sentence as the index splits it (its whole text if unsplit)."""
    spans = store.sentence_spans(r.id for r in records)
    found = {}
    for r in records:
        start, end = spans[r.id][0] if spans.get(r.id) else (0, len(r.text))
        found[r.id] = r.text[start:end].strip()
    return found
