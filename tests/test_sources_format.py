"""The SourceFormat protocol: every registered format module conforms to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import CorpusError
from indexer.sources import FORMATS, parser_version, source_format
from indexer.sources.format import SourceFormat, no_lookup_files, no_lookups


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_registered_format_conforms(name):
    module = FORMATS[name]
    assert isinstance(module, SourceFormat)
    assert module.FORMAT == name
    assert parser_version(name) == module.PARSER_VERSION >= 1


def test_a_module_without_the_interface_does_not_conform():
    from indexer.sources import paths

    assert not isinstance(paths, SourceFormat)


def test_unknown_format_names_the_known_ones():
    with pytest.raises(CorpusError, match="unknown source format 'hansard'; known: .*twfy-xml"):
        source_format("hansard")


def test_formats_without_lookups_share_the_defaults(tmp_path: Path):
    (tmp_path / "members").mkdir()
    (tmp_path / "members" / "people.xml").write_text("<people/>")
    assert no_lookups(tmp_path, "members") is None
    assert no_lookup_files(tmp_path, "members") == []
    for name in ("ca-hansard-xml", "ie-oireachtas-json", "beir-jsonl"):
        assert FORMATS[name].load_lookups is no_lookups
        assert FORMATS[name].lookup_files is no_lookup_files
