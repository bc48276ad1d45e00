"""Speaker-aware queries: who or which party a question is about, read from its words.

"What did Alan Johnson say about ..." names a member; "what did Labour say ..." a party;
"what did the Government / the Minister say ..." asks for office-holders. A named member or
party becomes a filter (unless the caller set one); asking for the Government boosts
contributions by office-holders. The search response reports what was understood, and the
caller can turn it off.

Names are matched whole and case-insensitively, but only full names (two words or more,
e.g. "Alan Johnson", "Lord Bach"): a bare surname is too often someone else. Parties are
matched with their capital letter ("Labour", not "labour market").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.contribution import DESCRIBED_BY_DOCSTRINGS
from indexer.store.records import SpeakerSummary

GOVERNMENT_BOOST = 0.1  # added to a fused score in [0, 1] for office-holders' contributions
_GOVERNMENT = re.compile(
    r"\b(?:the Government|Government ministers?|the Minister|minister|Secretary of State|"
    r"Home Secretary|Prime Minister|Chancellor)\b", re.IGNORECASE)
_WORDS = re.compile(r"[^\w'’-]+")
# What people call parties, beyond their full names (party codes like "Con" are too ambiguous).
_NICKNAMES = {
    "tory": "Conservative", "tories": "Conservative", "conservatives": "Conservative",
    "lib dem": "Liberal Democrat", "lib dems": "Liberal Democrat",
    "liberal democrats": "Liberal Democrat", "snp": "Scottish National Party",
    "dup": "Democratic Unionist Party", "uup": "Ulster Unionist Party",
    "sdlp": "Social Democratic and Labour Party", "plaid": "Plaid Cymru",
}


@dataclass(frozen=True)
class Understanding:
    """What a query was read to ask for."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    speaker: str | None = None
    """Person id of a member named in the query (or "name:<printed name>" where the person
    is unknown)."""
    speaker_name: str | None = None
    party: str | None = None
    """A party named in the query."""
    government: bool = False
    """The query asks what office-holders said: boosted."""

    def empty(self) -> bool:
        return not (self.speaker or self.party or self.government)


class QueryReader:
    """Recognises the members and parties of one index in queries."""

    def __init__(self, speakers: Iterable[SpeakerSummary], parties: Sequence[str]):
        """`speakers` busiest first: a name two of them share means the busier one."""
        self.names: dict[str, tuple[str, str]] = {}  # lower-cased name -> (key, display name)
        for speaker in speakers:
            for candidate in {speaker.name, *speaker.printed_names}:
                normal = _normalise(candidate)
                if len(normal.split()) >= 2 and normal not in self.names:
                    self.names[normal] = (speaker.key, speaker.name)
        self.parties = {alias: party for alias, party in _NICKNAMES.items() if party in parties}
        self.parties.update({party.lower(): party for party in parties})

    def read(self, query: str) -> Understanding:
        padded = f" {_normalise(query)} "
        speaker = name = None
        for candidate in sorted(self.names, key=len, reverse=True):
            if f" {candidate} " in padded:
                speaker, name = self.names[candidate]
                break
        return Understanding(speaker, name, self._party(query),
                             bool(_GOVERNMENT.search(query)))

    def _party(self, query: str) -> str | None:
        words = [w for w in _WORDS.split(query) if w]
        for size in (3, 2, 1):
            for i in range(len(words) - size + 1):
                phrase = " ".join(words[i : i + size])
                if not phrase[0].isupper():
                    continue
                found = self.parties.get(phrase.lower())
                if found:
                    return found
        return None


def _normalise(text: str) -> str:
    return " ".join(w for w in _WORDS.split(text.lower()) if w)


# How questions are put, around their subject: "What steps is the Government taking to ...",
# "If he will make a statement on ...", "what did the Liberal Democrats say about ...".
# The framing words are in every question, so they pull retrieval towards any question or
# answer rather than towards the subject.
_FRAMING = [re.compile(p, re.IGNORECASE) for p in (
    # "What (recent) steps (is) the Government (is) taking to", "what did X say about",
    # "What his most recent estimate is of": a few words, a verb of saying or doing, and the
    # preposition that leads to the subject.
    r"^\s*(?:what|which|how)\s+(?:[\w'’-]+\s+){0,6}?"
    r"(?:said|say|says|made|make|taken|take|taking|plans?\s+to\s+take|received|had|"
    r"announced|given|doing|done|planned|is|are)\s+"
    r"(?:about|on|of|to|regarding|concerning|with|in respect of|in relation to|for)\s+",
    r"^\s*if\s+(?:he|she)\s+will\s+(?:make\s+a\s+statement\s+on\s+|"
    r"(?:bring\s+forward\s+)?(?:legislative\s+)?proposals?\s+(?:to|for)\s+|"
    r"take\s+steps\s+to\s+)?",
    r"^\s*when\s+(?:he|she)\s+(?:next\s+)?expects\s+to\s+(?:meet|discuss)\s+",
    r"[;,]?\s*and\s+if\s+(?:he|she)\s+will\s+make\s+a\s+statement\.?\s*$",
    r"[?.]\s*$",
)]
MIN_SUBJECT_WORDS = 2


def question_subject(query: str) -> str:
    """The query without the words that frame it as a question, or the query itself where
    too little would be left ("what did he say?")."""
    subject = query
    for pattern in _FRAMING:
        subject = pattern.sub("", subject, count=1)
    subject = subject.strip(" ,;:")
    return subject if len(subject.split()) >= MIN_SUBJECT_WORDS else query
