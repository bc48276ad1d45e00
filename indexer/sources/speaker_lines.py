"""Speaker lines of debates printed as text: the line that says who speaks next.

    Jess Phillips (Birmingham Yardley) (Lab)                  name, constituency, party
    Lord Hanson of Flint (Lab)                                name, party
    The Minister for Safeguarding (Jess Phillips)             office, name
    The Minister of State, Home Office (Lord Hanson of Flint) (Lab)   office, name, party
    Madam Deputy Speaker (Judith Cummins), Mr Speaker         the chair
    Jess Phillips:                                            name (a transcript's label)

A line is read as one only where it cannot be words of a speech or a heading: short, its words
outside the brackets capitalised (bar "of", "the", ...), no sentence punctuation; without a
closing colon it must end in a party Hansard prints, name an office holder in brackets, or
be the chair's. The last bracket is a party where it is a code Hansard prints or, after
another bracket, a short code. Party codes are given their full names; an unknown code names
itself.
"""

from __future__ import annotations

import re

from indexer.contribution import Speaker
from indexer.sources.parlparse_members import PARTY_NAMES, party_name
from indexer.sources.text import clean

# Codes the Hansard website prints that the ParlParse members files do not use.
HANSARD_PARTIES = {
    "Reform": "Reform UK",
    "TUV": "Traditional Unionist Voice",
    "Alba": "Alba Party",
    "APNI": "Alliance Party",
    "CB": "Crossbench",
    "GP": "Green Party",
    "Non-Afl": "Non-affiliated",
    "Co-op": "Co-operative Party",
}
MAX_LABEL_CHARS = 200
MAX_LABEL_WORDS = 16
LOWER_CASE_WORDS = frozenset({"of", "for", "the", "and", "a", "in", "on", "to", "at", "upon",
                              "de", "del", "la", "le", "du", "da", "di", "van", "von", "der",
                              "den", "ap", "hon.", "&"})

_LAST_BRACKET = re.compile(r"\s*\(([^()]+)\)$")
_NOT_A_LABEL = re.compile(r"[?!;:\"\u201c\u201d\[\]]|\.\s+[a-z]")
_CHAIR = re.compile(r"^(?:The|Mr|Madam) (?:(?:First )?Deputy |Lord )?"
                    r"(?:Speaker|Chair|Chairman|Chairman of Committees)$")
_OFFICE = re.compile(r"^(?:The|Mr|Mrs|Madam) .*\b(?:Minister|Secretary|Speaker|Chair|Chairman|"
                     r"Leader|Solicitor|Attorney|Advocate|Chancellor|Whip|Paymaster|Privy Seal|"
                     r"President|Spokesperson|Treasurer|Comptroller|Captain|Steward)\b")
_SHORT_CODE = re.compile(r"^[A-Z][A-Za-z/&-]{0,11}$")


def speaker_line(line: str) -> Speaker | None:
    """The speaker a line names, if it is a speaker line; else None."""
    label = clean(line)
    colon = label.endswith(":")
    label = label.removesuffix(":").rstrip()
    if not label or len(label) > MAX_LABEL_CHARS:
        return None
    brackets: list[str] = []
    while match := _LAST_BRACKET.search(label):
        brackets.insert(0, clean(match.group(1)))
        label = label[: match.start()]
    if not _looks_like_a_label(label) or any(_NOT_A_LABEL.search(b) for b in brackets):
        return None
    code = None
    if brackets and (_known_party(brackets[-1])
                     or (len(brackets) > 1 and _SHORT_CODE.match(brackets[-1]))):
        code = brackets.pop()
    name, office = label, None
    if brackets and _OFFICE.match(label):
        office, name = label, brackets.pop(0)
        if not _looks_like_a_label(name):
            return None
    chair = _CHAIR.match(office or label) is not None
    if len(brackets) > 1 or not (colon or code or office or (chair and not brackets)):
        return None
    return Speaker(
        name=name,
        party=HANSARD_PARTIES.get(code or "") or party_name(code),
        party_code=code,
        constituency=brackets[0] if brackets else None,
        office=office or (label if chair else None),
        office_source="record" if office or chair else None,
        chair=True if chair else None,
    )


def _known_party(code: str) -> bool:
    return code in HANSARD_PARTIES or code in PARTY_NAMES


def _looks_like_a_label(text: str) -> bool:
    """A name or an office, not words: a few capitalised words, no sentence punctuation."""
    words = text.split()
    if not words or len(words) > MAX_LABEL_WORDS or _NOT_A_LABEL.search(text):
        return False
    if not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w.lower() in LOWER_CASE_WORDS for w in words)
