"""BEIR-format benchmark collections (corpus.jsonl of {_id, title, text}) as Contributions.

Benchmarks run through the same chunking, embedding, BM25 and retrieval code as debates, so
what they measure is the product. A document's title becomes its debate title, so contextual
embedding (ChunkingParams.context) gives the usual BEIR "title + text" input.
"""

from __future__ import annotations

import json
from pathlib import Path

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.errors import CorpusError
from indexer.sources.format import no_lookup_files, no_lookups
from indexer.sources.paths import source_path

FORMAT = "beir-jsonl"
PARSER_VERSION = 1
CORPUS_FILE = "corpus.jsonl"


load_lookups = no_lookups
lookup_files = no_lookup_files


def is_collection(path: Path) -> bool:
    return path.is_dir() and (path / CORPUS_FILE).is_file()


def find_tree_root(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    if not is_collection(folder):
        raise CorpusError(f"no {CORPUS_FILE} in {folder}")
    return folder


def list_source_files(path: Path) -> list[Path]:
    return [find_tree_root(path) / CORPUS_FILE]


def parse_file(
    path: Path, lookups: None, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """One Contribution per JSON line; a bad line is a ParseIssue and the rest still import."""
    contributions, issues = [], []
    source_file = source_path(path, root)
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                doc_id, text = str(doc["_id"]), (doc.get("text") or "").strip()
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                issues.append(ParseIssue(source_file, line_no, f"not a BEIR document: {exc}"))
                continue
            if not text:
                issues.append(ParseIssue(source_file, line_no, f"document {doc_id} has no text"))
                continue
            title = (doc.get("title") or "").strip()
            contributions.append(Contribution(
                id=doc_id, corpus=corpus, parliament="", kind=Kind.DOCUMENT, house="",
                date="", text=text, speaker=Speaker(name=None), debate_id=doc_id,
                debate_title=title, position=1, source_file=source_file,
            ))
    return contributions, issues
