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


@pytest.fixture(scope="session")
def uk_members(uk_data: Path):
    """The real UK members registry, loaded once."""
    from indexer.members import MemberRegistry

    return MemberRegistry.load(uk_data / "members")


@pytest.fixture(scope="session")
def uk_import(uk_data: Path, uk_members):
    """(contributions, issues) of the whole UK TheyWorkForYou folder, parsed once."""
    from indexer.sources import twfy_xml

    contributions, issues = [], []
    for path in twfy_xml.list_source_files(uk_data):
        found, problems = twfy_xml.parse_file(path, uk_members, "uk-test", uk_data)
        contributions.extend(found)
        issues.extend(problems)
    return contributions, issues


@pytest.fixture(scope="session")
def uk_contributions(uk_import):
    """Every contribution of the UK TheyWorkForYou folder."""
    return uk_import[0]
