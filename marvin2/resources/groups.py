"""Affinity groups and security groups made by tests.

Both go after the VMs in them (a group with VMs cannot be deleted) and
before their account.
"""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_async, create_sync
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

AFFINITY_GROUP = register(ResourceKind(
    name="affinity_group", label="affinity group", list_api="listAffinityGroups",
    delete=simple_delete("deleteAffinityGroup"), rank=22,
))

SECURITY_GROUP = register(ResourceKind(
    name="security_group", label="security group", list_api="listSecurityGroups",
    delete=simple_delete("deleteSecurityGroup", is_async=False), rank=55,
))


def create_affinity_group(
    api: Any, *, type: str = "host anti-affinity", name: str | None = None, purpose: str = "ag",
    run_id: str | None = None, on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createAffinityGroup (async); returns the group record."""
    params = {"name": name or unique_name(purpose, run_id), "type": type, **params}
    return create_async(api, AFFINITY_GROUP.name, "createAffinityGroup", params, result_keys=("affinitygroup",),
                        on_created=on_created, timeout=timeout)


def create_security_group(
    api: Any, *, name: str | None = None, purpose: str = "sg", run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createSecurityGroup (sync); returns the group record (no rules yet)."""
    params = {"name": name or unique_name(purpose, run_id), **params}
    return create_sync(api, SECURITY_GROUP.name, "createSecurityGroup", params, result_keys=("securitygroup",),
                       on_created=on_created)
