"""Reading a record's XML as a stream of events; a file that breaks off or cannot be read
becomes a ParseIssue, and what was read before the break is kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree


def xml_events(path: Path, **options) -> etree.iterparse:
    """lxml's iterparse of `path`: ("start", "end") events, nothing fetched from the network
    and no entities expanded, unless `options` say otherwise."""
    defaults = {"events": ("start", "end"), "no_network": True, "resolve_entities": False}
    return etree.iterparse(str(path), **(defaults | options))


NOT_WELL_FORMED = "not well-formed XML"
UNREADABLE = "cannot read file"


def is_read_error(message: str) -> bool:
    """Whether an issue's message is one `reporting_read_errors` makes: the file broke off or
    could not be read, rather than one record in it being unusable."""
    return message.startswith((NOT_WELL_FORMED, UNREADABLE))


@contextmanager
def reporting_read_errors(issue: Callable[[int | None, str], None]) -> Iterator[None]:
    """Report XML that is not well-formed (with its line), or a file that cannot be read, as
    `issue(line, message)` and carry on after the block."""
    try:
        yield
    except etree.XMLSyntaxError as err:
        issue(err.lineno or None, f"{NOT_WELL_FORMED}: {err.msg}")
    except OSError as err:
        issue(None, f"{UNREADABLE}: {err}")
