"""Guest networks, VPCs and their network ACL lists and rules."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_async, create_sync
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

NETWORK = register(ResourceKind(
    name="network", label="network", list_api="listNetworks", delete=simple_delete("deleteNetwork"),
    rank=60, tag_type="Network", gone_states=frozenset({"Destroy"}),
))

VPC = register(ResourceKind(
    name="vpc", label="VPC", list_api="listVPCs", delete=simple_delete("deleteVPC"),
    rank=70, tag_type="Vpc",
))

ACL_LIST = register(ResourceKind(
    # After the VPC tiers that use it (a list in use cannot be deleted), before the VPC (which takes it along).
    name="acl_list", label="network ACL list", list_api="listNetworkACLLists",
    delete=simple_delete("deleteNetworkACLList"), rank=65,
))

ACL_RULE = register(ResourceKind(
    name="acl_rule", label="network ACL rule", list_api="listNetworkACLs", delete=simple_delete("deleteNetworkACL"),
    rank=25, name_searchable=False,
))


def create_network(
    api: Any, *, zoneid: str, networkofferingid: str, name: str | None = None, displaytext: str | None = None,
    purpose: str = "net", run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createNetwork (sync); an isolated network starts Allocated. Returns the network record."""
    name = name or unique_name(purpose, run_id)
    params = {"zoneid": zoneid, "networkofferingid": networkofferingid, "name": name,
              "displaytext": displaytext or name, **params}
    return create_sync(api, "network", "createNetwork", params, result_keys=("network",),
                       on_created=on_created, run_id=run_id, tag_type=NETWORK.tag_type)


def create_vpc(
    api: Any, *, zoneid: str, vpcofferingid: str, cidr: str = "10.1.0.0/16", name: str | None = None,
    displaytext: str | None = None, purpose: str = "vpc", run_id: str | None = None,
    on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createVPC (async); returns the VPC record."""
    name = name or unique_name(purpose, run_id)
    params = {"zoneid": zoneid, "vpcofferingid": vpcofferingid, "cidr": cidr, "name": name,
              "displaytext": displaytext or name, **params}
    return create_async(api, "vpc", "createVPC", params, result_keys=("vpc",),
                        on_created=on_created, run_id=run_id, tag_type=VPC.tag_type, timeout=timeout)


def create_acl_list(
    api: Any, *, vpcid: str, name: str | None = None, description: str | None = None, purpose: str = "acl",
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createNetworkACLList (async) in a VPC; returns the list."""
    name = name or unique_name(purpose, run_id)
    params = {"vpcid": vpcid, "name": name, "description": description or name, **params}
    return create_async(api, ACL_LIST.name, "createNetworkACLList", params, result_keys=("networkacllist",),
                        on_created=on_created, timeout=timeout)


def create_acl_rule(
    api: Any, *, protocol: str = "tcp", on_created: OnCreated | None = None, timeout: float | None = None,
    **params: Any,
) -> Any:
    """createNetworkACL (async): a rule in the list ``aclid`` (or the list of tier ``networkid``)."""
    params = {"protocol": protocol, **params}
    return create_async(api, ACL_RULE.name, "createNetworkACL", params, result_keys=("networkacl",),
                        on_created=on_created, timeout=timeout)
