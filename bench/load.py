"""Overload and soak over loopback HTTP: `python -m bench.load`.

Starts `debate-search serve` on an index, then for each number of clients keeps that many
searches going for a fixed time (closed loop: each client sends its next query when the last
is answered). A refused request (503 with Retry-After, interfaces/http/shedding.py) is timed
on its own, and its client waits the Retry-After it was given, as a well-behaved client does.
Reports, per level: accepted and refused counts, any other status, accepted latency
p50/p95/p99 and refusal latency.

`--soak SECONDS` then runs `--soak-clients` clients that long and samples the server's
resident memory: its growth after warm-up (the first `--soak-warmup` seconds) is the figure.

The clients are asyncio tasks on one httpx.AsyncClient: 64 of them cost the 2-core machine
far less than 64 threads, so the server, not the load generator, sets the latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx
import psutil

from bench import RESULTS, ROOT
from bench.latency import summarize
from bench.queries import build_query_set
from bench.report import machine_info, table, write_json
from bench.server import Server

REQUEST_TIMEOUT_S = 60
RSS_EVERY_S = 5.0


async def _client(http: httpx.AsyncClient, queries: list[str], first: int, until: float,
                  outcome: dict[str, list]) -> None:
    i = first
    while time.perf_counter() < until:
        started = time.perf_counter()
        response = await http.get("/search", params={"q": queries[i % len(queries)], "k": 10})
        seconds = time.perf_counter() - started
        i += 1
        if response.status_code == 200:
            outcome["accepted"].append(seconds)
        elif response.status_code == 503 and "Retry-After" in response.headers:
            outcome["refused"].append(seconds)
            await asyncio.sleep(float(response.headers["Retry-After"]))
        else:
            outcome["errors"].append(f"{response.status_code}: {response.text[:200]}")


async def _level(base_url: str, queries: list[str], clients: int, seconds: float) -> dict:
    outcome: dict[str, list] = {"accepted": [], "refused": [], "errors": []}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT_S,
                                 limits=limits) as http:
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_client(http, queries, i * len(queries) // clients, until,
                                       outcome) for i in range(clients)))
        wall = time.perf_counter() - started
    return {"clients": clients, "seconds": wall,
            "accepted": summarize(outcome["accepted"], wall),
            "refused": summarize(outcome["refused"], wall),
            "errors": len(outcome["errors"]), "error_examples": outcome["errors"][:5]}


async def _soak(server: Server, queries: list[str], clients: int, seconds: float,
                warmup: float) -> dict:
    process = psutil.Process(server.proc.pid)
    samples: list[tuple[float, int]] = []
    started = time.perf_counter()

    async def sample() -> None:
        while time.perf_counter() - started < seconds:
            samples.append((time.perf_counter() - started, process.memory_info().rss))
            await asyncio.sleep(RSS_EVERY_S)

    level, _ = await asyncio.gather(_level(server.base_url, queries, clients, seconds),
                                    sample())
    samples.append((time.perf_counter() - started, process.memory_info().rss))
    after_warmup = [rss for t, rss in samples if t >= warmup]
    base, end = after_warmup[0], after_warmup[-1]
    return {**level, "warmup_s": warmup, "rss_after_warmup": base, "rss_end": end,
            "rss_max": max(after_warmup), "rss_growth_pct": 100.0 * (end - base) / base,
            "rss_samples": samples}


def run(index_dir: Path, levels: list[int], seconds: float, soak_s: float, soak_clients: int,
        soak_warmup: float) -> dict:
    queries = build_query_set(index_dir, 200)
    workdir = RESULTS / "load"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine_info(), "index": str(index_dir), "levels": []}
    with Server(index_dir, workdir / "server.log") as server:
        for query in queries[:10]:  # warm up the model and caches
            httpx.get(f"{server.base_url}/search", params={"q": query}, timeout=60)
        for clients in levels:
            results["levels"].append(asyncio.run(_level(server.base_url, queries, clients,
                                                        seconds)))
        if soak_s:
            results["soak"] = asyncio.run(_soak(server, queries, soak_clients, soak_s,
                                                soak_warmup))
    return results


def render(results: dict) -> str:
    rows = []
    for level in results["levels"] + ([results["soak"]] if "soak" in results else []):
        ok, no = level["accepted"], level["refused"]
        rows.append([level["clients"], round(level["seconds"]), ok["count"], no["count"],
                     level["errors"], ok.get("per_s"), ok.get("p50_ms"), ok.get("p95_ms"),
                     ok.get("p99_ms"), no.get("p95_ms"), no.get("max_ms")])
    lines = [table("GET /search under load (loopback; refused = 503 + Retry-After)",
                   ["clients", "s", "accepted", "refused", "errors", "accepted/s",
                    "p50 ms", "p95 ms", "p99 ms", "refused p95 ms", "refused max ms"], rows)]
    if "soak" in results:
        soak = results["soak"]
        lines.append(f"soak: {soak['clients']} clients for {soak['seconds']:.0f} s; server RSS "
                     f"{soak['rss_after_warmup'] / 2**20:.1f} MiB after {soak['warmup_s']:.0f} s "
                     f"of warm-up -> {soak['rss_end'] / 2**20:.1f} MiB at the end "
                     f"({soak['rss_growth_pct']:+.2f}%), max {soak['rss_max'] / 2**20:.1f} MiB")
    return "\n\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "index",
                        help="a built index [var/index: `make index`]")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 64],
                        help="concurrent clients, one run each [8 64]")
    parser.add_argument("--seconds", type=float, default=30, help="per run [30]")
    parser.add_argument("--soak", type=float, default=0, metavar="SECONDS",
                        help="then a soak run this long (0: none) [0]")
    parser.add_argument("--soak-clients", type=int, default=4, help="[4]")
    parser.add_argument("--soak-warmup", type=float, default=60,
                        help="seconds of the soak before memory is the baseline [60]")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()
    results = run(args.index, args.clients, args.seconds, args.soak, args.soak_clients,
                  args.soak_warmup)
    print(render(results))
    write_json(args.out, results)
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
