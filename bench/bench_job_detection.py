"""How soon the client notices that an async job finished.

A local management server (own process) runs jobs that finish at known
times (CLOCK_MONOTONIC, shared by both processes on Linux) and reports the
finish time in the job result. For jobs of 0.2-5 s the client's latency is
(moment the wait returned) - (moment the job finished). The ``cs`` client
(fixed 2 s polling) runs the same jobs, interleaved, for comparison.
Goal: median marvin2 latency <= 50 ms.

    python bench/bench_job_detection.py [--jobs 12] [--no-cs]
"""
from __future__ import annotations

import argparse
import http.server
import json
import multiprocessing
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def serve(port_queue) -> None:
    jobs: dict[str, float] = {}
    polls: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1

        def log_message(self, *args):
            pass

        def answer(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def do_GET(self):
            self.handle_params(dict(parse_qsl(urlsplit(self.path).query)))

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.handle_params(dict(parse_qsl(self.rfile.read(length).decode())))

        def handle_params(self, params):
            command = params.get("command")
            now = time.monotonic()
            if command == "deployVirtualMachine":
                jobid = str(uuid.uuid4())
                with lock:
                    jobs[jobid] = now + float(params["duration"])
                    polls[jobid] = 0
                self.answer({"deployvirtualmachineresponse": {"jobid": jobid, "id": jobid}})
            elif command == "queryAsyncJobResult":
                jobid = params["jobid"]
                with lock:
                    finish = jobs[jobid]
                    polls[jobid] += 1
                    count = polls[jobid]
                inner = {"jobid": jobid, "jobstatus": 0, "jobresultcode": 0}
                if now >= finish:
                    inner.update(jobstatus=1, jobresulttype="object",
                                 jobresult={"virtualmachine": {"id": jobid, "finished_at": finish, "polls": count}})
                self.answer({"queryasyncjobresultresponse": inner})
            else:
                self.answer({"errorresponse": {"errorcode": 432, "errortext": f"Unknown API command: {command}"}})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def durations(count: int) -> list[float]:
    # Log-spaced from 0.2 s to 5 s: as many short jobs as long ones.
    if count == 1:
        return [1.0]
    return [round(0.2 * (25 ** (i / (count - 1))), 3) for i in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=12, help="jobs per client (durations 0.2-5 s)")
    parser.add_argument("--no-cs", action="store_true", help="skip the cs comparison (halves the run time)")
    args = parser.parse_args()

    import cs

    import marvin2.client as client
    from marvin2.client import Spec

    spec = Spec(
        [
            {"name": "deployVirtualMachine", "isasync": True, "params": [{"name": "duration", "type": "string", "required": True}]},
            {"name": "queryAsyncJobResult", "isasync": False, "params": [{"name": "jobid", "type": "uuid", "required": True}]},
        ],
        version="bench",
    )
    queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get(timeout=30)}/client/api"
    api = client.connect(url, api_key="KEY", secret_key="SECRET", spec=spec)
    other = cs.CloudStack(endpoint=url, key="KEY", secret="SECRET", fetch_result=True, job_timeout=60)

    rows = []
    for duration in durations(args.jobs):
        vm = api.deployVirtualMachine(duration=str(duration))
        marvin_latency = time.monotonic() - vm.finished_at
        marvin_polls = vm.polls
        cs_latency = cs_polls = None
        if not args.no_cs:
            result = other.deployVirtualMachine(duration=str(duration))["virtualmachine"]
            cs_latency = time.monotonic() - result["finished_at"]
            cs_polls = result["polls"]
        rows.append((duration, marvin_latency, marvin_polls, cs_latency, cs_polls))
    api.close()
    server.terminate()

    print(f"{'job (s)':>8} {'marvin2 latency (ms)':>21} {'polls':>6}" + ("" if args.no_cs else f" {'cs latency (ms)':>16} {'polls':>6}"))
    for duration, ml, mp, cl, cp in rows:
        line = f"{duration:8.2f} {ml * 1000:21.1f} {mp:6d}"
        if cl is not None:
            line += f" {cl * 1000:16.1f} {cp:6d}"
        print(line)
    median = statistics.median(r[1] for r in rows) * 1000
    worst = max(r[1] for r in rows) * 1000
    print(f"marvin2 median detection latency: {median:.1f} ms (goal <= 50 ms) {'OK' if median <= 50 else 'MISSED'}; worst {worst:.1f} ms")
    if not args.no_cs:
        cs_median = statistics.median(r[3] for r in rows) * 1000
        print(f"cs median detection latency: {cs_median:.1f} ms; marvin2/cs latency ratio {median / cs_median:.3f}")
        print(f"polls per job: marvin2 {statistics.mean(r[2] for r in rows):.1f}, cs {statistics.mean(r[4] for r in rows):.1f} (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
