"""Corpus manifests: the mirror, the public download path, checksums, plain paths."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from pathlib import Path

import pytest
from data_paths import PROJECT_ROOT, SHARED_DATA

from indexer.corpus import CorpusFile, load_manifest, materialize, sha256_file
from indexer.errors import CorpusError
from indexer.sources import resolve_inputs

DEFAULT_MANIFEST = PROJECT_ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml"


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(DEFAULT_MANIFEST)


def test_default_manifest_describes_the_whole_uk_folder(manifest, uk_data):
    assert manifest.format == "twfy-xml"
    assert manifest.licence.name == "Open Parliament Licence v3.0"
    assert manifest.mirror == uk_data.resolve()
    listed = {f.path for f in manifest.files}
    on_disk = {p.relative_to(uk_data).as_posix() for p in uk_data.rglob("*.xml")}
    assert listed == on_disk
    for f in manifest.files:
        assert f.url.startswith("https://raw.githubusercontent.com/mysociety/theyworkforyou/")
        assert f.url.endswith("/" + Path(f.path).name)


def test_mirror_files_match_their_checksums(manifest):
    for f in manifest.files:
        assert sha256_file(manifest.mirror / f.path) == f.sha256, f.path


def test_materialize_uses_the_mirror(manifest, tmp_path):
    corpus = materialize(manifest, tmp_path, progress=False)
    assert corpus.root == manifest.mirror
    assert corpus.issues == ()
    assert len(corpus.files) == len(manifest.files) - 8  # the 8 members files are not sources
    assert not any("members" in p.parts for p in corpus.files)


@pytest.fixture
def mirror_server(uk_data):
    """A local HTTP server serving the mirror, standing in for the public source."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(uk_data))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _served(manifest, base: str, keep=lambda f: True):
    """The manifest with its URLs pointed at the local server and no mirror."""
    files = tuple(dataclasses.replace(f, url=f"{base}/{f.path}") for f in manifest.files
                  if keep(f))
    return dataclasses.replace(manifest, files=files, mirror=Path("/nonexistent/mirror"))


def test_without_a_mirror_files_are_downloaded_and_checked(manifest, mirror_server, tmp_path):
    small = _served(manifest, mirror_server,
                    keep=lambda f: f.path.startswith(("members/", "wms/ministerial2009-10-27")))
    corpus = materialize(small, tmp_path, progress=False)
    assert corpus.root == tmp_path / manifest.name
    assert corpus.issues == ()
    for f in small.files:
        assert sha256_file(corpus.root / f.path) == f.sha256
    assert [p.name for p in corpus.files] == ["ministerial2009-10-27a.xml"]

    # A second run finds the verified files in the cache and fetches nothing.
    offline = dataclasses.replace(small, files=tuple(
        dataclasses.replace(f, url="http://127.0.0.1:9/unreachable") for f in small.files))
    assert materialize(offline, tmp_path, progress=False).issues == ()

    # And the downloaded tree imports with attribution, like the mirror.
    from indexer.sources import import_corpus

    contributions, issues = import_corpus(corpus, progress=False)
    assert issues == [] and len(contributions) == 5
    assert all(c.speaker.party for c in contributions)


def test_bad_downloads_are_reported_and_the_rest_kept(manifest, mirror_server, tmp_path):
    good = next(f for f in manifest.files if f.path == "wms/ministerial2009-10-27a.xml")
    files = (
        good,
        CorpusFile("wms/ministerial2009-10-28a.xml", None, "0" * 64),  # wrong checksum
        CorpusFile("wms/missing.xml", None, None),  # 404
    )
    broken = _served(dataclasses.replace(manifest, files=files), mirror_server)
    corpus = materialize(broken, tmp_path, progress=False)
    messages = [str(i) for i in corpus.issues]
    assert len(messages) == 2
    assert "ministerial2009-10-28a.xml" in messages[0] and "sha256" in messages[0]
    assert "wms/missing.xml" in messages[1] and "404" in messages[1]
    assert [p.name for p in corpus.files] == ["ministerial2009-10-27a.xml"]
    assert not (tmp_path / manifest.name / "wms" / "ministerial2009-10-28a.xml").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 'x'", "missing required keys: format, licence, files"),
        ("name = 'x'\nformat = 'twfy-xml'\nfiles = []\nlicence = 'OGL'", "needs at least a name"),
        ("name = [", "not valid TOML"),
    ],
)
def test_bad_manifests_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(CorpusError, match=message):
        load_manifest(path)


def test_plain_paths_find_their_members_folder(uk_data, tmp_path):
    [corpus] = resolve_inputs([uk_data / "debates", uk_data / "wms/ministerial2009-10-26c.xml"],
                              tmp_path, progress=False)
    assert corpus.root == uk_data.resolve()
    assert corpus.format == "twfy-xml" and corpus.manifest is None
    assert len(corpus.files) == 5


def test_plain_paths_in_a_named_format_use_that_format_s_tree(tmp_path):
    data = SHARED_DATA
    au_tree = data / "au-house-hansard-xml-2021-2022"
    [au] = resolve_inputs([au_tree / "xml" / "2021_10_19.xml"], tmp_path, progress=False,
                          plain_format="au-hansard-xml")
    assert au.format == "au-hansard-xml" and au.manifest is None
    assert au.root == au_tree.resolve()  # where its lookup/ folder is
    assert au.files == ((au_tree / "xml" / "2021_10_19.xml").resolve(),)

    ca_folder = data / "ca-house-of-commons-hansard-xml"
    [ca] = resolve_inputs([ca_folder], tmp_path, progress=False, plain_format="ca-hansard-xml")
    assert ca.format == "ca-hansard-xml" and ca.root == ca_folder.resolve()
    assert [f.name for f in ca.files] == ["44-1-200-en.xml", "44-1-303-en.xml", "HAN102-E.xml"]

    with pytest.raises(CorpusError, match="unknown source format 'nope'; known: "):
        resolve_inputs([ca_folder], tmp_path, progress=False, plain_format="nope")


def test_unknown_paths_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="no such file or folder"):
        resolve_inputs([tmp_path / "nope.xml"], tmp_path, progress=False)
    (tmp_path / "lonely.xml").write_text("<publicwhip/>")
    with pytest.raises(CorpusError, match="members"):
        resolve_inputs([tmp_path / "lonely.xml"], tmp_path, progress=False)
