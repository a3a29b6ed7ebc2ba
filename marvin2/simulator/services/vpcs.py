"""VPCs: their default ACL lists, and what deleting a VPC (or its account) removes."""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import ipalloc, limits
from marvin2.simulator.services import rules
from marvin2.simulator.services.accounts import CLEANUP_VPCS, register_account_cleanup
from marvin2.simulator.services.networks import (
    destroy_network_rows,
)
from marvin2.simulator.services.routers import (
    destroy_router,
    routers_of,
)
from marvin2.simulator.tagging import delete_tags_of

DEFAULT_ACLS = {
    "default_deny": ("Default Network ACL Deny All", "Deny"),
    "default_allow": ("Default Network ACL Allow All", "Allow"),
}


def vpc_label(vpc: dict) -> str:
    """How a real server prints a VPC in messages."""
    return f"[VPC [{vpc['id']}-{vpc['name']}]"


def ensure_default_acls(store) -> None:
    if store.find_one("networkacllist", name="default_deny", vpcid=None) is not None:
        return
    for name, (description, action) in DEFAULT_ACLS.items():
        acl = store.insert("networkacllist", {"name": name, "description": description, "isdefault": True})
        for number, traffic in ((1, "Ingress"), (2, "Egress")):
            store.insert("networkaclitem", {"aclid": acl["id"], "number": number, "protocol": "all",
                                            "traffictype": traffic, "action": action, "cidrlist": ["0.0.0.0/0"],
                                            "state": "Active", "isdefault": True})


def default_acl(store, name: str) -> dict:
    ensure_default_acls(store)
    return store.find_one("networkacllist", name=name, vpcid=None)


def destroy_vpc_rows(store, vpc: dict) -> None:
    """Everything deleteVPC removes once the VPC has no tiers: static routes, private gateways, its public addresses (with their
    rules and tags), its router, its ACL lists; the ``vpc`` count is released. Store only: the account cleanup
    hook has no request context."""
    for route in store.find("staticroute", vpcid=vpc["id"]):
        delete_tags_of(store, route["id"])
        store.delete("staticroute", route["id"])
    for gateway in store.find("privategateway", vpcid=vpc["id"]):
        store.delete("privategateway", gateway["id"])
    for ip in store.find("publicipaddress", vpcid=vpc["id"]):
        # As disassociateIpAddress releases an address: its rules and tags go, the row is handed out again later.
        rules.remove_rules_of_ip(store, ip["id"])
        delete_tags_of(store, ip["id"])
        ipalloc.release(store, ip["id"])
    for router in routers_of(store, vpc_id=vpc["id"]):
        destroy_router(store, router["id"])
    for acl in store.find("networkacllist", vpcid=vpc["id"]):
        for item in store.find("networkaclitem", aclid=acl["id"]):
            delete_tags_of(store, item["id"])
        store.delete_where("networkaclitem", aclid=acl["id"])
        delete_tags_of(store, acl["id"])
        store.delete("networkacllist", acl["id"])
    if vpc.get("accountid"):
        limits.release(store, vpc["accountid"], "vpc")
    delete_tags_of(store, vpc["id"])
    store.update("vpc", vpc["id"], state="Inactive", removed=wire.now_text())


def cleanup_account(store, account: dict) -> None:
    """deleteAccount hook: the account's VPCs go with their tiers (each tier as deleteNetwork destroys it), their
    public addresses, routers, ACL lists and private gateways, as a real server's account cleanup destroys VPCs.
    Runs after the compute hook (modules register in name order), so the tiers' VMs are already expunged."""
    for vpc in store.find("vpc", accountid=account["id"]):
        if vpc.get("removed"):
            continue
        for tier in store.find("network", vpcid=vpc["id"]):
            if not tier.get("removed"):
                destroy_network_rows(store, tier)
        destroy_vpc_rows(store, store.get("vpc", vpc["id"]))


register_account_cleanup(cleanup_account, rank=CLEANUP_VPCS)


def render_acl_list(ctx, row: dict) -> dict:
    vpc = ctx.store.get("vpc", row["vpcid"]) if row.get("vpcid") else None
    return {"id": row["id"], "name": row["name"], "description": row.get("description"), "vpcid": row.get("vpcid"),
            "vpcname": vpc["name"] if vpc else None, "fordisplay": row.get("fordisplay", True)}
