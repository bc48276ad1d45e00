"""Where the tests find the project and the real records: ../shared/data beside the checkout
(never copied into the project; corpus manifests point there too)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPORA = PROJECT_ROOT / "corpora"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
SCIFACT = SHARED_DATA / "benchmarks" / "scifact"
