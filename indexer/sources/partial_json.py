"""JSON records whose content is one large array: read it, or, when the file is broken (cut
short, corrupted), keep the members and array items that come before the break."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from indexer.contribution import ParseIssue

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class JsonBreak:
    """Where and why a JSON text stops being valid."""

    line: int
    column: int
    message: str


def read_record_file(path: Path, source_file: str, array_key: str
                     ) -> tuple[dict | None, list, list[ParseIssue]]:
    """`read_record` of a file: what could be read, and a ParseIssue (cited as
    `source_file`) if the file breaks off; the members are None if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [], [ParseIssue(source_file, None, f"cannot read file: {err}")]
    head, items, broken = read_record(text, array_key)
    if broken is None:
        return head, items, []
    message = f"not valid JSON (column {broken.column}): {broken.message}"
    return head, items, [ParseIssue(source_file, broken.line, message)]


def read_record(text: str, array_key: str) -> tuple[dict, list, JsonBreak | None]:
    """(top-level members, items of the array under `array_key`, the break if any).

    A valid record gives all of it. A broken one gives the members and whole items read before
    the break, and the break's line and column.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        head, items = _salvage(text, array_key)
        return head, items, JsonBreak(err.lineno, err.colno, err.msg)
    if not isinstance(data, dict):
        return {}, [], JsonBreak(1, 1, "not a JSON object")
    items = data.get(array_key)
    if not isinstance(items, list):
        return data, [], JsonBreak(1, 1, f"no {array_key!r} array")
    return data, items, None


def _salvage(text: str, array_key: str) -> tuple[dict, list]:
    """Read members one by one, and the array item by item, until the first that fails."""
    head: dict = {}
    items: list = []
    try:
        pos = _expect(text, _skip(text, 0), "{")
        while not text.startswith("}", _skip(text, pos)):
            key, pos = _DECODER.raw_decode(text, _skip(text, pos))
            pos = _skip(text, _expect(text, _skip(text, pos), ":"))
            if key == array_key and text.startswith("[", pos):
                pos = _skip(text, pos + 1)
                while not text.startswith("]", pos):
                    item, pos = _DECODER.raw_decode(text, pos)
                    items.append(item)
                    pos = _skip(text, pos)
                    if text.startswith(",", pos):
                        pos = _skip(text, pos + 1)
                    elif not text.startswith("]", pos):
                        return head, items
                pos += 1
            else:
                head[key], pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos += 1
    except (ValueError, IndexError):
        pass
    return head, items


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _expect(text: str, pos: int, char: str) -> int:
    if not text.startswith(char, pos):
        raise ValueError(f"expected {char!r} at {pos}")
    return pos + 1
