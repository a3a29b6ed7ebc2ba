"""1,000 VM deploys by 16 concurrent clients against the embedded simulator, then a consistency audit.

The simulator runs as its own process (``marvin2 simulator``, fast profile),
as the pytest plugin runs it. Each client is a separate account (own API
keys, own isolated network) deploying its share of the VMs one after the
other, each deploy waited for like a real client does (queryAsyncJobResult
polling). Afterwards the admin checks, with list APIs only:

- listVirtualMachines (every page) has exactly the deployed VMs, all Running;
- each account's resource counts (listAccounts vmtotal, volumetotal,
  cputotal, memorytotal) match what it deployed;
- no two NICs of a network share an IP, and no two NICs anywhere share a MAC.

Prints the wall time and deploys/s; exits 1 when an audit check fails.

    python bench/bench_simulator_deploy.py [--vms 1000] [--clients 16] [--profile fast]
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marvin2 import wire


class Client:
    def __init__(self, endpoint: str, api_key: str, secret: str):
        self.endpoint, self.api_key, self._secret = endpoint, api_key, secret
        self.http = requests.Session()

    def call(self, command: str, **params) -> dict:
        wire_params = {"command": command, "response": "json", "apiKey": self.api_key,
                       **wire.encode_params({k: v for k, v in params.items() if v is not None}, command=command)}
        wire_params["signature"] = wire.sign(wire_params, self._secret)
        reply = self.http.get(self.endpoint, params=wire_params, timeout=60)
        _, inner = wire.unwrap_envelope(reply.json())
        if reply.status_code != 200:
            raise RuntimeError(f"{command} failed: HTTP {reply.status_code} {inner.get('errortext')}")
        return inner

    def wait(self, jobid: str, timeout: float = 120.0, interval: float = 0.05) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.call("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                if job["jobstatus"] != 1:
                    raise RuntimeError(f"job {jobid} failed: {job.get('jobresult')}")
                return job["jobresult"]
            time.sleep(interval)
        raise TimeoutError(f"job {jobid} still pending after {timeout}s")

    def all_pages(self, command: str, key: str, **params) -> list[dict]:
        items, page = [], 1
        while True:
            answer = self.call(command, page=page, pagesize=500, **params)
            items += answer.get(key, [])
            if not answer.get(key) or len(items) >= answer.get("count", 0):
                return items
            page += 1


def start_simulator(profile: str) -> tuple[subprocess.Popen, dict, str]:
    workdir = tempfile.mkdtemp(prefix="m2bench-")
    ready = Path(workdir) / "ready.json"
    log_path = Path(workdir) / "simulator.log"
    with open(log_path, "w") as log:      # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--profile",
                                    profile, "--ready-file", str(ready)], stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the simulator did not start; see {log_path}")
        time.sleep(0.05)
    time.sleep(0.05)
    info = json.loads(ready.read_text())
    return process, info, str(log_path)


def setup_accounts(admin: Client, count: int) -> list[dict]:
    accounts = []
    for index in range(count):
        name = f"bench{index:02d}-{os.getpid()}"
        account = admin.call("createAccount", username=name, password="password", email=f"{name}@example.com",
                             firstname="Bench", lastname=str(index), accounttype=0)["account"]
        keys = admin.call("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
        for resource in (0, 2, 8, 9, 10):          # VMs, volumes, CPUs, memory, primary storage: unlimited
            admin.call("updateResourceLimit", resourcetype=resource, max=-1, account=name,
                       domainid=account["domainid"])
        accounts.append({"account": account, "keys": keys})
    return accounts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--profile", default="fast", choices=["instant", "fast", "realistic"])
    args = parser.parse_args()

    process, info, log_path = start_simulator(args.profile)
    try:
        endpoint = info["endpoint"]
        admin = Client(endpoint, info.get("api_key") or info["admin_api_key"],
                       info.get("secret_key") or info["admin_secret_key"])
        zone = admin.call("listZones", name="Sandbox-simulator")["zone"][0]
        template = admin.call("listTemplates", templatefilter="featured")["template"][0]
        # Small VMs so that 1,000 of them fit on the seeded 4 hosts (32 GiB, 128 GHz in all).
        offering = admin.call("createServiceOffering", name="bench-tiny", displaytext="bench", cpunumber=1,
                              cpuspeed=50, memory=32)["serviceoffering"]
        accounts = setup_accounts(admin, args.clients)
        shares = [args.vms // args.clients + (1 if i < args.vms % args.clients else 0) for i in range(args.clients)]
        deployed: dict[str, list[str]] = collections.defaultdict(list)
        lock = threading.Lock()

        def run_client(index: int) -> None:
            entry = accounts[index]
            client = Client(endpoint, entry["keys"]["apikey"], entry["keys"]["secretkey"])
            for _ in range(shares[index]):
                answer = client.call("deployVirtualMachine", zoneid=zone["id"], templateid=template["id"],
                                     serviceofferingid=offering["id"])
                vm = client.wait(answer["jobid"])["virtualmachine"]
                with lock:
                    deployed[entry["account"]["id"]].append(vm["id"])

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            for future in [pool.submit(run_client, i) for i in range(args.clients)]:
                future.result()
        wall = time.perf_counter() - started
        total = sum(len(v) for v in deployed.values())

        # --- audit ------------------------------------------------------------------------------
        audit_started = time.perf_counter()
        problems = []
        vms = admin.all_pages("listVirtualMachines", "virtualmachine", listall=True)
        mine = [v for v in vms if v["id"] in {i for ids in deployed.values() for i in ids}]
        listed_count = admin.call("listVirtualMachines", listall=True, pagesize=1, page=1).get("count", 0)
        if total != args.vms or len(mine) != args.vms or listed_count != args.vms:
            problems.append(f"deployed {total}, listed {len(mine)} of them, listVirtualMachines count {listed_count}, "
                            f"wanted {args.vms}")
        not_running = [v["id"] for v in mine if v["state"] != "Running"]
        if not_running:
            problems.append(f"{len(not_running)} VMs are not Running")
        for entry in accounts:
            account_id = entry["account"]["id"]
            row = admin.call("listAccounts", id=account_id)["account"][0]
            expected = len(deployed[account_id])
            seen = {"vmtotal": row.get("vmtotal"), "volumetotal": row.get("volumetotal"),
                    "cputotal": row.get("cputotal"), "memorytotal": row.get("memorytotal")}
            wanted = {"vmtotal": expected, "volumetotal": expected, "cputotal": expected, "memorytotal": 32 * expected}
            if {k: int(v or 0) for k, v in seen.items()} != wanted:
                problems.append(f"account {row['name']}: counts {seen}, expected {wanted}")
        ips_by_network = collections.defaultdict(list)
        macs = []
        for vm in mine:
            for nic in vm["nic"]:
                ips_by_network[nic["networkid"]].append(nic["ipaddress"])
                macs.append(nic["macaddress"])
        duplicate_ips = sum(len(ips) - len(set(ips)) for ips in ips_by_network.values())
        duplicate_macs = len(macs) - len(set(macs))
        if duplicate_ips or duplicate_macs:
            problems.append(f"{duplicate_ips} duplicate IPs, {duplicate_macs} duplicate MACs")
        audit = time.perf_counter() - audit_started

        print(f"simulator profile:          {args.profile}")
        print(f"VMs deployed:               {total} by {args.clients} concurrent clients ({len(ips_by_network)} networks)")
        print(f"wall time:                  {wall:.2f} s")
        print(f"deploys/s:                  {total / wall:.1f}")
        print(f"mean deploy latency:        {wall * args.clients / max(total, 1) * 1000:.0f} ms (deploy + job wait)")
        print(f"audit (list + counts):      {audit:.2f} s")
        print(f"duplicate IPs / MACs:       {duplicate_ips} / {duplicate_macs}")
        print("consistency:                " + ("OK" if not problems else "FAILED"))
        for problem in problems:
            print(f"  - {problem}")
        return 1 if problems else 0
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        print(f"(simulator log: {log_path})")


if __name__ == "__main__":
    sys.exit(main())
