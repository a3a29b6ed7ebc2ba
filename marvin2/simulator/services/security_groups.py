"""Security groups: every account's default group, a VM's membership, rendering, and the account cleanup."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.accounts import (
    CLEANUP_SECURITY_GROUPS,
    register_account_cleanup,
)
from marvin2.simulator.tagging import delete_tags_of

DEFAULT_GROUP = "default"


def ensure_default_group(store, account: dict) -> dict:
    found = store.find_one("securitygroup", accountid=account["id"], name=DEFAULT_GROUP)
    if found is None:
        found = store.insert("securitygroup", {"name": DEFAULT_GROUP, "description": "Default Security Group",
                                               "accountid": account["id"], "domainid": account["domainid"]})
    return found


def group_by_name(ctx, owner: dict, name: str) -> dict:
    ensure_default_group(ctx.store, owner)
    for group in ctx.store.find("securitygroup", accountid=owner["id"]):
        if group["name"].lower() == name.lower():
            return group
    raise errors.invalid_value(f"Unable to find group by name {name}")


def assign_security_groups(ctx, vm: dict, owner: dict, *, ids=None, names=None) -> list[dict]:
    store = ctx.store
    groups = []
    for group_id in ids or []:
        group = store.get("securitygroup", group_id.lower())
        if group is None:
            raise errors.invalid_value(f"Unable to find security group by id {group_id}")
        if group.get("accountid") != owner["id"]:
            raise errors.permission_denied(f"Permission denied: security group {group_id} does not belong to account "
                                           f"{owner['name']}")
        groups.append(group)
    for name in names or []:
        groups.append(group_by_name(ctx, owner, name))
    if not groups:
        groups = [ensure_default_group(store, owner)]
    for group in groups:
        if not store.find_one("securitygroupvmmap", securitygroupid=group["id"], virtualmachineid=vm["id"]):
            store.insert("securitygroupvmmap", {"securitygroupid": group["id"], "virtualmachineid": vm["id"]})
    return groups


def release_security_groups(store, vm_id: str) -> int:
    return store.delete_where("securitygroupvmmap", virtualmachineid=vm_id)


def vm_security_groups(ctx, vm_id: str) -> list[dict]:
    out = []
    for mapping in ctx.store.find("securitygroupvmmap", virtualmachineid=vm_id):
        group = ctx.store.get("securitygroup", mapping["securitygroupid"])
        if group is not None:
            out.append(render_group(ctx, group, with_members=False))
    return out


def render_rule(ctx, rule: dict) -> dict:
    out = {"ruleid": rule["id"], "protocol": rule["protocol"], "cidr": rule.get("cidr"), "tags": []}
    if rule["protocol"] == "icmp":
        out.update(icmptype=rule.get("startport"), icmpcode=rule.get("endport"))
    elif rule["protocol"] != "all":
        out.update(startport=rule.get("startport"), endport=rule.get("endport"))
    if rule.get("allowedgroupid"):
        allowed = ctx.store.get("securitygroup", rule["allowedgroupid"]) or {}
        account = ctx.store.get("account", allowed.get("accountid")) or {}
        out.update(securitygroupname=allowed.get("name"), account=account.get("name"))
    return out


def render_group(ctx, row: dict, *, rules: list[dict] | None = None, with_members: bool = True) -> dict:
    store = ctx.store
    if rules is None:
        rules = store.find("securitygrouprule", securitygroupid=row["id"])
    out = {"id": row["id"], "name": row["name"], "description": row.get("description")}
    out.update(nc.owner_fields(ctx, row))          # projectid/project instead of account for a project's group
    out["ingressrule"] = [render_rule(ctx, r) for r in rules if r["ruletype"] == "ingress"]
    out["egressrule"] = [render_rule(ctx, r) for r in rules if r["ruletype"] == "egress"]
    out["tags"] = ctx.tags_for(row["id"])
    if with_members:
        members = [m["virtualmachineid"] for m in store.find("securitygroupvmmap", securitygroupid=row["id"])]
        out.update(virtualmachinecount=len(members), virtualmachineids=members)
    return out


def cleanup_account(store, account: dict) -> None:
    """deleteAccount hook (also a deleted project's account): its security groups go with their rules, the rules
    of other groups that allow them, and their VM memberships (the VMs were expunged by the compute hook)."""
    for group in store.find("securitygroup", accountid=account["id"]):
        store.delete_where("securitygrouprule", securitygroupid=group["id"])
        store.delete_where("securitygrouprule", allowedgroupid=group["id"])
        store.delete_where("securitygroupvmmap", securitygroupid=group["id"])
        delete_tags_of(store, group["id"])
        store.delete("securitygroup", group["id"])


register_account_cleanup(cleanup_account, rank=CLEANUP_SECURITY_GROUPS)
