"""Questions and their answers, as the index links them (indexer/qa_links.py builds the links):
every search result and every contribution comes with its exchange."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.store.reader import IndexReader
from indexer.store.records import ContributionRecord


@dataclass
class Exchange:
    """The contributions linked to one contribution, in record order."""

    answers: list[ContributionRecord] = field(default_factory=list)  # replies to this question
    answers_to: list[ContributionRecord] = field(default_factory=list)  # questions it answers


def exchanges(store: IndexReader, contribution_ids: Iterable[str]) -> dict[str, Exchange]:
    """For each id, the answers given to it and the questions it answers (both may be empty)."""
    ids = list(dict.fromkeys(contribution_ids))
    result = {cid: Exchange() for cid in ids}
    links = store.question_answer_links(ids)
    records = store.contributions_by_id({cid for link in links for cid in link})
    for question_id, answer_id in links:
        if question_id in result and answer_id in records:
            result[question_id].answers.append(records[answer_id])
        if answer_id in result and question_id in records:
            result[answer_id].answers_to.append(records[question_id])
    for exchange in result.values():
        exchange.answers.sort(key=_record_order)
        exchange.answers_to.sort(key=_record_order)
    return result


def _record_order(record: ContributionRecord) -> tuple:
    return record.date, record.debate.id, record.debate.position
