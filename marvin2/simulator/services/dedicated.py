"""Dedicated resources (the dedicated-resources plugin) and dedicated guest VLAN ranges.

A zone, pod, cluster or host may be dedicated to a domain, or to an account of that domain: a
``dedicatedresource`` row (``level``, ``targetid``, ``domainid``, ``accountid``?, ``affinitygroupid``). Each
dedication belongs to the owner's "ExplicitDedication" affinity group (created on first need, named
``Dedicated<Level>Grp-<account>`` or ``Dedicated<Level>Grp-domain-<domain>``; domain-level groups have no
account and ``domainlevel``), which is deleted when its last dedication is released. A dedicated zone also
carries the domain on its zone row, as CloudStack records it.

The rules are DedicatedResourceManagerImpl's: a resource already dedicated, or inside an ancestor dedicated to an
account or to a domain that is not the requested one or one of its parents, cannot be dedicated; dedications
below it must belong to the requested domain's subtree (and to the same account, when one is given) and are
folded into the new one; a host running VMs of another account (or domain) cannot be dedicated.
The deployment planner does not consult these rows yet (apis/compute.py places VMs without them).
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import domain_in_subtree

KIND = "dedicatedresource"
LEVELS = ("zone", "pod", "cluster", "host")
TITLES = {"zone": "Zone", "pod": "Pod", "cluster": "Cluster", "host": "Host"}
# How an ancestor's dedication is named in the refusal: (child level, ancestor level) -> text prefix.
ANCESTOR_TEXTS = {("pod", "zone"): "Pod's Zone", ("cluster", "pod"): "Cluster's Pod",
                  ("cluster", "zone"): "Cluster's Zone", ("host", "cluster"): "Host's Cluster",
                  ("host", "pod"): "Host's Pod", ("host", "zone"): "Host's Data Center"}
RUNNING_STATES = ("Running", "Starting", "Stopping", "Migrating")


def _failure(text: str) -> errors.ApiError:
    """A CloudRuntimeException of the plugin: the job fails with 530."""
    return errors.internal_error(text)


def dedication_of(store, level: str, target_id: str | None) -> dict | None:
    return store.find_one(KIND, level=level, targetid=target_id) if target_id else None


def ancestors(store, level: str, row: dict) -> list[tuple[str, dict]]:
    """(level, row) of the resources above ``row``, nearest first."""
    chain = {"zone": (), "pod": ("zone",), "cluster": ("pod", "zone"), "host": ("cluster", "pod", "zone")}[level]
    out = []
    for parent in chain:
        parent_row = store.get(parent, row.get(f"{parent}id"))
        if parent_row is not None:
            out.append((parent, parent_row))
    return out


def descendants(store, level: str, row: dict) -> list[tuple[str, dict]]:
    """(level, row) of the pods, clusters and hosts below ``row`` (hosts of type Routing)."""
    below = LEVELS[LEVELS.index(level) + 1:]
    out = []
    for child in below:
        for child_row in store.find(child, **{f"{level}id": row["id"]}):
            if child == "host" and child_row.get("type", "Routing") != "Routing":
                continue
            out.append((child, child_row))
    return out


def _subtree_ids(store, domain: dict) -> set[str]:
    return {d["id"] for d in store.all("domain") if domain_in_subtree(d, domain)}


def check_placement(store, level: str, row: dict, domain: dict, account: dict | None) -> list[dict]:
    """Refuse what CloudStack refuses; return the dedications below that the new one replaces."""
    title = TITLES[level]
    if level == "host" and row.get("type", "Routing") != "Routing":
        raise _failure(f"Invalid host type for host {row['name']}")
    if dedication_of(store, level, row["id"]) is not None:
        spacer = "  " if level == "zone" else " "           # the server's zone text has two spaces
        raise _failure(f"{title}{spacer}{row['name']} is already dedicated")
    for parent, parent_row in ancestors(store, level, row):
        above = dedication_of(store, parent, parent_row["id"])
        if above is None:
            continue
        parent_domain = store.get("domain", above["domainid"])
        if above.get("accountid") or domain["id"] not in _subtree_ids(store, parent_domain):
            raise _failure(f"{ANCESTOR_TEXTS[(level, parent)]} {parent_row['name']} is already dedicated")
    allowed = _subtree_ids(store, domain)
    folded = []
    for child, child_row in descendants(store, level, row):
        below = dedication_of(store, child, child_row["id"])
        if below is None:
            continue
        different = f"{TITLES[child]} {child_row['name']} under this {title} {row['name']} is dedicated to " \
                    f"different account/domain"
        if below["domainid"] not in allowed:
            raise _failure(different)
        if account is not None:
            if below.get("accountid") != account["id"]:
                if level == "cluster":
                    raise _failure(f"Cannot dedicate Cluster {row['name']} to account{account['name']}")
                raise _failure(different)
            folded.append(below)
        elif below.get("accountid") is None and below["domainid"] == domain["id"]:
            folded.append(below)
    return folded


def check_hosts_free(store, level: str, row: dict, domain: dict, account: dict | None) -> None:
    """A host running VMs of another account (or of a domain outside the requested subtree) cannot be dedicated."""
    hosts = [row] if level == "host" else [r for lvl, r in descendants(store, level, row) if lvl == "host"]
    allowed = _subtree_ids(store, domain)
    for host in hosts:
        for vm in store.find("virtualmachine", hostid=host["id"]):
            if vm.get("removed") or vm.get("state") not in RUNNING_STATES:
                continue
            if account is not None and vm.get("accountid") != account["id"]:
                raise _failure(f"Host {host['id']} found to be unsuitable for explicit dedication as it is running "
                               f"instances of another account")
            if account is None and vm.get("domainid") not in allowed:
                raise _failure(f"Host {host['id']} found to be unsuitable for explicit dedication as it is running "
                               f"instances of another domain")


def dedication_group(store, level: str, domain: dict, account: dict | None) -> dict:
    """The owner's ExplicitDedication affinity group, created on first need."""
    if account is not None:
        group = store.find_one("affinitygroup", accountid=account["id"], type="ExplicitDedication")
        if group is None:
            group = store.insert("affinitygroup", {
                "name": f"Dedicated{TITLES[level]}Grp-{account['name']}", "type": "ExplicitDedication",
                "description": f"Dedicated {level} group", "virtualmachineids": [],
                "accountid": account["id"], "domainid": account["domainid"]})
        return group
    group = next((g for g in store.find("affinitygroup", domainid=domain["id"], type="ExplicitDedication")
                  if g.get("domainlevel")), None)
    if group is None:
        group = store.insert("affinitygroup", {
            "name": f"Dedicated{TITLES[level]}Grp-domain-{domain['name']}", "type": "ExplicitDedication",
            "description": f"Dedicated {level} group", "virtualmachineids": [], "domainid": domain["id"],
            "domainlevel": True})
    return group


def dedicate(store, level: str, row: dict, domain: dict, account: dict | None) -> dict:
    folded = check_placement(store, level, row, domain, account)
    check_hosts_free(store, level, row, domain, account)
    for below in folded:
        release(store, below)
    group = dedication_group(store, level, domain, account)
    if level == "zone":
        store.update("zone", row["id"], domainid=domain["id"])
    owner = {"accountid": account["id"]} if account else {}
    return store.insert(KIND, {"level": level, "targetid": row["id"], "domainid": domain["id"], **owner,
                               "affinitygroupid": group["id"]})


def release(store, dedication: dict) -> None:
    store.delete(KIND, dedication["id"])
    if dedication["level"] == "zone":
        store.update("zone", dedication["targetid"], domainid=None)
    group_id = dedication.get("affinitygroupid")
    if group_id and store.find_one(KIND, affinitygroupid=group_id) is None:
        group = store.get("affinitygroup", group_id)
        live = [v for v in (group or {}).get("virtualmachineids", [])
                if not (store.get("virtualmachine", v) or {"removed": True}).get("removed")]
        if group is not None and not live:
            store.delete("affinitygroup", group_id)


def release_target(store, level: str, target_id: str) -> None:
    dedication = dedication_of(store, level, target_id)
    if dedication is None:
        raise errors.invalid_value("No Dedicated Resource available to release")
    release(store, dedication)


def search(store, level: str, *, target_id=None, domain_id=None, account_id=None, group_id=None) -> list[dict]:
    return [d for d in store.find(KIND, level=level)
            if (target_id is None or d["targetid"] == target_id) and (domain_id is None or d["domainid"] == domain_id)
            and (account_id is None or d.get("accountid") == account_id)
            and (group_id is None or d.get("affinitygroupid") == group_id)]


# --- dedicated guest VLAN ranges -----------------------------------------------------------------------------------

VLAN_KIND = "dedicatedvlanrange"


def vlan_bounds(text: str) -> tuple[int, int]:
    start, end = text.split("-")
    return int(start), int(end)


def physical_vlan_ranges(physnet: dict) -> list[tuple[int, int]]:
    out = []
    for part in str(physnet.get("vlan") or "").split(","):
        part = part.strip()
        if not part:
            continue
        start, _, end = part.partition("-")
        out.append((int(start), int(end or start)))
    return out


def dedicate_vlan_range(store, physnet: dict, owner: dict, vlan: str) -> dict:
    methods = str(physnet.get("isolationmethods") or "")
    if methods and "VLAN" not in methods and "VXLAN" not in methods:
        raise errors.invalid_value(f"Cannot dedicate guest vlan range. Physical isolation type of network "
                                   f"{physnet['name']} is not VLAN nor VXLAN")
    parts = vlan.split("-")
    if len(parts) != 2:
        raise errors.invalid_value(f"Invalid format for parameter value vlan {vlan} .Vlan should be specified as "
                                   f"'startvlan-endvlan'")
    try:
        start, end = int(parts[0]), int(parts[1])
    except ValueError:
        raise errors.invalid_value("Please provide valid guest vlan range") from None
    existing = physical_vlan_ranges(physnet)
    if existing and not any(start <= end and lo <= start and end <= hi for lo, hi in existing):
        raise errors.invalid_value(f"Unable to find guest vlan by range {vlan}")
    for network in store.all("network"):
        number = network.get("vlannumber")
        if (network.get("physicalnetworkid") == physnet["id"] and not network.get("removed") and number is not None
                and start <= int(number) <= end and network.get("accountid") != owner["id"]):
            raise errors.invalid_value(f"Guest vlan from this range {number} is allocated to a different account. "
                                       f"Can only dedicate a range which has no allocated vlans or has vlans "
                                       f"allocated to the same account ")
    ranges = store.find(VLAN_KIND, physicalnetworkid=physnet["id"])
    for taken in ranges:
        lo, hi = vlan_bounds(taken["guestvlanrange"])
        if (start < lo and end >= lo) or (lo <= start <= hi):
            raise errors.invalid_value(f"Vlan range is already dedicated. Cannot dedicate guest vlan range {vlan}")
    # A range next to one of the same owner extends it, as CloudStack merges them.
    for taken in sorted(ranges, key=lambda r: vlan_bounds(r["guestvlanrange"])[0]):
        if taken["accountid"] != owner["id"]:
            continue
        lo, hi = vlan_bounds(taken["guestvlanrange"])
        if end == lo - 1 or start == hi + 1:
            start, end = min(start, lo), max(end, hi)
            store.delete(VLAN_KIND, taken["id"])
            merged_into = taken
            break
    else:
        merged_into = None
    row = {"physicalnetworkid": physnet["id"], "zoneid": physnet.get("zoneid"), "guestvlanrange": f"{start}-{end}",
           "accountid": owner["id"], "domainid": owner["domainid"]}
    if merged_into is not None:
        row["id"] = merged_into["id"]
    return store.insert(VLAN_KIND, row)


def release_vlan_range(store, range_id: str) -> None:
    if store.get(VLAN_KIND, range_id) is None:
        raise errors.invalid_value("Dedicated guest vlan with specified id doesn't exist in the system")
    store.delete(VLAN_KIND, range_id)


def release_account(store, account: dict) -> None:
    """A deleted account's dedications and dedicated guest VLAN ranges go with it (AccountManagerImpl)."""
    for dedication in store.find(KIND, accountid=account["id"]):
        release(store, dedication)
    store.delete_where(VLAN_KIND, accountid=account["id"])
