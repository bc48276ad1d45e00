"""Shared fixtures: real data from ../shared/data, the real embedding model loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
UK_DATA = SHARED_DATA / "uk-twfy-parlparse-2009-10"


@pytest.fixture(scope="session")
def uk_data() -> Path:
    if not UK_DATA.is_dir():
        pytest.fail(f"real UK data not found at {UK_DATA}; ../shared must sit beside the checkout")
    return UK_DATA
