"""Overload and soak over loopback HTTP: `python -m bench.load`.

Starts `debate-search serve` on an index, then for each number of clients keeps that many
searches going for a fixed time (closed loop: each client sends its next query when the last
is answered). A refused request (503 with Retry-After, interfaces/http/shedding.py) is timed
on its own, and its client waits the Retry-After it was given, as a well-behaved client does.
Then `--impatient` clients (64) run as impatient scripts do: no back-off, a refused client asks
again at once; what matters there is how many searches are still answered a second (the
goodput), as a ratio of the smallest polite level's. Reports, per level: accepted and refused
counts, any other status, accepted latency p50/p95/p99, refusal latency, and the CPU time the
server and the clients used (on one machine they share the cores). Last, the impatient clients
run with every search the server takes held in flight, so that all they get is refusals: the
server's CPU time a refusal, on its own (what a flood costs the server, whoever sends it).

`--soak SECONDS` then runs `--soak-clients` clients that long and samples the server's
resident memory: its growth after warm-up (the first `--soak-warmup` seconds) is the figure.

The clients are threads with blocking httpx clients, eight to a process: a single process
(asyncio or threads) timed its own queueing, not the server's (CLIENTS_PER_PROCESS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
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
# One Python process cannot time 64 clients on 2 busy cores: its own queueing (GIL, event
# loop) showed refusals the server sent in 7 ms as taking seconds. 8 threads a process can.
CLIENTS_PER_PROCESS = 8
CLIENT_NICENESS = -10
# Even so, 64 client threads on 2 cores wait for one another: one more client, alone in its
# process, asks every PROBE_PACE_S (whatever the answer) and times the server as a single
# user sees it under that load (refusals the server sent in 5-19 ms, the 64 timed at 70-100).
PROBE_PACE_S = 0.1
REFUSALS_ALONE_S = 10
MAX_HELD = 1000
ADMITTED_AFTER_S = 0.5
HELD_BODY = json.dumps({"q": "swine flu vaccination", "k": 10}).encode()


def _client(base_url: str, queries: list[str], first: int, start: float, until: float,
            outcome: dict[str, list], pace: float | None = None,
            impatient: bool = False) -> None:
    """One closed-loop client from `start` to `until` (wall clock); with `pace`, the probe:
    a pause of `pace` seconds after every answer, refused or not; `impatient`: no wait for
    the Retry-After of a refusal."""
    i = first
    time.sleep(max(0.0, start - time.time()))
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as http:
        while time.time() < until:
            started = time.perf_counter()
            try:
                response = http.get("/search", params={"q": queries[i % len(queries)], "k": 10})
            except httpx.TransportError as exc:  # counted, not fatal: the run goes on
                outcome["errors"].append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                i += 1
            seconds = time.perf_counter() - started
            if response.status_code == 200:
                outcome["accepted"].append(seconds)
            elif response.status_code == 503 and "Retry-After" in response.headers:
                outcome["refused"].append(seconds)
                if pace is None and not impatient:
                    time.sleep(float(response.headers["Retry-After"]))
            else:
                outcome["errors"].append(f"{response.status_code}: {response.text[:200]}")
            if pace is not None:
                time.sleep(pace)


def _process(base_url: str, queries: list[str], firsts: list[int], start: float,
             until: float, pace: float | None = None, impatient: bool = False) -> dict:
    """Clients in threads, one per entry of `firsts` (where each starts in `queries`), and
    the CPU seconds this process used while they ran."""
    outcome: dict = {"accepted": [], "refused": [], "errors": []}
    threads = [threading.Thread(target=_client, args=(base_url, queries, first, start, until,
                                                      outcome, pace, impatient))
               for first in firsts]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start - time.time()))
    cpu_started = time.process_time()
    for thread in threads:
        thread.join()
    outcome["cpu_s"] = time.process_time() - cpu_started
    return outcome


def _before_the_server() -> None:
    """A client process runs at a higher priority than the server where allowed (root, or
    CAP_SYS_NICE): it mostly waits on sockets, and when an answer comes it should read it
    then, not after the server's busy threads have had the cores (what it times is the
    server's latency, not its own wait for a core)."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, CLIENT_NICENESS)
    except PermissionError:
        pass


def _level(server: Server, queries: list[str], clients: int, seconds: float,
           impatient: bool = False) -> dict:
    """`clients` clients for `seconds`, spread over processes (CLIENTS_PER_PROCESS each)."""
    firsts = [i * len(queries) // clients for i in range(clients)]
    groups = [firsts[i:i + CLIENTS_PER_PROCESS]
              for i in range(0, clients, CLIENTS_PER_PROCESS)]
    start = time.time() + 2.0  # every process started and connected before the clock runs
    base_url, server_process = server.base_url, psutil.Process(server.proc.pid)
    with ProcessPoolExecutor(len(groups) + 1, initializer=_before_the_server) as pool:
        probe = pool.submit(_process, base_url, queries, [0], start, start + seconds,
                            PROBE_PACE_S)
        parts = [pool.submit(_process, base_url, queries, group, start, start + seconds,
                             None, impatient) for group in groups]
        time.sleep(max(0.0, start - time.time()))
        server_cpu = _cpu_seconds(server_process)
        parts, probe = [part.result() for part in parts], probe.result()
        server_cpu = _cpu_seconds(server_process) - server_cpu
    outcome = {key: [x for part in parts for x in part[key]]
               for key in ("accepted", "refused", "errors")}
    return {"clients": clients, "seconds": seconds, "impatient": impatient,
            "cpu_s": {"server": server_cpu, "clients": sum(part["cpu_s"] for part in parts),
                      "available": seconds * (os.cpu_count() or 1)},
            "accepted": summarize(outcome["accepted"], seconds),
            "refused": summarize(outcome["refused"], seconds),
            "errors": len(outcome["errors"]), "error_examples": outcome["errors"][:5],
            "probe": {"accepted": summarize(probe["accepted"]),
                      "refused": summarize(probe["refused"]), "errors": len(probe["errors"])}}


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _answered_vs_polite(levels: list[dict]) -> dict | None:
    """Searches answered a second by the impatient clients, as a fraction of the smallest
    polite level's (a flood of refusals must not take the searches' share of the cores)."""
    polite = [level for level in levels if not level["impatient"]]
    impatient = [level for level in levels if level["impatient"]]
    if not polite or not impatient:
        return None
    baseline = min(polite, key=lambda level: level["clients"])
    answered = impatient[-1]["accepted"].get("per_s", 0.0)
    return {"impatient_clients": impatient[-1]["clients"],
            "polite_clients": baseline["clients"], "answered_per_s": answered,
            "polite_answered_per_s": baseline["accepted"]["per_s"],
            "ratio": answered / baseline["accepted"]["per_s"]}


@contextlib.contextmanager
def _searches_held(server: Server) -> Iterator[int]:
    """Searches held in flight, one more until the server refuses one: each sends its headers
    and the first byte of its body, so the server admits it and waits for the rest (an idle
    server answers a refusal in a millisecond; a search with no answer in ADMITTED_AFTER_S is
    taken as admitted). At the end the rest is sent and each answered."""
    held: list[socket.socket] = []
    try:
        while len(held) < MAX_HELD:
            search = socket.create_connection(("127.0.0.1", server.port),
                                              timeout=ADMITTED_AFTER_S)
            search.sendall(b"POST /search HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                           % len(HELD_BODY) + HELD_BODY[:1])
            try:
                search.recv(65536)
            except TimeoutError:
                held.append(search)
                continue
            search.close()  # refused: every place is held
            break
        else:
            raise RuntimeError(f"{MAX_HELD} searches held in flight, and still more admitted")
        yield len(held)
    finally:
        for search in held:
            search.settimeout(REQUEST_TIMEOUT_S)
            search.sendall(HELD_BODY[1:])
        for search in held:
            while search.recv(65536):  # the answer, then the server closes the connection
                pass
            search.close()


def _refusals_alone(server: Server, queries: list[str], clients: int) -> dict:
    """`clients` impatient clients against a server whose every search place is held: the
    server's CPU time a refusal, and the clients' a request."""
    with _searches_held(server) as held:
        level = _level(server, queries, clients, REFUSALS_ALONE_S, impatient=True)
    refused = level["refused"]["count"] + level["probe"]["refused"]["count"]
    return {**level, "held": held,
            "server_us_a_refusal": 1e6 * level["cpu_s"]["server"] / max(1, refused),
            "clients_us_a_request": 1e6 * level["cpu_s"]["clients"]
            / max(1, level["refused"]["count"] + level["accepted"]["count"])}


def _soak(server: Server, queries: list[str], clients: int, seconds: float,
          warmup: float) -> dict:
    process = psutil.Process(server.proc.pid)
    samples: list[tuple[float, int]] = []
    with ThreadPoolExecutor(1) as background:
        load = background.submit(_level, server, queries, clients, seconds)
        started = time.perf_counter()
        while not load.done():
            samples.append((time.perf_counter() - started, process.memory_info().rss))
            time.sleep(RSS_EVERY_S)
        level = load.result()
    samples.append((time.perf_counter() - started, process.memory_info().rss))
    after_warmup = [rss for t, rss in samples if t >= warmup]
    base, end = after_warmup[0], after_warmup[-1]
    return {**level, "warmup_s": warmup, "rss_after_warmup": base, "rss_end": end,
            "rss_max": max(after_warmup), "rss_growth_pct": 100.0 * (end - base) / base,
            "rss_samples": samples}


def run(index_dir: Path, levels: list[int], impatient: int, seconds: float, soak_s: float,
        soak_clients: int, soak_warmup: float) -> dict:
    queries = build_query_set(index_dir, 200)
    workdir = RESULTS / "load"
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine_info(), "index": str(index_dir), "levels": []}
    with Server(index_dir, workdir / "server.log") as server:
        for query in queries[:10]:  # warm up the model and caches
            httpx.get(f"{server.base_url}/search", params={"q": query}, timeout=60)
        for clients in levels:
            results["levels"].append(_level(server, queries, clients, seconds))
        if impatient:
            results["levels"].append(_level(server, queries, impatient, seconds, True))
            results["answered_vs_polite"] = _answered_vs_polite(results["levels"])
            results["refusals_alone"] = _refusals_alone(server, queries, impatient)
        if soak_s:
            results["soak"] = _soak(server, queries, soak_clients, soak_s, soak_warmup)
    return results


def render(results: dict) -> str:
    levels = results["levels"] + ([results["soak"]] if "soak" in results else [])
    rows, probes, cpu = [], [], []
    for level in levels:
        ok, no = level["accepted"], level["refused"]
        retry = "at once" if level["impatient"] else "after"
        rows.append([level["clients"], retry, round(level["seconds"]), ok["count"],
                     no["count"], level["errors"], ok.get("per_s"), ok.get("p50_ms"),
                     ok.get("p95_ms"), ok.get("p99_ms"), no.get("p95_ms"), no.get("max_ms")])
        used = level["cpu_s"]
        cpu.append([level["clients"], retry, used["server"], used["clients"],
                    100 * used["server"] / used["available"],
                    100 * used["clients"] / used["available"],
                    1000 * used["clients"] / max(1, ok["count"] + no["count"])])
        ok, no = level["probe"]["accepted"], level["probe"]["refused"]
        probes.append([level["clients"], ok["count"], no["count"], level["probe"]["errors"],
                       ok.get("p50_ms"), ok.get("p95_ms"), ok.get("max_ms"), no.get("p50_ms"),
                       no.get("p95_ms"), no.get("max_ms")])
    lines = [table("GET /search under load, as the clients time it (loopback; refused = 503 "
                   "+ Retry-After)",
                   ["clients", "retry", "s", "accepted", "refused", "errors", "accepted/s",
                    "p50 ms", "p95 ms", "p99 ms", "refused p95 ms", "refused max ms"], rows),
             table(f"The probe beside them (one client, a query every {PROBE_PACE_S} s)",
                   ["clients", "accepted", "refused", "errors", "p50 ms", "p95 ms", "max ms",
                    "refused p50 ms", "refused p95 ms", "refused max ms"], probes),
             table("CPU time used while they ran (server and clients share the cores; "
                   "retry after = the Retry-After, at once = impatient)",
                   ["clients", "retry", "server s", "clients s", "server % of cores",
                    "clients % of cores", "clients ms a request"], cpu)]
    if versus := results.get("answered_vs_polite"):
        lines.append(f"{versus['impatient_clients']} impatient clients: "
                     f"{versus['answered_per_s']:.1f} searches answered/s, "
                     f"{versus['ratio']:.2f} of the {versus['polite_answered_per_s']:.1f}/s "
                     f"of {versus['polite_clients']} polite clients")
    if alone := results.get("refusals_alone"):
        no = alone["refused"]
        lines.append(f"refusals alone ({alone['held']} searches held in flight, "
                     f"{alone['clients']} impatient clients, {alone['seconds']:.0f} s): "
                     f"{no['count']:,} refused ({no.get('per_s', 0):,.0f}/s, p50 "
                     f"{no.get('p50_ms', 0):.1f} ms, p95 {no.get('p95_ms', 0):.1f} ms), "
                     f"{alone['accepted']['count']} accepted, {alone['errors']} errors; "
                     f"server {alone['server_us_a_refusal']:.0f} us CPU a refusal, clients "
                     f"{alone['clients_us_a_request']:.0f} us a request")
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
                        help="concurrent clients, one run each, waiting the Retry-After of "
                             "a refusal [8 64]")
    parser.add_argument("--impatient", type=int, default=64, metavar="CLIENTS",
                        help="then a run of this many clients that ask again at once when "
                             "refused (0: none) [64]")
    parser.add_argument("--seconds", type=float, default=30, help="per run [30]")
    parser.add_argument("--soak", type=float, default=0, metavar="SECONDS",
                        help="then a soak run this long (0: none) [0]")
    parser.add_argument("--soak-clients", type=int, default=4, help="[4]")
    parser.add_argument("--soak-warmup", type=float, default=60,
                        help="seconds of the soak before memory is the baseline [60]")
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()
    if args.soak and args.soak <= args.soak_warmup:
        parser.error("--soak must be longer than --soak-warmup")
    results = run(args.index, args.clients, args.impatient, args.seconds, args.soak,
                  args.soak_clients, args.soak_warmup)
    print(render(results))
    write_json(args.out, results)
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
