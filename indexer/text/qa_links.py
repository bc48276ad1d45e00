"""Which contribution answers which question: (question id, answer id) pairs.

Three rules, each over one debate section (contributions sharing a `debate_id`, in record
order), and each a fact the record states or a structure Hansard always uses:

- `written`: a written question (kind question) is answered by the answers (kind answer)
  that follow it in its section, up to the next question asked after an answer. Several
  questions answered together ("I will answer questions 1 and 2 together") all link to the
  shared reply.
- `oral`: a Commons oral question is the opening speech of its section, by a member who
  holds no office, worded as a question ("What ...", "If he will ...", or ending in "?") in
  one short paragraph, and answered by the next speech, by a member holding an office (the
  minister). Questions grouped for one answer are the unbroken run of such openings before
  the reply. The source marks tabled questions with `oral-qnum`, which Contributions do not
  carry; tests/test_answers.py checks this rule against it on four real sitting days.
  Topical questions, Prime Minister's questions after the first, and supplementaries are not
  linked: telling them apart needs the whole exchange, not its opening. Urgent questions and
  the weekly business question are linked (they are questions a minister answers).
- `lords_oral`: a Lords oral question opens its section with the formula "To ask Her
  Majesty's Government ..." and is answered by the next speech, by a member holding an office.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from indexer.contribution import Contribution, Kind

COMMONS = "House of Commons"
LORDS = "House of Lords"
MAX_ORAL_QUESTION_CHARS = 600  # tabled oral questions are one sentence; debate openings are not
_QUESTION_WORDS = frozenset(
    "what if when how whether which why who where will does do is are can could may".split()
)
LORDS_QUESTION_OPENING = "To ask Her Majesty"


def link_questions(contributions: Sequence[Contribution]) -> list[tuple[str, str, str]]:
    """(question id, answer id, rule) for every question-answer pair the rules above find."""
    sections: dict[str, list[Contribution]] = defaultdict(list)
    for c in contributions:
        sections[c.debate_id].append(c)
    pairs: list[tuple[str, str, str]] = []
    for section in sections.values():
        section.sort(key=lambda c: c.position)
        pairs += [(q, a, "written") for q, a in _written_pairs(section)]
        pairs += [(q, a, "oral") for q, a in _oral_pairs(section)]
        pairs += [(q, a, "lords_oral") for q, a in _lords_oral_pairs(section)]
    return pairs


def questions_answered(contributions: Sequence[Contribution]) -> dict[str, str]:
    """The text of the (first) question each answer among `contributions` replies to."""
    text = {c.id: c.text for c in contributions}
    found: dict[str, str] = {}
    for question_id, answer_id, _ in link_questions(contributions):
        found.setdefault(answer_id, text[question_id])
    return found


def _written_pairs(section: Sequence[Contribution]) -> Iterator[tuple[str, str]]:
    waiting: list[str] = []  # questions not yet followed by an answer
    answered: list[str] = []  # questions whose answers are still coming
    for c in section:
        if c.kind is Kind.QUESTION:
            if answered:
                answered = []
            waiting.append(c.id)
        elif c.kind is Kind.ANSWER:
            if waiting:
                answered, waiting = waiting, []
            for question_id in answered:
                yield question_id, c.id


def _spoken(section: Sequence[Contribution]) -> list[Contribution]:
    """The speeches of a section that have a speaker (procedural lines have none)."""
    return [c for c in section if c.kind is Kind.SPEECH and c.speaker.name]


def _oral_pairs(section: Sequence[Contribution]) -> Iterator[tuple[str, str]]:
    speeches = _spoken(section)
    if not speeches or speeches[0].house != COMMONS:
        return
    questions: list[Contribution] = []
    for c in speeches:
        if c.speaker.chair:  # the chair (who has an office) is no reply
            return
        if c.speaker.office:
            break
        if not _looks_like_tabled_question(c):
            return
        questions.append(c)
    else:
        return
    reply = speeches[len(questions)]
    if questions and len({q.speaker.name for q in questions}) == len(questions):
        for q in questions:
            yield q.id, reply.id


def _looks_like_tabled_question(c: Contribution) -> bool:
    text = c.text.strip()
    if len(text) > MAX_ORAL_QUESTION_CHARS or "\n\n" in text:
        return False
    if text.startswith("(Urgent Question)") or text.endswith("?"):
        return True
    first = text.split(maxsplit=1)[0].lower() if text else ""
    return first in _QUESTION_WORDS


def _lords_oral_pairs(section: Sequence[Contribution]) -> Iterator[tuple[str, str]]:
    speeches = _spoken(section)
    if len(speeches) < 2 or speeches[0].house != LORDS:
        return
    question, reply = speeches[0], speeches[1]
    if question.text.startswith(LORDS_QUESTION_OPENING) and reply.speaker.office:
        if not question.speaker.office:
            yield question.id, reply.id
