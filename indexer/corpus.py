"""Corpus manifests: what a corpus is, where its files come from, and its licence.

A manifest (TOML, in `corpora/`) names the source format, the files with their public
download URL and sha256, the members data, the licence, and a local mirror. Relative paths in
a manifest are resolved against the project root: the folder above `corpora/`. The mirror is
used when it exists; otherwise the files are downloaded once into a cache folder and checked.

A manifest may also state, in [defaults], the parliament and house of its records where the
files themselves do not (a page of text copied from the Hansard website names neither): a
contribution whose file names them keeps the file's.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

from indexer.contribution import ParseIssue
from indexer.errors import CorpusError

# What a manifest's [defaults] may state: Contribution fields that a file may leave unsaid.
DEFAULT_FIELDS = ("parliament", "house")


@dataclass(frozen=True, slots=True)
class Licence:
    name: str
    url: str | None = None
    attribution: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class CorpusFile:
    path: str  # relative to the corpus root
    url: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class CorpusManifest:
    name: str
    title: str
    format: str
    licence: Licence
    files: tuple[CorpusFile, ...]
    mirror: Path | None = None  # absolute
    members: str | None = None  # folder of members data, relative to the corpus root
    description: str = ""
    source: dict = field(default_factory=dict)
    manifest_path: Path | None = None
    defaults: dict[str, str] = field(default_factory=dict)  # DEFAULT_FIELDS -> value


@dataclass(frozen=True, slots=True)
class CorpusInput:
    """A corpus ready to import: its files on local disk."""

    name: str
    format: str
    root: Path  # the tree the files live in
    files: tuple[Path, ...]
    manifest: CorpusManifest | None = None  # None when indexed from plain paths
    issues: tuple[ParseIssue, ...] = ()


def load_manifest(path: Path | str) -> CorpusManifest:
    """Read and check a corpus manifest."""
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"corpus manifest not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path}: not valid TOML: {exc}") from exc
    missing = [key for key in ("name", "format", "licence", "files") if key not in data]
    if missing:
        raise CorpusError(f"{path}: missing required keys: {', '.join(missing)}")
    licence = data["licence"]
    if not isinstance(licence, dict) or "name" not in licence:
        raise CorpusError(f"{path}: [licence] needs at least a name")
    files = []
    for i, entry in enumerate(data["files"]):
        if "path" not in entry:
            raise CorpusError(f"{path}: files[{i}] has no path")
        files.append(CorpusFile(entry["path"], entry.get("url"), entry.get("sha256")))
    project_root = path.parent.parent
    mirror = (project_root / data["mirror"]).resolve() if data.get("mirror") else None
    return CorpusManifest(
        name=data["name"],
        title=data.get("title", data["name"]),
        format=data["format"],
        licence=Licence(**{k: licence.get(k) for k in ("name", "url", "attribution", "notes")}),
        files=tuple(files),
        mirror=mirror,
        members=data.get("members"),
        description=data.get("description", "").strip(),
        source=data.get("source", {}),
        manifest_path=path,
        defaults=_defaults(path, data.get("defaults", {})),
    )


def _defaults(path: Path, table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise CorpusError(f"{path}: [defaults] must be a table")
    for key, value in table.items():
        if key not in DEFAULT_FIELDS:
            raise CorpusError(f"{path}: unknown key {key!r} in [defaults]; known: "
                              f"{', '.join(DEFAULT_FIELDS)}")
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{path}: [defaults] {key} must be a name, not {value!r}")
    return {key: value.strip() for key, value in table.items()}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def materialize(manifest: CorpusManifest, cache_dir: Path, *, progress: bool = True) -> CorpusInput:
    """Local copies of a manifest's files: the mirror if present, else downloads.

    A file that cannot be had (missing, failed download, wrong checksum) is reported as an
    issue and left out; the rest of the corpus still imports.
    """
    if manifest.mirror is not None and manifest.mirror.is_dir():
        root = manifest.mirror
        issues = [
            ParseIssue(f.path, None, f"listed in the manifest but missing from {root}")
            for f in manifest.files
            if not (root / f.path).is_file()
        ]
    else:
        root = cache_dir / manifest.name
        issues = _download(manifest, root, progress=progress)
    files = tuple(
        root / f.path for f in manifest.files if (root / f.path).is_file()
        and not (manifest.members and Path(f.path).parts[0] == manifest.members)
    )
    return CorpusInput(manifest.name, manifest.format, root, files, manifest, tuple(issues))


def _download(manifest: CorpusManifest, root: Path, *, progress: bool) -> list[ParseIssue]:
    issues = []
    todo = [f for f in manifest.files if not _cached(root / f.path, f.sha256)]
    if not todo:
        return issues
    with httpx.Client(follow_redirects=True, timeout=60) as client:
        for entry in tqdm(todo, desc=f"Downloading {manifest.name}", unit="file",
                          disable=not progress):
            if not entry.url:
                issues.append(ParseIssue(entry.path, None, "not in the mirror and has no url"))
                continue
            target = root / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".part")
            try:
                with client.stream("GET", entry.url) as response:
                    response.raise_for_status()
                    with open(tmp, "wb") as handle:
                        for block in response.iter_bytes():
                            handle.write(block)
            except httpx.HTTPError as exc:
                tmp.unlink(missing_ok=True)
                issues.append(
                    ParseIssue(entry.path, None, f"download from {entry.url} failed: {exc}")
                )
                continue
            if entry.sha256 and sha256_file(tmp) != entry.sha256:
                tmp.unlink()
                issues.append(ParseIssue(entry.path, None,
                                         f"download from {entry.url} has the wrong sha256"))
                continue
            tmp.replace(target)
    return issues


def _cached(path: Path, sha256: str | None) -> bool:
    return path.is_file() and (sha256 is None or sha256_file(path) == sha256)
