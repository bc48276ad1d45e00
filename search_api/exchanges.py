"""Questions and their answers, as the index links them (indexer/qa_links.py builds the links)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from search_api.records import ContributionRecord, record_from_row


@dataclass
class Exchange:
    """The contributions linked to one contribution, in record order."""

    answers: list[ContributionRecord] = field(default_factory=list)  # replies to this question
    answers_to: list[ContributionRecord] = field(default_factory=list)  # questions it answers


def exchanges(index, contribution_ids: Iterable[str]) -> dict[str, Exchange]:
    """For each id, the answers given to it and the questions it answers (both may be empty).

    `index` is a SearchIndex (anything with a per-thread `db` over the index's SQLite).
    """
    ids = list(dict.fromkeys(contribution_ids))
    result = {cid: Exchange() for cid in ids}
    if not ids:
        return result
    marks = ", ".join("?" * len(ids))
    links = index.db.execute(
        f"SELECT question_id, answer_id FROM qa_links WHERE question_id IN ({marks}) "
        f"OR answer_id IN ({marks})", [*ids, *ids]
    ).fetchall()
    wanted = {cid for link in links for cid in link}
    records = _records(index, wanted)
    for question_id, answer_id in links:
        if question_id in result and answer_id in records:
            result[question_id].answers.append(records[answer_id])
        if answer_id in result and question_id in records:
            result[answer_id].answers_to.append(records[question_id])
    for exchange in result.values():
        exchange.answers.sort(key=_record_order)
        exchange.answers_to.sort(key=_record_order)
    return result


def _records(index, ids: set[str]) -> dict[str, ContributionRecord]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = index.db.execute(f"SELECT * FROM contributions WHERE id IN ({marks})", list(ids))
    return {row["id"]: record_from_row(row) for row in rows}


def _record_order(record: ContributionRecord) -> tuple:
    return record.date, record.debate.id, record.debate.position
