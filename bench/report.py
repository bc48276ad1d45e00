"""Plain-text tables of the results, and what machine they were measured on."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import psutil

from bench import ROOT


def machine_info() -> dict:
    cpu_model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo")
                      if line.startswith("model name")), platform.processor())
    versions = {}
    for package in ("torch", "faiss-cpu", "sentence-transformers", "numpy", "fastapi",
                    "uvicorn", "httptools", "uvloop", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "load_average_at_start": os.getloadavg(),
    }


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by the whole machine, and by this process and its waited-for
    children (the server)."""
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    own = psutil.Process().cpu_times()
    return busy, own.user + own.system + own.children_user + own.children_system


class CpuWatch:
    """Measures the share of the CPUs other processes used while the block ran: a benchmark
    that shared the machine reads slow, and should say so."""

    share: float = 0.0

    def __enter__(self) -> CpuWatch:
        self._started, self._cpu = time.perf_counter(), _cpu_seconds()
        return self

    def __exit__(self, *exc) -> None:
        (busy0, own0), (busy1, own1) = self._cpu, _cpu_seconds()
        wall = time.perf_counter() - self._started
        self.share = max(0.0, (busy1 - busy0) - (own1 - own0)) / wall / (os.cpu_count() or 1)


def _read(path: str) -> list[str]:
    try:
        with open(path) as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = ""
) -> str:
    """An aligned table; `align` has an "l" or "r" per column (default: first left, rest right)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                         for c, w, a in zip(row, widths, align, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([title, line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:,.1f} MiB"


def _latency_row(name: str, s: dict) -> list[object]:
    return [name, s.get("count"), s.get("p50_ms"), s.get("p95_ms"), s.get("p99_ms"),
            s.get("mean_ms"), s.get("per_s")]


_BROWSING_ROWS = {"facets": "search + facets (all five)",
                  "facets_speaker": "search + speaker facet", "newest": "search, newest",
                  "grouped": "search, grouped by debate"}
LATENCY_HEADERS = ("", "queries", "p50 ms", "p95 ms", "p99 ms", "mean ms", "queries/s")


def stages_table(title: str, rows: dict[str, dict]) -> str:
    """Each search's stages (search_api/engine/stages.py), p50 / p95 ms."""
    from search_api.engine.stages import STAGES

    return table(f"{title}: p50 / p95 ms a stage (stages run at once may overlap)",
                 ["", *STAGES],
                 [[name, *(f"{st[s]['p50']:.1f} / {st[s]['p95']:.1f}" if s in st else "-"
                           for s in STAGES)] for name, st in rows.items()])


def render(results: dict) -> str:
    m = results["machine"]
    sections = [
        f"Machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {_mib(m['memory_bytes'])}, "
        f"Python {m['python']}, torch {m['versions']['torch']}, "
        f"faiss {m['versions']['faiss-cpu']}; {m['date']}; commit "
        f"{(m['git_commit'] or '?')[:10]}{' (dirty)' if m['git_dirty'] else ''}; "
        "CPU used by other processes: " + ", ".join(
            f"{v:.0%} during the {k}" for k, v in m["other_processes_cpu_share"].items())
    ]
    if build := results.get("build"):
        cold, rates = build["cold"], build["rates"]
        sec = cold["seconds"]
        sections.append(table(
            f"Build, cold (empty embedding cache): {build['files']} source files "
            f"({build['input_bytes'] / 1e6:.1f} MB) -> {cold['contributions']:,} contributions "
            f"-> {cold['chunks']:,} chunks ({cold['embedded']:,} embedded)",
            ("step", "seconds", "throughput"), [
                ["model load (before the build)", build["model_load_seconds"], ""],
                ["import (parse XML)", sec["import"],
                 f"{rates['import_contributions_per_s']:,.0f} contributions/s "
                 f"({rates['import_mb_per_s']:.1f} MB/s)"],
                ["chunking", sec["chunk"],
                 f"{rates['chunk_contributions_per_s']:,.0f} contributions/s"],
                ["embedding", sec["embed"], f"{rates['embed_chunks_per_s']:,.1f} chunks/s"],
                ["write (SQLite, FAISS, BM25)", sec["write"], ""],
                ["total build", sec["total"],
                 f"{cold['contributions'] / sec['total']:,.1f} contributions/s"],
            ], align="lrl"))
        again, forced = build["up_to_date"], build["forced"]
        elsewhere = build.get("elsewhere")
        sections.append(table("Rebuilds of the same inputs (the embedding cache is shared)",
                              ("", "time s", "embedded", "reused", "result"), [
            ["second build", again["seconds"]["wall"], None, None,
             "up to date" if again["up_to_date"] else "REBUILT"],
            ["forced rebuild (--force)", forced["seconds"]["wall"], forced["embedded"],
             forced["reused"], f"{forced['chunks']:,} chunks"],
            *([["the same inputs, another folder", elsewhere["seconds"]["wall"],
                elsewhere["embedded"], elsewhere["reused"], f"{elsewhere['chunks']:,} chunks"]]
              if elsewhere else []),
        ]))
    size = results["index"]
    sections.append(table("Index on disk", ("", "size", "bytes/chunk"), [
        ["FAISS vectors", _mib(size["faiss_bytes"]), size["faiss_bytes_per_chunk"]],
        ["SQLite metadata", _mib(size["sqlite_bytes"]), size["sqlite_bytes"] / size["chunks"]],
        ["BM25 keyword index", _mib(size.get("keyword_bytes")),
         size.get("keyword_bytes", 0) / size["chunks"]],
        ["total (with manifest)", _mib(size["total_bytes"]), size["bytes_per_chunk"]],
    ]))
    ip = results["in_process"]
    passing = ip.get("filtered_total")
    sections.append(table(
        f"Query latency in-process (SearchIndex.search, k=10, {ip['vectors']:,} vectors; "
        f"filter: {', '.join(results['settings']['filters'].values())}, "
        f"{'skipped' if passing is None else f'{passing:,} contributions pass'})",
        LATENCY_HEADERS, [
            _latency_row("embed query only", ip["embed_only"]),
            _latency_row(f"search ({ip['config']['mode']}, the default)", ip["search"]),
            *(_latency_row(f"search, {mode} only", summary)
              for mode, summary in ip["modes"].items()),
            *(_latency_row(_BROWSING_ROWS[name], summary)
              for name, summary in ip.get("browsing", {}).items()),
            *([_latency_row("a debate's page at the best hit", ip["debate"])]
              if "debate" in ip else []),
            _latency_row("search + party/house filter", ip["search_filtered"]),
            *([_latency_row("search + party/house filter + facets",
                            ip["search_filtered_facets"])]
              if "search_filtered_facets" in ip else []),
            _latency_row("embed query only, 1 torch thread*", ip["embed_only_1_thread"]),
        ]))
    sections[-1] += ("\n* diagnostic: torch.set_num_threads(1) in this process; the library "
                     "leaves torch's default")
    if batch := ip.get("batch"):
        from bench.latency import BATCH_HEADERS, BATCH_TITLE, batch_rows

        sections.append(table(BATCH_TITLE, BATCH_HEADERS, batch_rows(batch), align="lrrl"))
    searches = {f"search ({ip['config']['mode']}, the default)": ip["search"],
                **{f"search, {mode} only": s for mode, s in ip["modes"].items()},
                "search + party/house filter": ip["search_filtered"]}
    timed = {name: s["stages_ms"] for name, s in searches.items() if "stages_ms" in s}
    if timed:
        sections.append(stages_table("Where the in-process searches' time goes", timed))
    http = results["http"]
    if "error" in http:  # the warning below says why
        return "\n\n".join([*sections, *_warnings(results)])
    conc, faceted = http["concurrent"], http.get("sequential_facets")
    speakers = http.get("sequential_facets_speaker")
    sections.append(table(f"Query latency over HTTP (GET /search, k=10, {http.get('mode')} "
                          "mode, debate-search serve)",
                          (*LATENCY_HEADERS, "failures"), [
        [*_latency_row("1 client, sequential", http["sequential"]),
         http["sequential"]["failures"]],
        *([[*_latency_row("1 client, sequential, every facet", faceted), faceted["failures"]]]
          if faceted else []),
        *([[*_latency_row("1 client, sequential, speaker facet", speakers),
            speakers["failures"]]] if speakers else []),
        [*_latency_row(f"{conc['clients']} concurrent clients", conc), conc["failures"]],
    ]))
    if faceted:
        sections[-1] += ("\nEvery facet (party, house, kind, parliament, date) costs "
                         f"{faceted['p95_ms'] / http['sequential']['p95_ms']:.2f}x "
                         "a plain search's p95.")
    if speakers:
        sections[-1] += (f"\nThe speaker facet costs "
                         f"{speakers['p95_ms'] / http['sequential']['p95_ms']:.2f}x "
                         "a plain search's p95.")
    mem = http["memory"]
    sections.append(table("Server (debate-search serve)", ("", "value"), [
        ["start-up until /health answers", f"{http['startup_seconds']:.1f} s"],
        ["first /search after /health", f"{http['first_query_seconds']:.1f} s"],
        ["RSS at first /health", _mib(mem["rss_at_health_bytes"])],
        ["RSS after warm-up", _mib(mem["rss_after_warmup_bytes"])],
        [f"RSS peak sampled during queries ({mem['rss_samples']:,} samples)",
         _mib(mem["rss_sampled_peak_bytes"])],
        ["RSS peak (VmHWM, whole life)", _mib(mem["vmhwm_bytes"])],
        ["exit after SIGINT", http["exit_code"]],
    ]))
    return "\n\n".join([*sections, *_warnings(results)])


def _warnings(results: dict) -> list[str]:
    return [*(f"NOTE: {n}" for n in results.get("notes", [])),
            *(f"WARNING: {w}" for w in results["warnings"])]


def write_json(path: Path, data: dict) -> None:
    """Write benchmark results as JSON, making the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write_results(path: Path, data: dict, text: str) -> None:
    """The results as JSON at `path` and their tables, `text`, beside it (.txt), printed."""
    print(text)
    write_json(path, data)
    path.with_suffix(".txt").write_text(text + "\n")
    print(f"Written to {path} (tables: {path.with_suffix('.txt')})")
