"""Installed rather than run from a checkout: defaults move to the user's folders, there is no
default corpus, and `tune` without the [tune] extra says what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest
from click.testing import CliRunner

from search_api import settings
from search_api.errors import EvaluationError
from search_api.evaluation import tuning
from search_api.interfaces.cli import main
from search_api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NO_CORPUS = ("Error: no default corpus outside a checkout: give a corpus manifest (*.toml) or "
             "source files or folders to index (or set DEBATE_SEARCH_CORPUS)")


@pytest.fixture
def default_env(monkeypatch):
    """No DEBATE_SEARCH_ setting of the folders that the defaults decide."""
    for name in ("DATA_DIR", "INDEX_DIR", "CORPUS"):
        monkeypatch.delenv(f"DEBATE_SEARCH_{name}", raising=False)


def test_from_the_checkout_the_defaults_are_the_checkouts(default_env):
    assert settings.CHECKOUT == ROOT
    defaults = Settings()
    assert defaults.index_dir == ROOT / "var" / "index"
    assert defaults.corpus == ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml"
    assert defaults.corpus.is_file()
    assert defaults.tuned_model_dir == ROOT / "var" / "models" / "tuned"


def test_a_checkout_is_a_folder_with_this_projects_pyproject(tmp_path):
    assert settings.checkout_at(ROOT) == ROOT
    assert settings.checkout_at(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "another-project"\n')
    assert settings.checkout_at(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "debate-search"\n')
    assert settings.checkout_at(tmp_path) == tmp_path
    # Where an installed package lies: site-packages, beside the other packages.
    assert settings.checkout_at(Path(platformdirs.__file__).resolve().parents[1]) is None


def test_installed_the_defaults_are_the_users_folders_and_no_corpus(default_env, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setattr(settings, "CHECKOUT", None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # platformdirs on Linux
    defaults = Settings()
    user_data = platformdirs.user_data_path("debate-search", appauthor=False)
    assert user_data == tmp_path / "data" / "debate-search"
    assert defaults.index_dir == user_data / "index"
    assert defaults.tuned_model_dir == user_data / "models" / "tuned"
    assert defaults.corpus is None
    result = CliRunner().invoke(main, ["index", "--quiet"])
    assert result.exit_code == 1
    assert result.stderr.strip() == NO_CORPUS  # one line
    assert not (tmp_path / "data").exists()  # nothing was built


def test_the_cache_is_the_users_cache_folder(monkeypatch):
    monkeypatch.delenv("DEBATE_SEARCH_CACHE_DIR")  # the tests' own (conftest.session_cache)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert Settings().cache_dir == platformdirs.user_cache_path("debate-search", appauthor=False)
    if sys.platform == "linux":  # where it always was
        assert Settings().cache_dir == Path.home() / ".cache" / "debate-search"


@pytest.mark.parametrize("package", ["accelerate", "datasets"])
def test_tuning_without_the_extra_names_the_package_and_the_extra(package, monkeypatch):
    import sentence_transformers  # noqa: F401  (imported whole first: it needs neither)

    # None in sys.modules: `import package` fails as it does when it is not installed.
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(EvaluationError) as raised:
        tuning._train(ROOT / "unused", [], tuning.TuningParams(), progress=False)
    assert str(raised.value) == (f"tuning needs the '{package}' package, which is not "
                                 "installed: pip install 'debate-search[tune]'")
