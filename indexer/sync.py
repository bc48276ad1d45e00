"""Syncing a TheyWorkForYou scrape folder served over HTTP into a local folder, and the index
from that folder (`debate-search sync`).

The folder (such as https://www.theyworkforyou.com/pwdata/scrapedxml/debates/) is an HTML
directory listing of files named by day and version, debates2009-10-26a.xml, ...26b.xml: a
later letter is a re-scrape of the day and supersedes the earlier ones. A sync keeps the
latest version of each day in the local folder, fetching only what is new or re-scraped:

- what the last sync fetched is remembered in the folder's state file (`.sync.json`): each
  file's size, ETag and Last-Modified, and the listing's line about it (its date and size,
  where the listing shows them). A file whose line is unchanged, and whose local copy still
  has its size, is not asked for; any other is asked for with a conditional request
  (If-None-Match, If-Modified-Since), which the server answers 304 when it is unchanged.
- a file is downloaded to a hidden temporary name (`.NAME.part`, which no build reads), its
  length checked against its Content-Length and parsed with the TheyWorkForYou parser; only a
  whole file that parses is renamed into place, and only then are the day's earlier versions
  removed. Anything else is refused, named with its reason, and replaces nothing; the rest of
  the folder still syncs.

`sync` then updates the index with `build_index(add=True)` over the folder, which it holds as
a mirror: a superseded file's contributions leave the index with the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import filecmp
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import lxml.html
from lxml import etree
from tqdm import tqdm

from indexer.embedding import Embedder
from indexer.errors import SyncError
from indexer.pipeline.build import build_index
from indexer.pipeline.report import BuildReport
from indexer.sources import resolve_inputs, twfy_xml
from indexer.sources.parlparse_members import MemberRegistry
from indexer.sources.xml_reading import is_read_error

STATE_FILE = ".sync.json"
LOCK_FILE = ".sync.lock"
STATE_VERSION = 1
USER_AGENT = "debate-search sync"
TIMEOUT_S = 60.0
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListedFile:
    """An XML file a folder's listing links to."""

    name: str
    url: str
    listed: str  # the listing's line about it (date, size), "" where it shows none

    @property
    def day(self) -> str:
        return twfy_xml.day_and_version(self.name)[0]

    @property
    def version(self) -> str:
        return twfy_xml.day_and_version(self.name)[1]


@dataclass(frozen=True)
class Refusal:
    """A file a sync did not take, and why; it replaced nothing."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class SyncReport:
    """What a sync did: `debate-search sync` prints it."""

    url: str
    folder: str
    listed: int = 0  # days the listing holds (from `since` on)
    fetched: list[str] = field(default_factory=list)  # new or re-scraped, now in the folder
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)  # superseded by a later version
    refused: list[Refusal] = field(default_factory=list)
    build: BuildReport | None = None  # the index's update, where one was asked for

    def as_json(self) -> dict:
        """The report as `debate-search sync --json` prints it."""
        report = asdict(self)
        report["refused"] = [str(r) for r in self.refused]
        report["build"] = self.build.as_json() if self.build else None
        return report

    def summary(self) -> str:
        lines = [f"Synced {self.url} into {self.folder}: {self.listed} day(s) listed, "
                 f"{len(self.fetched)} fetched, {self.unchanged} unchanged, "
                 f"{len(self.removed)} superseded and removed, {len(self.refused)} refused"]
        lines += [f"  fetched {name}" for name in self.fetched]
        lines += [f"  removed {name}" for name in self.removed]
        if self.build:
            lines.append(self.build.summary())
        return "\n".join(lines)


def sync(url: str, into: Path, index_dir: Path, embedder: Embedder, *, cache_dir: Path,
         since: str | None = None, progress: bool = True) -> SyncReport:
    """Sync the folder listed at `url` into `into` (sync_folder), then update the index at
    `index_dir` with `into`'s files (`build_index(add=True)`): new and re-scraped days are
    indexed, superseded ones leave the index, the rest of the index is kept."""
    into = Path(into)
    root = twfy_xml.find_tree_root(into)  # before anything is made or fetched
    with _locked(into):
        report = _sync_folder(url, into, root, since=since, progress=progress)
        if any(into.glob("*.xml")):
            inputs = resolve_inputs([into], cache_dir, progress=progress)
            report.build = build_index(inputs, index_dir, embedder, add=True, mirrored=[into],
                                       progress=progress, cache_dir=cache_dir)
    return report


def sync_folder(url: str, into: Path, *, since: str | None = None,
                progress: bool = True) -> SyncReport:
    """Fetch into `into` the latest version of each day of the TheyWorkForYou folder listed at
    `url` (from the ISO date `since` on) that is new or re-scraped, and remove the versions it
    supersedes. `into` must lie in a TheyWorkForYou tree (a members/ folder at or above it).

    A file that is cut off, or does not parse, is refused (in the report) and replaces
    nothing. Raises SyncError where the listing cannot be read, or another sync holds `into`.
    """
    into = Path(into)
    root = twfy_xml.find_tree_root(into)
    with _locked(into):
        return _sync_folder(url, into, root, since=since, progress=progress)


def list_folder(client: httpx.Client, url: str) -> list[ListedFile]:
    """The XML files the HTML directory listing at `url` links to, in that folder."""
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise SyncError(f"cannot read the listing at {url}: {exc}") from exc
    if response.status_code != 200:
        raise SyncError(f"cannot read the listing at {url}: HTTP {response.status_code}")
    base = str(response.url)
    try:
        page = lxml.html.document_fromstring(response.content, base_url=base)
    except (etree.ParserError, ValueError) as exc:
        raise SyncError(f"the listing at {url} is not an HTML page: {exc}") from exc
    folder = urlsplit(base)
    found: dict[str, ListedFile] = {}
    for anchor in page.iter("a"):
        target = urlsplit(urljoin(base, anchor.get("href") or ""))
        parent, _, name = target.path.rpartition("/")
        name = unquote(name)
        if (target.query or (target.scheme, target.netloc) != (folder.scheme, folder.netloc)
                or parent + "/" != folder.path or not name.endswith(".xml")
                or name.startswith(".") or "/" in name or "\\" in name):
            continue
        found[name] = ListedFile(name, target._replace(fragment="").geturl(), _line_of(anchor))
    return sorted(found.values(), key=lambda f: f.name)


def _line_of(anchor: lxml.html.HtmlElement) -> str:
    """What the listing says beside a link: its table row, or the rest of its line."""
    row = next(anchor.iterancestors("tr"), None)
    text = row.text_content() if row is not None else (anchor.tail or "").split("\n")[0]
    return " ".join(text.split())


def _sync_folder(url: str, into: Path, root: Path, *, since: str | None, progress: bool
                 ) -> SyncReport:
    url = url if url.endswith("/") else url + "/"
    report = SyncReport(url=url, folder=str(into))
    state = _read_state(into, url)
    fetcher = _Fetcher(into, state, report, _ParseCheck(root))
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    with httpx.Client(headers=headers, follow_redirects=True, timeout=TIMEOUT_S) as client:
        days: dict[str, ListedFile] = {}
        for listed in list_folder(client, url):
            date = _DATE.search(listed.name)
            if since and date and date.group() < since:
                continue
            if listed.day not in days or listed.version > days[listed.day].version:
                days[listed.day] = listed
        report.listed = len(days)
        try:
            for latest in tqdm([days[d] for d in sorted(days)], desc=f"Syncing {into.name}",
                               unit="file", disable=not progress):
                fetcher.take(client, latest)
        finally:
            held = {p.name for p in into.glob("*.xml")}
            _write_state(into, url, {n: s for n, s in state.items() if n in held})
    return report


class _ParseCheck:
    """Whether a downloaded file parses with the TheyWorkForYou parser: None, or why not.
    The members data is loaded at the first file."""

    def __init__(self, root: Path):
        self.root = root
        self.members: MemberRegistry | None = None

    def __call__(self, path: Path) -> str | None:
        if self.members is None:
            self.members = twfy_xml.load_lookups(self.root)
        found, issues = twfy_xml.parse_file(path, self.members, self.root.name, self.root)
        broken = next((i for i in issues if is_read_error(i.message)), None)
        if broken is not None:
            where = f"line {broken.line}: " if broken.line else ""
            return f"does not parse ({where}{broken.message})"
        if not found:
            return "holds no speech, question or answer"
        return None


class _Fetcher:
    """Brings one day's latest version into the folder, or refuses it."""

    def __init__(self, into: Path, state: dict[str, dict], report: SyncReport,
                 check: Callable[[Path], str | None]):
        self.into, self.state, self.report, self.check = into, state, report, check
        self.held: dict[str, list[str]] = {}  # day -> the versions the folder holds
        for path in sorted(into.glob("*.xml")):
            self.held.setdefault(twfy_xml.day_and_version(path.name)[0], []).append(path.name)

    def take(self, client: httpx.Client, listed: ListedFile) -> None:
        held = self.held.get(listed.day, [])
        if any(twfy_xml.day_and_version(n)[1] > listed.version for n in held):
            self.report.unchanged += 1  # the folder holds a later version than the listing
            return
        target = self.into / listed.name
        known = self.state.get(listed.name)
        have = (target.is_file() and known is not None
                and known.get("size") == target.stat().st_size)
        if have and known and listed.listed and known.get("listed") == listed.listed:
            self._unchanged(listed, held)
            return
        tmp = self.into / f".{listed.name}.part"
        try:
            self._fetch(client, listed, target, tmp, known if have else None, held)
        finally:
            tmp.unlink(missing_ok=True)

    def _fetch(self, client: httpx.Client, listed: ListedFile, target: Path, tmp: Path,
               known: dict | None, held: list[str]) -> None:
        headers = {}
        if known and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        try:
            with client.stream("GET", listed.url, headers=headers) as response:
                if response.status_code == 304:
                    self._unchanged(listed, held)
                    return
                if response.status_code != 200:
                    self._refuse(listed, f"HTTP {response.status_code} from {listed.url}")
                    return
                with open(tmp, "wb") as out:
                    for block in response.iter_bytes():
                        out.write(block)
                received = response.num_bytes_downloaded
        except httpx.HTTPError as exc:
            self._refuse(listed, f"download from {listed.url} failed or was cut off ({exc})")
            return
        expected = response.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != received:
            self._refuse(listed, f"download from {listed.url} cut off: {received:,} of "
                                 f"{int(expected):,} bytes")
            return
        remembered = {"size": tmp.stat().st_size, "etag": response.headers.get("ETag"),
                      "last_modified": response.headers.get("Last-Modified"),
                      "listed": listed.listed}
        if target.is_file() and filecmp.cmp(tmp, target, shallow=False):
            self.state[listed.name] = remembered
            self._unchanged(listed, held)
            return
        if problem := self.check(tmp):
            self._refuse(listed, problem)
            return
        os.replace(tmp, target)
        self.state[listed.name] = remembered
        self.report.fetched.append(listed.name)
        self._remove_superseded(listed, held)

    def _unchanged(self, listed: ListedFile, held: list[str]) -> None:
        self.report.unchanged += 1
        if listed.name in self.state:
            self.state[listed.name]["listed"] = listed.listed
        self._remove_superseded(listed, held)

    def _remove_superseded(self, listed: ListedFile, held: list[str]) -> None:
        """The day's earlier versions, once its latest is in place."""
        if not (self.into / listed.name).is_file():
            return
        for name in held:
            if name != listed.name:
                (self.into / name).unlink(missing_ok=True)
                self.state.pop(name, None)
                self.report.removed.append(name)

    def _refuse(self, listed: ListedFile, reason: str) -> None:
        self.report.refused.append(Refusal(listed.name, f"{reason}; nothing replaced"))


def _read_state(into: Path, url: str) -> dict[str, dict]:
    """What the last sync of `url` into `into` remembered of each file (none if it synced
    another url, or the state file is unreadable: every file is then asked for again)."""
    try:
        state = json.loads((into / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if (not isinstance(state, dict) or state.get("version") != STATE_VERSION
            or state.get("url") != url or not isinstance(state.get("files"), dict)):
        return {}
    return state["files"]


def _write_state(into: Path, url: str, files: dict[str, dict]) -> None:
    tmp = into / f"{STATE_FILE}.part"
    tmp.write_text(json.dumps({"version": STATE_VERSION, "url": url, "files": files},
                              indent=1, sort_keys=True))
    os.replace(tmp, into / STATE_FILE)


@contextlib.contextmanager
def _locked(into: Path) -> Iterator[None]:
    """One sync of a folder at a time (a cron job that outlasts its interval)."""
    into.mkdir(parents=True, exist_ok=True)
    with open(into / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SyncError(f"another sync is writing {into}; try again when it is done") \
                from None
        yield
