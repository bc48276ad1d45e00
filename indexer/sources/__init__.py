"""One module per source format; each turns files into Contributions.

This package is the one place that knows which formats exist. A format is a module that
conforms to the SourceFormat protocol (format.py): FORMAT and PARSER_VERSION, load_lookups
and lookup_files (what attribution needs, once per corpus), parse_file (one file ->
Contributions and ParseIssues, never raising), and find_tree_root and list_source_files (for
plain paths, not manifests, given to resolve_inputs, e.g. on the command line).

A new format is one module here holding only what is its own, registered in FORMATS. The
plumbing is shared: format.py (no_lookups, no_lookup_files), paths.py (file listing, tree
roots, citing), text.py (whitespace, headings), clock.py (times), xml_reading.py (XML events,
read errors as ParseIssues), partial_json.py (JSON records that break off), speaker_lines.py
(who speaks, in debates printed as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from indexer.contribution import Contribution, ParseIssue
from indexer.corpus import CorpusInput, load_manifest, materialize
from indexer.errors import CorpusError
from indexer.sources import (
    au_hansard_xml,
    beir_jsonl,
    ca_hansard_xml,
    ie_oireachtas_json,
    parlamint_tei,
    plain_text,
    twfy_xml,
    us_congressional_record,
)
from indexer.sources.format import SourceFormat

_MODULES: tuple[SourceFormat[Any], ...] = (
    twfy_xml,
    parlamint_tei,
    ca_hansard_xml,
    au_hansard_xml,
    us_congressional_record,
    ie_oireachtas_json,
    plain_text,
    beir_jsonl,
)
FORMATS: dict[str, SourceFormat[Any]] = {module.FORMAT: module for module in _MODULES}


def source_format(name: str) -> SourceFormat[Any]:
    """The module that reads format `name`."""
    try:
        return FORMATS[name]
    except KeyError:
        raise CorpusError(
            f"unknown source format {name!r}; known: {', '.join(sorted(FORMATS))}"
        ) from None


def parser_version(format_name: str) -> int:
    """The PARSER_VERSION of format `format_name`."""
    return source_format(format_name).PARSER_VERSION


def _members(corpus: CorpusInput) -> str | None:
    return corpus.manifest.members if corpus.manifest else None


def corpus_defaults(corpus: CorpusInput) -> dict[str, str]:
    """The parliament and house its manifest states for records that do not name them."""
    return dict(corpus.manifest.defaults) if corpus.manifest else {}


def members_files(corpus: CorpusInput) -> list[Path]:
    """The lookup data (members, parties, ...) a corpus's attribution depends on."""
    return source_format(corpus.format).lookup_files(corpus.root, _members(corpus))


class CorpusParser:
    """A corpus's format with its lookups (members, parties) loaded once: parses its files
    one at a time."""

    def __init__(self, corpus: CorpusInput):
        self.corpus = corpus
        self.module = source_format(corpus.format)
        self.lookups = self.module.load_lookups(corpus.root, _members(corpus))
        self.defaults = corpus_defaults(corpus)

    def parse(self, path: Path) -> tuple[list[Contribution], list[ParseIssue]]:
        """The contributions of one file, and what could not be imported (never raises); the
        manifest's [defaults] fill in the parliament and house a file does not name."""
        found, issues = self.module.parse_file(path, self.lookups, self.corpus.name,
                                               self.corpus.root)
        if self.defaults:
            found = [_with_defaults(c, self.defaults) for c in found]
        return found, issues


def _with_defaults(contribution: Contribution, defaults: dict[str, str]) -> Contribution:
    unsaid = {k: v for k, v in defaults.items() if not getattr(contribution, k)}
    return replace(contribution, **unsaid) if unsaid else contribution


def import_corpus(
    corpus: CorpusInput, *, progress: bool = True
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Every contribution of a corpus, and what could not be imported."""
    parser = CorpusParser(corpus)
    contributions: list[Contribution] = []
    issues: list[ParseIssue] = []
    for path in tqdm(corpus.files, desc=f"Importing {corpus.name}", unit="file",
                     disable=not progress):
        found, problems = parser.parse(path)
        contributions.extend(found)
        issues.extend(problems)
    return contributions, issues


def resolve_inputs(
    paths: Sequence[Path | str], cache_dir: Path, *, progress: bool = True,
    plain_format: str | None = None,
) -> list[CorpusInput]:
    """CorpusInputs for manifests (*.toml) and plain source files or folders.

    Plain paths are read in `plain_format`. Without one, a folder with a corpus.jsonl is a
    BEIR benchmark collection and other paths are TheyWorkForYou/ParlParse XML. Each format
    finds the root of the tree a path sits in (where its lookups live, e.g. members/);
    several paths in one tree become one corpus.
    """
    plain_module = source_format(plain_format or twfy_xml.FORMAT)
    inputs: list[CorpusInput] = []
    plain: dict[Path, list[Path]] = {}
    for raw in paths:
        path = Path(raw).resolve()
        if not path.exists():
            raise CorpusError(f"no such file or folder: {path}")
        if path.suffix == ".toml":
            inputs.append(materialize(load_manifest(path), cache_dir, progress=progress))
            continue
        if plain_format is None and beir_jsonl.is_collection(path):
            files = tuple(beir_jsonl.list_source_files(path))
            inputs.append(CorpusInput(path.name, beir_jsonl.FORMAT, path, files))
            continue
        root = plain_module.find_tree_root(path)
        plain.setdefault(root, []).extend(plain_module.list_source_files(path))
    for root, files in plain.items():
        if not files:
            raise CorpusError(f"no source files found under {root}")
        unique = tuple(sorted(set(files)))
        inputs.append(CorpusInput(root.name, plain_module.FORMAT, root, unique))
    return inputs
