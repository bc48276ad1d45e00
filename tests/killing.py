"""Killing a real `debate-search index` mid-build, as a crash or an OOM killer would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CLI = Path(sys.executable).with_name("debate-search")


def kill_while_embedding(args: list[str], cache: Path) -> None:
    """Run `debate-search index ARGS` with a vector cache of its own (empty: it has to embed)
    and SIGKILL it once it is embedding."""
    process = subprocess.Popen(
        [str(CLI), "index", *args], stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "DEBATE_SEARCH_CACHE_DIR": str(cache)},
    )
    seen = ""
    deadline = time.monotonic() + 240
    while "Embedding:" not in seen and time.monotonic() < deadline:
        seen += process.stderr.read(1) or ""
        if process.poll() is not None:
            break
    assert "Embedding:" in seen, f"the build never reached embedding: {seen[-500:]}"
    process.send_signal(signal.SIGKILL)
    process.wait()
