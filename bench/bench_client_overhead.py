"""Per-call overhead of the marvin2 client against the PyPI ``cs`` client.

A trivial management server (its own process, so it does not share the
clients' GIL) answers every request with a small listZones. Both clients call
listZones the same number of times, interleaved in blocks so that machine
noise hits both alike; a bare http.client keep-alive GET of the same URL is
the floor (the HTTP round trip with no client at all). Goal: marvin2/cs <= 1.0.

    python bench/bench_client_overhead.py [--calls 2000] [--block 50]
"""
from __future__ import annotations

import argparse
import http.server
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZONES = {"listzonesresponse": {"count": 2, "zone": [
    {"id": "1f3c1f6e-4d5e-4f00-9a10-000000000001", "name": "zim1", "networktype": "Advanced", "allocationstate": "Enabled"},
    {"id": "1f3c1f6e-4d5e-4f00-9a10-000000000002", "name": "zim2", "networktype": "Advanced", "allocationstate": "Enabled"},
]}}
APIS = {"listapisresponse": {"count": 1, "api": [{
    "name": "listZones", "isasync": False, "description": "Lists zones",
    "params": [{"name": n, "type": t, "required": False, "length": 255, "description": n} for n, t in
               [("id", "uuid"), ("name", "string"), ("available", "boolean"), ("page", "integer"), ("pagesize", "integer")]],
    "response": [{"name": "id", "type": "string", "description": "id"}],
}]}}
CAPS = {"listcapabilitiesresponse": {"capability": {"cloudstackversion": "4.18.0.0"}}}


def serve(port_queue) -> None:
    bodies = {name: json.dumps(body).encode() for name, body in
              (("listZones", ZONES), ("listApis", APIS), ("listCapabilities", CAPS))}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # one buffered write per response (no Nagle stalls)

        def log_message(self, *args):
            pass

        def do_GET(self):
            command = "listZones"
            for part in self.path.split("?", 1)[-1].split("&"):
                if part.startswith("command="):
                    command = part[8:]
            body = bodies.get(command, bodies["listZones"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per client")
    parser.add_argument("--block", type=int, default=50, help="calls per interleaved block")
    args = parser.parse_args()

    import http.client

    import cs

    import marvin2

    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    url = f"http://127.0.0.1:{port}/client/api"
    with tempfile.TemporaryDirectory() as cache:
        api = marvin2.connect(url, api_key="KEY", secret_key="SECRET", cache_dir=cache)
        other = cs.CloudStack(endpoint=url, key="KEY", secret="SECRET")
        raw = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        raw_path = "/client/api?command=listZones&response=json"

        def run_marvin2():
            api.listZones()

        def run_cs():
            other.listZones()

        def run_raw():
            raw.request("GET", raw_path)
            json.loads(raw.getresponse().read())

        runners = {"marvin2": run_marvin2, "cs": run_cs, "http.client (floor)": run_raw}
        assert api.listZones() == other.listZones()["zone"], "both clients must see the same zones"
        for run in runners.values():  # warm up connections and caches
            for _ in range(20):
                run()
        blocks: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(max(1, args.calls // args.block)):
            for name, run in runners.items():
                started = time.perf_counter()
                for _ in range(args.block):
                    run()
                blocks[name].append((time.perf_counter() - started) / args.block)
        api.close()
    server.terminate()

    per_call = {name: statistics.median(values) for name, values in blocks.items()}
    floor = per_call["http.client (floor)"]
    print(f"calls per client: {len(blocks['cs']) * args.block}, interleaved in blocks of {args.block}")
    for name, value in per_call.items():
        extra = "" if "floor" in name else f"  (over the floor: {(value - floor) * 1e6:7.1f} us)"
        print(f"  {name:<20} median per call {value * 1e6:8.1f} us{extra}")
    ratio = per_call["marvin2"] / per_call["cs"]
    overhead_ratio = (per_call["marvin2"] - floor) / max(per_call["cs"] - floor, 1e-9)
    print(f"marvin2/cs per-call ratio: {ratio:.3f} (goal <= 1.0) {'OK' if ratio <= 1.0 else 'MISSED'}")
    print(f"marvin2/cs ratio of client overhead above the bare HTTP floor: {overhead_ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
