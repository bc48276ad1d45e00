"""Text as printed in a record, tidied alike by every format."""

from __future__ import annotations

from lxml import etree


def clean(text: object) -> str:
    """`text` with runs of whitespace made one space and its ends trimmed; anything that is not
    a string (None, a number in JSON) is ""."""
    return " ".join(text.split()) if isinstance(text, str) else ""


def element_text(el: etree._Element | None) -> str:
    """All the text inside `el`, inline markup dropped, cleaned; "" for no element."""
    return clean("".join(el.itertext())) if el is not None else ""


def join_headings(*headings: str | None) -> str:
    """The headings that are present, as one debate title: "Major — minor"."""
    return " — ".join(h for h in headings if h)
