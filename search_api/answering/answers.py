"""Quoted, attributed answers: the verbatim sentences that answer, by speaker.

An answer never paraphrases. It ranks the contributions for the question as /search does
(hybrid: meaning and words, the question taken whole), adds the answers given to a
question it found and the question an answer replies to, and then chooses the sentences
worth quoting across all of them, not a fixed number from each:

- every sentence of those contributions (those within `RANK_MARGIN` of the best) is a
  candidate, except those too short to say much alone and courtesies or procedure ("I
  thank my hon. Friend ...", "I beg to move", "Order.");
- a sentence is scored by its similarity to the question, embedded after its
  contribution's context line (debate title, speaker, office, party: as chunks are), so
  that "I am sorry for the mistakes" in the Defence Secretary's Nimrod statement answers
  "did the Defence Secretary apologise";
- plus its contribution's standing in the ranking (the fused score, whose keyword half is
  the evidence of the question's own words), plus a little where the question asks how
  many, how much or when and the sentence holds a number; minus where it is itself a
  question or comes from one, since the reply is what answers;
- the best sentence is quoted, and the next only if it scores within `QUOTE_FLOOR` of it;
  a sentence already quoted word for word from another contribution is not quoted again.

Each weight was measured on judged questions (`python -m bench.quotes`; docs/quality.md).
Quotes keep their exact character offsets in the contribution. Sentence vectors are the
index's model's, embedded once a machine, when an answer first needs them, in one call for
all of an answer's (engine/sentence_vectors.py). Quotes are grouped by speaker, so where
several members spoke their positions stand side by side.

When the best contribution is not close enough (`ANSWERABLE_THRESHOLD`, measured by
bench/calibration.py: the plain cosine similarity of the best chunk, a dense search of its
own), the answer says that nothing in the index answers the question, and quotes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord, SearchFilters
from indexer.text.chunking import context_line_of
from search_api.engine.citations import citation_line, describe_speaker, speaker_key
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchHit, SearchIndex, SearchResults

# Cosine similarity of the question to the best chunk below which the index "has no answer".
# Calibrated on questions as people put them (`python -m bench.quotes`, bench/quotes.py): on
# the default corpus, 62 judged answerable and 31 judged unanswerable (later events, absent
# topics, near misses). Best balanced accuracy on all: 0.56; fitted on either half and
# reported on the other: 0.60 / 0.56, accuracy 0.83 / 0.89. At 0.56: answers 61 of the 62
# and declines 23 of the 31 (the rest are near misses scoring up to 0.68, which no threshold
# separates), and still answers 98% of 300 written questions of the index (their own record
# excluded). The earlier 0.45, fitted against SciFact claims (far from any debate), answered
# 21 of the 31 unanswerable questions.
ANSWERABLE_THRESHOLD = 0.56
SEARCH_K = 10  # contributions ranked, each with its linked questions and answers
# Contributions further below the best fused score are not read for quotes: none of their
# sentences was ever chosen on the judged questions, and they are half the sentences to embed.
RANK_MARGIN = 0.2
MAX_LINKED = 2  # answers (or questions) added per retrieved question (or answer)
MAX_QUOTES = 2  # fewer, better quotes: the judged questions' precision fell with a third
QUOTE_FLOOR = 0.2  # a further quote scores within this of the best one
RANK_WEIGHT = 0.5  # x (the contribution's fused score - the best contribution's)
NUMBER_BONUS = 0.1  # a sentence with a number, where the question asks how many/much/when
QUESTION_PENALTY = 0.2  # a sentence that asks, and again one from a contribution that asks
MAX_ANSWER_CHARS = 1500  # all quotes together
MIN_QUOTE_CHARS = 40  # shorter sentences ("My Lords,", "How is it monitored?") say little alone

MATCH, ANSWER, QUESTION = "match", "answer", "question"
NOTHING_QUOTABLE = ("The passages nearest this question only thank, greet or move: there is "
                    "nothing to quote. Try other words, or /search for the nearest passages.")
# Contributions to quote from: ranked as /search ranks them, the question taken whole (its
# framing, "did the minister say", helps tell a reply from other speeches).
ANSWER_RETRIEVAL = RetrievalConfig(strip_framing=False)
# The answerable decision: dense retrieval of the question as asked, whose scores are the
# cosine similarities the threshold was calibrated on.
DECISION_RETRIEVAL = RetrievalConfig(mode="dense", strip_framing=False)
# Sentences that only thank, greet or move: never quoted (they open many replies).
_COURTESY = re.compile(
    r"^\s*(?:(?:I|We) (?:thank|am (?:very |most |extremely )?grateful|welcome|congratulate|"
    r"beg to move|pay tribute)|(?:May|Let|Can) I (?:thank|congratulate|also thank|"
    r"begin by thanking)|Order[.!]|Thank you|I should (?:like to )?(?:thank|congratulate)|"
    r"I (?:would|wish to|want to) (?:like to )?(?:thank|congratulate|pay tribute))",
    re.IGNORECASE)
_ASKS_NUMBER = re.compile(r"\bhow (?:much|many|long|often)\b|"
                          r"\bwhat (?:proportion|percentage|share|number)\b|\bwhen\b",
                          re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Quote:
    """A verbatim sentence: `contribution.text[start:end] == text`."""

    text: str
    start: int
    end: int
    score: float  # cosine similarity to the question, the sentence embedded in its context


@dataclass
class QuotedContribution:
    contribution: ContributionRecord
    role: str  # match: retrieved; answer / question: linked to a retrieved contribution
    score: float | None  # retrieval score; None where linked, not retrieved
    marker: int = 0  # citation number in the answer, 1-based
    quotes: list[Quote] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)  # quoted contributions replying to it
    answers_to: list[str] = field(default_factory=list)  # quoted questions it replies to


@dataclass
class SpeakerPosition:
    key: str  # person id, "name:<printed name>" where the person is unknown, or
    # "unrecorded:<contribution id>" where the record names no speaker
    speaker: Speaker
    contributions: list[QuotedContribution]


@dataclass
class Answer:
    question: str
    answerable: bool
    top_score: float | None  # the best retrieval score; None when nothing passed the filters
    threshold: float
    filters: dict[str, str]
    speakers: list[SpeakerPosition] = field(default_factory=list)
    message: str | None = None  # why nothing is quoted

    @property
    def contributions(self) -> list[QuotedContribution]:
        """Every quoted contribution, in citation order."""
        found = [c for s in self.speakers for c in s.contributions]
        return sorted(found, key=lambda c: c.marker)


def answer_question(
    index: SearchIndex,
    question: str,
    filters: SearchFilters | None = None,
    *,
    threshold: float = ANSWERABLE_THRESHOLD,
    max_quotes: int = MAX_QUOTES,
    max_chars: int = MAX_ANSWER_CHARS,
) -> Answer:
    """Verbatim, attributed sentences answering `question` from a SearchIndex, by speaker."""
    results, top = retrieve(index, question, filters, SEARCH_K)
    answer = Answer(results.query, False, top, threshold, results.filters)
    if top is None or top < threshold:
        answer.message = _no_answer_message(top, threshold, bool(results.filters))
        return answer
    answer.answerable = True
    best = results.hits[0].score
    candidates = _with_linked([h for h in results.hits if h.score >= best - RANK_MARGIN])
    passages = _quote(index, results.query, candidates, max_quotes, max_chars)
    if not passages:  # what was found only thanks, greets or moves
        answer.answerable = False
        answer.message = NOTHING_QUOTABLE
        return answer
    _link(index, passages)
    for marker, passage in enumerate(passages, start=1):
        passage.marker = marker
    answer.speakers = _by_speaker(passages)
    return answer


def retrieve(index: SearchIndex, question: str, filters: SearchFilters | None, k: int,
             config: RetrievalConfig = ANSWER_RETRIEVAL) -> tuple[SearchResults, float | None]:
    """(results, top score): the contributions to quote from, and the decision's score.

    The results are ranked by `config` (answers: as /search ranks them), reading the query
    (a member or party it names filters; asking what the Government said favours
    office-holders). The score the answerable decision compares with the threshold is the
    plain cosine similarity of the best chunk under the same filters, without that favour,
    as calibrated (DECISION_RETRIEVAL): the results' own best score where they are that
    search, else a search of its own.
    """
    results = index.search(question, k=k, filters=filters, config=config)
    if not results.hits:
        return results, None
    if config == DECISION_RETRIEVAL and not (results.understood
                                             and results.understood.government):
        return results, results.hits[0].score
    plain = index.search(results.query, k=1, filters=SearchFilters(**results.filters),
                         config=DECISION_RETRIEVAL, understand=False)
    return results, plain.hits[0].score if plain.hits else None


def _no_answer_message(top: float | None, threshold: float, filtered: bool) -> str:
    if top is None:
        return "No contribution passes these filters, so nothing can answer the question."
    where = "the contributions that pass these filters" if filtered else "the index"
    return (f"Nothing in {where} answers this question: the closest passage scores {top:.2f}, "
            f"below the {threshold:.2f} an answer needs. Try other words, or /search for the "
            "nearest passages.")


@dataclass(frozen=True)
class _Candidate:
    passage: QuotedContribution
    rank_score: float  # the fused score of the hit that brought it (its own, if retrieved)
    asks: bool  # it is a question: a retrieved one that got answers, or a linked one


def _with_linked(retrieved: Sequence[SearchHit]) -> list[_Candidate]:
    """Retrieved contributions, each followed by the answers it got or the question it answers."""
    found: list[_Candidate] = []
    seen: set[str] = set()
    for hit in retrieved:
        record = hit.contribution
        if record.id in seen:
            continue
        seen.add(record.id)
        found.append(_Candidate(QuotedContribution(record, MATCH, hit.score), hit.score,
                                asks=bool(hit.links.answers)))
        linked = ([(r, ANSWER) for r in hit.links.answers[:MAX_LINKED]]
                  + [(r, QUESTION) for r in hit.links.answers_to[:MAX_LINKED]])
        for other, role in linked:
            if other.id not in seen:
                seen.add(other.id)
                found.append(_Candidate(QuotedContribution(other, role, None), hit.score,
                                        asks=role == QUESTION))
    return found


def quotable(text: str) -> bool:
    """Whether a sentence may be quoted alone: long enough to say something, and not a
    courtesy or procedure."""
    return len(text) >= MIN_QUOTE_CHARS and not _COURTESY.match(text)


def sentence_in_context(record: ContributionRecord, sentence: str) -> str:
    """The text a sentence is embedded as: its contribution's context line, then itself."""
    s = record.speaker
    return f"{context_line_of(record.debate.title, s.name, s.office, s.party)}\n{sentence}"


@dataclass(frozen=True)
class _Scored:
    candidate: _Candidate
    quote: Quote
    score: float  # the quote's similarity, with its contribution's evidence


def _quote(index: SearchIndex, question: str, candidates: list[_Candidate], max_quotes: int,
           max_chars: int) -> list[QuotedContribution]:
    """The candidates that have quotes: the best sentences of all, within `max_chars`."""
    spans = index.sentence_spans(c.passage.contribution.id for c in candidates)
    every = [(c, Quote(c.passage.contribution.text[s:e], s, e, 0.0)) for c in candidates
             for s, e in spans.get(c.passage.contribution.id, [])]
    # Short sentences only where nothing longer is there to quote; courtesies never.
    found = ([(c, q) for c, q in every if quotable(q.text)]
             or [(c, q) for c, q in every if not _COURTESY.match(q.text)])
    if not found:
        return []
    vectors = index.sentence_vectors.of([sentence_in_context(c.passage.contribution, q.text)
                                         for c, q in found])
    similarities = (vectors @ index.query_vector(question).reshape(-1)).tolist()
    best_rank = max(c.rank_score for c in candidates)
    asks_number = bool(_ASKS_NUMBER.search(question))
    scored = []
    for (c, q), similarity in zip(found, similarities, strict=True):
        quote = Quote(q.text, q.start, q.end, round(similarity, 6))
        scored.append(_Scored(c, quote, similarity + _evidence(c, q.text, best_rank,
                                                               asks_number)))
    _choose(scored, max_quotes, max_chars)
    for c in candidates:
        c.passage.quotes.sort(key=lambda q: q.start)  # reading order
    return [c.passage for c in candidates if c.passage.quotes]


def _evidence(candidate: _Candidate, sentence: str, best_rank: float,
              asks_number: bool) -> float:
    """What a sentence's similarity to the question gains or loses from where it stands."""
    score = RANK_WEIGHT * (candidate.rank_score - best_rank)
    if asks_number and _DIGIT.search(sentence):
        score += NUMBER_BONUS
    score -= QUESTION_PENALTY * (sentence.rstrip().endswith("?") + candidate.asks)
    return score


def _choose(scored: list[_Scored], max_quotes: int, max_chars: int) -> None:
    """Quote the best sentence, and up to `max_quotes` in all within QUOTE_FLOOR of it and
    `max_chars`; a sentence already quoted word for word is not quoted again."""
    ranked = sorted(scored, key=lambda x: -x.score)  # stable: ties keep ranking order
    floor = ranked[0].score - QUOTE_FLOOR
    quoted: set[str] = set()
    used = 0
    for x in ranked:
        if x.score < floor or len(quoted) >= max_quotes:
            break
        words = " ".join(_WORDS.findall(x.quote.text.lower()))
        if words in quoted or (used and used + len(x.quote.text) > max_chars):
            continue
        quoted.add(words)
        used += len(x.quote.text)
        x.candidate.passage.quotes.append(x.quote)


def _link(index: SearchIndex, passages: list[QuotedContribution]) -> None:
    quoted = {p.contribution.id for p in passages}
    links = index.exchanges(quoted)
    for p in passages:
        p.answers = [r.id for r in links[p.contribution.id].answers if r.id in quoted]
        p.answers_to = [r.id for r in links[p.contribution.id].answers_to if r.id in quoted]


def _by_speaker(passages: list[QuotedContribution]) -> list[SpeakerPosition]:
    groups: dict[str, SpeakerPosition] = {}
    for p in passages:
        speaker = p.contribution.speaker
        # Contributions whose record names no speaker may be anyone's: each stands alone.
        key = (speaker_key(speaker) if speaker.name or speaker.person_id
               else f"unrecorded:{p.contribution.id}")
        if key not in groups:
            groups[key] = SpeakerPosition(key, p.contribution.speaker, [])
        groups[key].contributions.append(p)
    return list(groups.values())


# Rendering ------------------------------------------------------------------------------


def render_answer(answer: Answer) -> str:
    """The answer as plain text: quotes grouped by speaker, then numbered citations."""
    if not answer.answerable:
        return answer.message or "No answer."
    lines = []
    for position in answer.speakers:
        lines.append(describe_speaker(position.speaker) + ":")
        for c in position.contributions:
            role = {ANSWER: "replying", QUESTION: "asking"}.get(c.role)
            for quote in c.quotes:
                lines.append(f'  "{quote.text}" [{c.marker}]' + (f" ({role})" if role else ""))
    lines.append("")
    lines += [f"[{c.marker}] {citation_line(c.contribution)}" for c in answer.contributions]
    return "\n".join(lines)
