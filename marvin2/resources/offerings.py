"""Compute, disk and network offerings made by tests (admin APIs, all synchronous).

Offerings are deleted after the accounts (and so the VMs, volumes and
networks) that may use them: a network offering in use cannot be deleted.
"""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_sync
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

# Root admins list every offering without listall (these list APIs have no
# listall in every version: listNetworkOfferings never had one).
SERVICE_OFFERING = register(ResourceKind(
    name="service_offering", label="service offering", list_api="listServiceOfferings",
    delete=simple_delete("deleteServiceOffering", is_async=False), rank=96, list_params={},
))

DISK_OFFERING = register(ResourceKind(
    name="disk_offering", label="disk offering", list_api="listDiskOfferings",
    delete=simple_delete("deleteDiskOffering", is_async=False), rank=96, list_params={},
))

NETWORK_OFFERING = register(ResourceKind(
    name="network_offering", label="network offering", list_api="listNetworkOfferings",
    delete=simple_delete("deleteNetworkOffering", is_async=False), rank=96, list_params={},
))


def _create(api: Any, kind: ResourceKind, command: str, result_key: str, defaults: dict, params: dict, *,
            name: str | None, purpose: str, run_id: str | None, on_created: OnCreated | None) -> Any:
    name = name or unique_name(purpose, run_id)
    merged = {"name": name, "displaytext": name, **defaults, **params}
    # None leaves a parameter out (e.g. cpunumber=None for a custom offering).
    merged = {key: value for key, value in merged.items() if value is not None}
    return create_sync(api, kind.name, command, merged, result_keys=(result_key,), on_created=on_created)


def create_service_offering(
    api: Any, *, name: str | None = None, purpose: str = "so", run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createServiceOffering, by default 1 CPU x 100 MHz, 128 MB (pass None to leave a value out)."""
    return _create(api, SERVICE_OFFERING, "createServiceOffering", "serviceoffering",
                   {"cpunumber": 1, "cpuspeed": 100, "memory": 128}, params,
                   name=name, purpose=purpose, run_id=run_id, on_created=on_created)


def create_disk_offering(
    api: Any, *, name: str | None = None, purpose: str = "do", run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createDiskOffering, 1 GB unless ``customized=True`` (the size is then the volume's)."""
    defaults = {} if params.get("customized") else {"disksize": 1}
    return _create(api, DISK_OFFERING, "createDiskOffering", "diskoffering", defaults, params,
                   name=name, purpose=purpose, run_id=run_id, on_created=on_created)


def create_network_offering(
    api: Any, *, name: str | None = None, purpose: str = "no", run_id: str | None = None,
    on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createNetworkOffering for guest traffic (``guestiptype``, ``supportedservices`` ... as given)."""
    return _create(api, NETWORK_OFFERING, "createNetworkOffering", "networkoffering", {"traffictype": "GUEST"},
                   params, name=name, purpose=purpose, run_id=run_id, on_created=on_created)
