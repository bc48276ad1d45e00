"""A feed as an Atom 1.0 document (RFC 4287), written by feedgen, with absolute links."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from feedgen.feed import FeedGenerator
from lxml import etree

from search_api.operations.feeds import Feed

ATOM_TYPE = "application/atom+xml"
# What XML 1.0 cannot hold (control characters, lone surrogates): a query may carry them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def atom_document(feed: Feed, base_url: str, self_url: str) -> bytes:
    """`feed` as Atom; `base_url` (the request's, ending in /) makes every link absolute,
    `self_url` is the feed's own address."""
    writer = FeedGenerator()
    writer.id(_xml(feed.id))
    writer.title(_xml(feed.title))
    writer.updated(feed.updated)
    writer.author({"name": "debate-search"})  # for entries whose speaker is not recorded
    writer.link(href=self_url, rel="self", type=ATOM_TYPE)
    writer.link(href=base_url, rel="alternate", type="text/html")
    writer.generator("debate-search")
    links = []  # each entry's links' attributes, in order (see _with_link_attributes)
    for item in feed.entries:
        record = item.contribution
        entry = writer.add_entry(order="append")  # feedgen puts new entries first otherwise
        entry.id(item.id)
        entry.title(_xml(item.title))
        entry.published(item.published)
        entry.updated(item.updated)
        if record.speaker.name:
            entry.author({"name": _xml(record.speaker.name)})
        # The page showing the contribution (static/app.js reads ?id=), then the record.
        own = [{"href": f"{base_url}?{urlencode({'id': record.id})}", "rel": "alternate",
                "type": "text/html"}]
        if record.source_url:
            own.append({"href": record.source_url, "rel": "related", "type": "text/html",
                        "title": "The official record"})
        for link in own:
            entry.link(**link)
        links.append(own)
        entry.summary(_xml(item.summary))
    return _with_link_attributes(writer.atom_str(pretty=True), links)


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _with_link_attributes(document: bytes, links: list[list[dict[str, str]]]) -> bytes:
    """`document` with its entries' links' rel, type and title, which feedgen 1.0.0 drops
    (FeedEntry.atom_entry rebinds `link` before reading them): every link would read as
    rel="alternate", and an entry may hold only one alternate of a type (RFC 4287, 4.1.1)."""
    root = etree.fromstring(document)
    namespace = {"atom": "http://www.w3.org/2005/Atom"}
    for entry, own in zip(root.iterfind("atom:entry", namespace), links, strict=True):
        for element, link in zip(entry.iterfind("atom:link", namespace), own, strict=True):
            element.attrib.update(link)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
