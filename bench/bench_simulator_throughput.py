"""Simulator throughput: signed listZones calls from 8 concurrent keep-alive clients.

Starts ``marvin2 simulator`` in its own process (so the clients' Python does
not share a GIL with the server), then runs 8 client threads, each with one
persistent HTTP/1.1 connection, for a fixed time. Prints calls/s, latency
percentiles and errors, and checks them against the goals:
>= 1,000 calls/s, p99 <= 50 ms, zero errors.

    python bench/bench_simulator_throughput.py [--seconds 5] [--clients 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from marvin2 import wire

GOAL_RATE, GOAL_P99_MS = 1000.0, 50.0


def start_server(tmp: Path) -> tuple[subprocess.Popen, dict]:
    ready = tmp / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--profile", "instant",
                             "--ready-file", str(ready)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"the simulator did not start: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())


def signed_path(info: dict, command: str) -> str:
    params = {"command": command, "response": "json", "apiKey": info["api_key"]}
    params["signature"] = wire.sign(params, info["secret_key"])
    return urlsplit(info["endpoint"]).path + "?" + "&".join(f"{k}={wire.java_urlencode(v)}" for k, v in params.items())


def client(host: str, port: int, path: str, stop: threading.Event, latencies: list, errors: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            reply = conn.getresponse()
            body = reply.read()
            if reply.status != 200 or b'"zone"' not in body:
                errors.append(f"HTTP {reply.status}: {body[:200]!r}")
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc, info = start_server(Path(tmp))
        try:
            target = urlsplit(info["endpoint"])
            path = signed_path(info, "listZones")
            # warm-up round (connections, caches), not measured
            for phase, seconds in (("warmup", args.warmup), ("measure", args.seconds)):
                stop = threading.Event()
                latencies: list[float] = []
                errors: list[str] = []
                threads = [threading.Thread(target=client, args=(target.hostname, target.port, path, stop, latencies, errors))
                           for _ in range(args.clients)]
                began = time.perf_counter()
                for t in threads:
                    t.start()
                time.sleep(seconds)
                stop.set()
                for t in threads:
                    t.join(15)
                elapsed = time.perf_counter() - began
        finally:
            proc.terminate()
            proc.wait(10)
    latencies.sort()
    rate = len(latencies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("inf")
    worst = latencies[-1] * 1000 if latencies else float("inf")
    print(f"simulator throughput: {args.clients} clients, {elapsed:.1f} s, {len(latencies)} signed listZones calls")
    print(f"  rate   {rate:8.0f} calls/s   (goal >= {GOAL_RATE:.0f})   ratio {rate / GOAL_RATE:.2f}")
    print(f"  p50    {p50:8.2f} ms")
    print(f"  p99    {p99:8.2f} ms        (goal <= {GOAL_P99_MS:.0f})   ratio {p99 / GOAL_P99_MS:.2f}")
    print(f"  max    {worst:8.2f} ms")
    print(f"  errors {len(errors):8d}           (goal 0){'  first: ' + errors[0] if errors else ''}")
    ok = rate >= GOAL_RATE and p99 <= GOAL_P99_MS and not errors
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
