"""XML events, and read errors reported as ParseIssues with what came before kept."""

from __future__ import annotations

from pathlib import Path

from indexer.sources.xml_reading import reporting_read_errors, xml_events

BROKEN = '<?xml version="1.0"?>\n<day>\n<speech>one</speech>\n<speech>two</spe'


def _read(path: Path) -> tuple[list[str], list[tuple[int | None, str]]]:
    texts, issues = [], []
    with reporting_read_errors(lambda line, message: issues.append((line, message))):
        for event, el in xml_events(path):
            if event == "end" and el.tag == "speech":
                texts.append(el.text)
    return texts, issues


def test_a_file_that_breaks_off_keeps_what_came_before(tmp_path: Path):
    path = tmp_path / "broken.xml"
    path.write_text(BROKEN)
    texts, issues = _read(path)
    assert texts == ["one"]
    [(line, message)] = issues
    assert line == 4 and message.startswith("not well-formed XML: ")


def test_a_missing_file_is_an_issue_without_a_line(tmp_path: Path):
    texts, issues = _read(tmp_path / "missing.xml")
    assert texts == []
    [(line, message)] = issues
    assert line is None and message.startswith("cannot read file: ")


def test_entities_are_not_expanded_unless_asked(tmp_path: Path):
    path = tmp_path / "entities.xml"
    path.write_text('<!DOCTYPE d [<!ENTITY ndash "&#8211;">]><d>a &ndash; b</d>')
    [(_, plain)] = list(xml_events(path, events=("end",)))
    assert "–" not in "".join(plain.itertext())
    [(_, expanded)] = list(xml_events(path, events=("end",), resolve_entities="internal",
                                      load_dtd=True))
    assert expanded.text == "a – b"
