"""Time to build the API object from a cached spec of 705 APIs (the 4.18 capture).

Measured side by side in one run (medians of N rounds):
- load the cache file + build Spec and API object (no network);
- a full ``marvin2.connect()`` with a warm cache against a local server
  (one listCapabilities round trip to learn the version);
- for comparison, parsing the raw capture file, and the first call's lazy
  parse of one API.
Goal: building from the cache <= 100 ms.

    python bench/bench_spec_build.py [--rounds 20]
"""
from __future__ import annotations

import argparse
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CAPTURE = ROOT / "tests" / "data" / "listApis-4.18.0.0.json.gz"  # the 4.18 capture, facts only


def start_version_server() -> tuple[http.server.HTTPServer, str]:
    body = json.dumps({"listcapabilitiesresponse": {"capability": {"cloudstackversion": "4.18.0.0"}}}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1

        def log_message(self, *args):
            pass

        def do_GET(self):
            if "command=listCapabilities" not in self.path:
                self.send_error(500, "only listCapabilities is expected with a warm cache")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/client/api"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import marvin2
    from marvin2.client import API, Spec, SpecCache
    from marvin2.client.transport import ServerSettings, Transport

    server, url = start_version_server()
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = SpecCache(cache_dir)
        capture = Spec.from_file(CAPTURE)
        settings = ServerSettings(url, api_key="KEY", secret_key="SECRET")
        path = cache.path_for(url, "4.18.0.0", settings.identity)
        cache.store(path, capture)
        print(f"spec: {len(capture)} APIs, cache file {path.stat().st_size / 1e6:.1f} MB")

        from_cache, connect_warm, raw_parse, first_call = [], [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            spec = cache.load(path)
            api = API(Transport([settings]), spec)
            from_cache.append(time.perf_counter() - started)
            assert len(api.spec) == 705

            started = time.perf_counter()
            api.deployVirtualMachine  # noqa: B018 - first lookup parses that API
            first_call.append(time.perf_counter() - started)
            api.close()

            started = time.perf_counter()
            connected = marvin2.connect(url, api_key="KEY", secret_key="SECRET", cache_dir=cache_dir)
            connect_warm.append(time.perf_counter() - started)
            assert len(connected.spec) == 705
            connected.close()

            started = time.perf_counter()
            Spec.from_file(CAPTURE)
            raw_parse.append(time.perf_counter() - started)
    server.shutdown()

    build = median_ms(from_cache)
    print(f"rounds: {args.rounds}")
    print(f"  build API object from the cache file      {build:7.1f} ms  (goal <= 100 ms) {'OK' if build <= 100 else 'MISSED'}")
    print(f"  marvin2.connect() with a warm cache       {median_ms(connect_warm):7.1f} ms  (includes one listCapabilities round trip)")
    print(f"  parse the 4.18 capture (gzip, no cache)   {median_ms(raw_parse):7.1f} ms")
    print(f"  first lookup of one API (lazy parse)      {median_ms(first_call):7.3f} ms")
    print(f"ratio build-from-cache / goal: {build / 100:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
