"""An in-memory stand-in for the API client, for the resource layer's unit tests.

It behaves like ``marvin2.client`` as the contract in docs/internals.md
describes it (commands as attributes, ``wait=False`` and ``wait_for_job``,
Records, CloudStackError/AsyncJobFailed with real error codes and texts),
with knobs to script states and failures. The real simulator replaces it
in the integration tests; this one makes the pure logic fast and exact.
"""
from __future__ import annotations

import itertools
import uuid
from typing import Any, Callable

from marvin2.client.errors import CloudStackError
from marvin2.client.record import Record

# command -> (kind, response key, async, early id)
CREATES = {
    "deployVirtualMachine": ("vm", "virtualmachine", True, True),
    "createVolume": ("volume", "volume", True, True),
    "createSnapshot": ("snapshot", "snapshot", True, True),
    "createVMSnapshot": ("vm_snapshot", "vmsnapshot", True, False),
    "createTemplate": ("template", "template", True, False),
    "createNetwork": ("network", "network", False, False),
    "createVPC": ("vpc", "vpc", True, False),
    "associateIpAddress": ("public_ip", "ipaddress", True, True),
    "createFirewallRule": ("firewall_rule", "firewallrule", True, True),
    "createPortForwardingRule": ("port_forwarding_rule", "portforwardingrule", True, True),
    "createAccount": ("account", "account", False, False),
    "createDomain": ("domain", "domain", False, False),
}
INITIAL_STATE = {"vm": "Running", "volume": "Allocated", "snapshot": "BackedUp", "vm_snapshot": "Ready",
                 "network": "Allocated", "vpc": "Enabled", "public_ip": "Allocated", "account": "enabled",
                 "firewall_rule": "Active", "port_forwarding_rule": "Active"}
LISTS = {"listVirtualMachines": "vm", "listVolumes": "volume", "listSnapshots": "snapshot",
         "listVMSnapshot": "vm_snapshot", "listTemplates": "template", "listNetworks": "network",
         "listVPCs": "vpc", "listPublicIpAddresses": "public_ip", "listFirewallRules": "firewall_rule",
         "listPortForwardingRules": "port_forwarding_rule", "listLoadBalancerRules": "lb_rule",
         "listAccounts": "account", "listUsers": "user", "listDomains": "domain", "listZones": "zone",
         "listServiceOfferings": "service_offering", "listDiskOfferings": "disk_offering",
         "listNetworkOfferings": "network_offering", "listVPCOfferings": "vpc_offering", "listOsTypes": "os_type"}
DELETES = {"deleteVolume": ("volume", False), "deleteSnapshot": ("snapshot", True),
           "deleteVMSnapshot": ("vm_snapshot", True), "deleteTemplate": ("template", True),
           "deleteNetwork": ("network", True), "deleteVPC": ("vpc", True),
           "disassociateIpAddress": ("public_ip", True), "deleteFirewallRule": ("firewall_rule", True),
           "deletePortForwardingRule": ("port_forwarding_rule", True), "deleteLoadBalancerRule": ("lb_rule", True),
           "deleteAccount": ("account", True), "deleteUser": ("user", False), "deleteDomain": ("domain", True)}


def not_found(command: str, param: str = "id", value: str = "") -> CloudStackError:
    return CloudStackError(command, 431, f"Unable to execute API command {command.lower()} due to invalid value. "
                           f"Invalid parameter {param} value={value} due to incorrect long value format, or entity "
                           "does not exist or due to incorrect parameter annotation for the field in api cmd class.",
                           cserrorcode=4350)


class FakeCloud:
    """Resources in dicts; every call is logged in ``calls`` as (command, params)."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Record]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.jobs: dict[str, tuple[str, Any]] = {}           # jobid -> ("ok", result) | ("fail", error)
        self.fail_job: dict[str, CloudStackError] = {}        # create command -> error of its job
        self.fail_call: dict[tuple[str, str], Exception] = {}  # (command, id) -> error raised once per call
        self.state_script: dict[str, list[str]] = {}          # id -> states returned by successive lists
        self.hooks: dict[str, Callable[..., Any]] = {}
        self.expunge_allowed = True
        self.tags: list[dict] = []
        self._ids = itertools.count(1)

    # --- the client surface -------------------------------------------------------
    def __getattr__(self, command: str) -> Callable[..., Any]:
        if command.startswith("_"):
            raise AttributeError(command)
        return lambda **params: self.call(command, params)

    def call(self, command: str, params: dict) -> Any:
        wait = params.pop("wait", True)
        params.pop("job_timeout", None)
        self.calls.append((command, dict(params)))
        key = (command, str(params.get("id", params.get("vmsnapshotid", ""))))
        if key in self.fail_call:
            raise self.fail_call[key]
        if command in self.hooks:
            return self.hooks[command](**params)
        if command in CREATES:
            return self._create(command, params, wait)
        if command in LISTS:
            return self._list(LISTS[command], command, params)
        if command in DELETES:
            kind, is_async = DELETES[command]
            rid = params.get("id") or params.get("vmsnapshotid")
            self._remove(kind, rid, command)
            return self._finish(Record(success=True), wait) if is_async else Record(success=True)
        method = getattr(self, "_cmd_" + command, None)
        if method is None:
            raise CloudStackError(command, 432, f"Unknown API command: {command}")
        return method(wait=wait, **params)

    def wait_for_job(self, jobid: str, timeout: float | None = None, **_: Any) -> Any:
        status, value = self.jobs.pop(jobid)
        if status == "fail":
            raise value
        return value

    @classmethod
    def seeded(cls) -> "FakeCloud":
        """A cloud with what discovery looks for, with fixed ids (same in every process)."""
        cloud = cls()
        cloud.add("zone", id="zone-1", name="Sandbox-simulator", networktype="Advanced")
        cloud.add("domain", id="domain-root", name="ROOT", path="ROOT", level=0)
        cloud.add("template", id="tmpl-1", name="CentOS 5.6 (64-bit) no GUI (Simulator)", isready=True,
                  ostypeid="os-1", zoneid="zone-1")
        cloud.add("service_offering", id="so-small", name="Small Instance")
        cloud.add("service_offering", id="so-medium", name="Medium Instance")
        cloud.add("disk_offering", id="do-small", name="Small")
        cloud.add("network_offering", id="no-iso", name="DefaultIsolatedNetworkOfferingWithSourceNatService")
        cloud.add("vpc_offering", id="vo-1", name="Default VPC offering")
        return cloud

    def close(self) -> None:
        pass

    # --- helpers for tests -------------------------------------------------------------
    def add(self, kind: str, **fields: Any) -> Record:
        record = Record(id=fields.pop("id", None) or str(uuid.uuid4()), **fields)
        record.setdefault("state", INITIAL_STATE.get(kind))
        self.resources.setdefault(kind, {})[record["id"]] = record
        return record

    def ids(self, kind: str) -> set[str]:
        return set(self.resources.get(kind, {}))

    def commands(self) -> list[str]:
        return [c for c, _ in self.calls]

    # --- behaviour -------------------------------------------------------------------------
    def _finish(self, result: Any, wait: bool, error: Exception | None = None, early_id: str | None = None) -> Any:
        if wait:
            if error is not None:
                raise error
            return result
        jobid = str(uuid.uuid4())
        self.jobs[jobid] = ("fail", error) if error is not None else ("ok", result)
        answer = Record(jobid=jobid)
        if early_id:
            answer["id"] = early_id
        return answer

    def _create(self, command: str, params: dict, wait: bool) -> Any:
        kind, key, is_async, early = CREATES[command]
        fields = {k: v for k, v in params.items() if k not in ("tags",)}
        if command == "associateIpAddress" and params.get("networkid"):
            fields["associatednetworkid"] = params["networkid"]      # as a real server's address record says
        record = self.add(kind, **fields)
        if kind == "account":
            user = self.add("user", username=params.get("username"), account=params.get("account"))
            record["name"] = params.get("account")
            record["user"] = [Record(id=user["id"], username=user["username"])]
            record["domainid"] = params.get("domainid") or "root-domain"
        error = self.fail_job.get(command)
        if error is not None:
            record["state"] = "Error"
        if not is_async:
            if error is not None:
                raise error
            return Record({key: record})
        return self._finish(record, wait, error, record["id"] if early else None)

    def _list(self, kind: str, command: str, params: dict) -> list:
        wanted = params.get("id") or params.get("vmsnapshotid")
        records = list(self.resources.get(kind, {}).values())
        if wanted is not None:
            if wanted not in self.resources.get(kind, {}):
                raise not_found(command, "id", wanted)
            script = self.state_script.get(wanted)
            if script:
                self.resources[kind][wanted]["state"] = script.pop(0) if len(script) > 1 else script[0]
            records = [self.resources[kind][wanted]]
        if params.get("keyword"):
            records = [r for r in records if params["keyword"] in str(r.get("name", ""))]
        if params.get("tags"):
            (tag_key, tag_value), = params["tags"].items()
            tagged = {t["resourceid"] for t in self.tags if t["key"] == tag_key and t["value"] == tag_value}
            records = [r for r in records if r["id"] in tagged]
        return [Record(r) for r in records]

    def _remove(self, kind: str, rid: str, command: str) -> None:
        if rid not in self.resources.get(kind, {}):
            raise not_found(command, "id", rid)
        del self.resources[kind][rid]
        self.tags = [t for t in self.tags if t["resourceid"] != rid]
        if kind == "account":
            for user in [u for u in self.resources.get("user", {}).values()]:
                self.resources["user"].pop(user["id"], None)

    def _cmd_destroyVirtualMachine(self, wait: bool, id: str, expunge: bool = False, **_: Any) -> Any:
        vms = self.resources.get("vm", {})
        if id not in vms:
            raise not_found("destroyVirtualMachine", "id", id)
        if expunge and not self.expunge_allowed:
            raise CloudStackError("destroyVirtualMachine", 531, "Parameter expunge can be passed by Admin only. "
                                  "Or when the allow.user.expunge.recover.vm key is set.")
        if vms[id]["state"] == "Destroyed":
            raise CloudStackError("destroyVirtualMachine", 431, f"VM {id} is already in Destroyed state")
        if expunge:
            del vms[id]
            self.tags = [t for t in self.tags if t["resourceid"] != id]
        else:
            vms[id]["state"] = "Destroyed"
        return self._finish(Record(success=True), wait)

    def _cmd_expungeVirtualMachine(self, wait: bool, id: str) -> Any:
        if id not in self.resources.get("vm", {}):
            raise not_found("expungeVirtualMachine", "id", id)
        del self.resources["vm"][id]
        return self._finish(Record(success=True), wait)

    def _cmd_detachVolume(self, wait: bool, id: str, **_: Any) -> Any:
        self.resources["volume"][id].pop("virtualmachineid", None)
        return self._finish(Record(self.resources["volume"][id]), wait)

    def _cmd_registerUserKeys(self, wait: bool, id: str) -> Any:
        return Record(userkeys=Record(apikey=f"key-{id}", secretkey=f"secret-{id}"))

    def _cmd_createTags(self, wait: bool, resourceids: list, resourcetype: str, tags: dict) -> Any:
        for rid in resourceids:
            for key, value in tags.items():
                self.tags.append({"resourceid": rid, "resourcetype": resourcetype, "key": key, "value": value})
        return self._finish(Record(success=True), wait)

    def _cmd_listTags(self, wait: bool, key: str | None = None, value: str | None = None, **_: Any) -> list:
        return [Record(t) for t in self.tags if (key is None or t["key"] == key) and (value is None or t["value"] == value)]


def create_recorded_run(cloud: "FakeCloud", writer: Any, run_id: str) -> tuple[Any, Any, Any]:
    """What a run typically leaves: an account, a network and a VM on it, each recorded as created
    in ``writer`` (a ``marvin2.resources.ledger.LedgerWriter``). Returns (account, network, vm)."""
    from marvin2 import resources as r
    from marvin2.resources import ledger as L

    def record(created):
        writer.record(L.CREATED, kind=created.kind, resource_id=created.id, name=created.name)

    account = r.create_account(cloud, run_id=run_id, on_created=record)
    net = r.create_network(cloud, zoneid="z", networkofferingid="o", run_id=run_id, on_created=record)
    vm = r.deploy_vm(cloud, zoneid="z", serviceofferingid="s", templateid="t", networkids=[net.id], run_id=run_id,
                     on_created=record)
    return account, net, vm
