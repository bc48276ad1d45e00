"""Did a change move retrieval quality? `python -m bench.paired BEFORE AFTER`.

BEFORE and AFTER are folders of per-query results (`*.per-query.json`) that
`python -m bench.quality --out ...` wrote into bench-results/eval/ at two commits (copy the
folder away between the runs). For each set and configuration in both, it prints mean
nDCG@10 before and after, the paired difference and how many queries rose and fell, and
exits 1 if any lost more than `--tolerance` (0.002: what issue 25 allows a change that can
alter rankings).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench.report import table

MEASURE = "nDCG@10"


def compare(before: Path, after: Path) -> list[dict]:
    """One row per results file present in both folders."""
    rows = []
    for mine in sorted(before.glob("*.per-query.json")):
        theirs = after / mine.name
        if not theirs.is_file():
            continue
        old, new = json.loads(mine.read_text()), json.loads(theirs.read_text())
        queries = sorted(old)
        x = np.array([old[q][MEASURE] for q in queries])
        y = np.array([new.get(q, {}).get(MEASURE, 0.0) for q in queries])
        difference = y - x
        rows.append({"run": mine.name.removesuffix(".per-query.json"), "queries": len(queries),
                     "before": float(x.mean()), "after": float(y.mean()),
                     "difference": float(difference.mean()),
                     "rose": int((difference > 1e-9).sum()),
                     "fell": int((difference < -1e-9).sum())})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.002)
    args = parser.parse_args(argv)
    rows = compare(args.before, args.after)
    print(table(f"{MEASURE}, paired by query ({args.before} -> {args.after})",
                ["set.config", "queries", "before", "after", "difference", "rose", "fell"],
                [[r["run"], r["queries"], f"{r['before']:.4f}", f"{r['after']:.4f}",
                  f"{r['difference']:+.4f}", r["rose"], r["fell"]] for r in rows]))
    lost = [r["run"] for r in rows if r["difference"] < -args.tolerance]
    if lost:
        print(f"Lost more than {args.tolerance}: {', '.join(lost)}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
