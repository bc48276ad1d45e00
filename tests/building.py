"""Corpora of a few real files, and an empty vector cache, for servers that build their own
index (`serve --build`: tests/test_first_run.py, tests/test_page.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from data_paths import SHARED_DATA

UK_DATA = SHARED_DATA / "uk-twfy-parlparse-2009-10"


def copy_corpus(folder: Path, files: tuple[str, ...]) -> Path:
    """A corpus folder `folder` holding copies of `files` of the UK record (paths relative to
    it), beside a link to its members data."""
    folder.mkdir(parents=True)
    (folder / "members").symlink_to(UK_DATA / "members")
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(UK_DATA / name, folder / name)
    return folder


def empty_vector_cache(folder: Path, session_cache: Path) -> Path:
    """A cache folder `folder` in which nothing has been embedded, so that a build of files
    the session has embedded before still embeds them (and takes long enough to be watched);
    it shares the session's converted model, which a build would otherwise convert again."""
    folder.mkdir(parents=True)
    if (session_cache / "openvino").is_dir():
        (folder / "openvino").symlink_to(session_cache / "openvino")
    return folder
