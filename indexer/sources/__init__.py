"""One module per source format; each turns files into Contributions.

This package is the one place that knows which formats exist: it turns the paths a user
gives into CorpusInputs and dispatches imports to the right module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from indexer.contribution import Contribution, ParseIssue
from indexer.corpus import CorpusInput, load_manifest, materialize
from indexer.errors import CorpusError
from indexer.members import MemberRegistry
from indexer.sources import twfy_xml

FORMATS = {twfy_xml.FORMAT: twfy_xml}


def _module(format_name: str):
    try:
        return FORMATS[format_name]
    except KeyError:
        raise CorpusError(
            f"unknown source format {format_name!r}; known: {', '.join(sorted(FORMATS))}"
        ) from None


def parser_version(format_name: str) -> int:
    return _module(format_name).PARSER_VERSION


def members_folder(corpus: CorpusInput) -> Path:
    folder = corpus.manifest.members if corpus.manifest and corpus.manifest.members else "members"
    return corpus.root / folder


def members_files(corpus: CorpusInput) -> list[Path]:
    """The members data a corpus's attribution depends on."""
    folder = members_folder(corpus)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def import_corpus(
    corpus: CorpusInput, *, progress: bool = True
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Every contribution of a corpus, and what could not be imported."""
    module = _module(corpus.format)
    members = MemberRegistry.load(members_folder(corpus))
    contributions: list[Contribution] = []
    issues: list[ParseIssue] = []
    for path in tqdm(corpus.files, desc=f"Importing {corpus.name}", unit="file",
                     disable=not progress):
        found, problems = module.parse_file(path, members, corpus.name, corpus.root)
        contributions.extend(found)
        issues.extend(problems)
    return contributions, issues


def resolve_inputs(
    paths: Sequence[Path | str], cache_dir: Path, *, progress: bool = True
) -> list[CorpusInput]:
    """CorpusInputs for manifests (*.toml) and plain source files or folders.

    Plain paths are read as TheyWorkForYou/ParlParse XML; their members/ folder is found at
    the root of the tree they sit in. Several paths in one tree become one corpus.
    """
    inputs: list[CorpusInput] = []
    plain: dict[Path, list[Path]] = {}
    for raw in paths:
        path = Path(raw).resolve()
        if not path.exists():
            raise CorpusError(f"no such file or folder: {path}")
        if path.suffix == ".toml":
            inputs.append(materialize(load_manifest(path), cache_dir, progress=progress))
            continue
        root = twfy_xml.find_tree_root(path)
        plain.setdefault(root, []).extend(twfy_xml.list_source_files(path))
    for root, files in plain.items():
        if not files:
            raise CorpusError(f"no source files found under {root}")
        unique = tuple(sorted(set(files)))
        inputs.append(CorpusInput(root.name, twfy_xml.FORMAT, root, unique))
    return inputs
