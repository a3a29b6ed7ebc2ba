"""Guest networking of VMs: what the VM service and the VM APIs need from the network services.

VMs need a handful of things from networking, and they are all here, so VM
code never reaches into network internals (the work is done by
``services/networks.py``, ``services/nics.py`` and
``services/security_groups.py``):

- ``usable_network(ctx, network_id, owner)``: a network the VM's owner may use;
- ``default_network(ctx, zone, owner)``: the network a VM gets when no
  ``networkids`` are given (the account's single isolated network in the
  zone; created as ``<account>-network`` from the Required offering when the
  account has none, as a real server does; the zone's shared network in a
  Basic zone);
- ``allocate_nic(ctx, network, vm, ...)``: a ``nic`` row with a free IP of the
  network (or the requested one) and a MAC unique in the whole cloud;
- ``implement_network(ctx, network)``: Allocated → Implemented on the first VM
  start: VLAN, source-NAT public IP and the virtual router record;
- ``prepare_nic``, ``refresh_nic``, ``release_nic``, ``render_nic``;
- the VM's security groups (assign on deploy, list, release on expunge).

All allocation happens inside the caller's store transaction, which holds the
store lock, so two concurrent deploys can never get the same IP or MAC.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import networks, nics, security_groups


def usable_network(ctx, network_id: str, owner: dict) -> dict:
    """A network the VM's owner may put a NIC in (431 / 531 with real texts otherwise)."""
    network = ctx.store.get("network", network_id)
    networks.check_network_usable(ctx, network, owner)
    return network


def default_network(ctx, zone: dict, owner: dict) -> dict:
    return networks.default_network(ctx, zone, owner)


def implement_network(ctx, network: dict) -> dict:
    """Allocated → Implemented: VLAN, source NAT IP, virtual router record. No-op for other states."""
    return networks.implement_network(ctx, network)


def allocate_nic(ctx, network: dict, vm: dict, *, deviceid: int, isdefault: bool, requested_ip: str | None = None,
                 requested_mac: str | None = None) -> dict:
    """Insert and return a ``nic`` row of ``vm`` in ``network`` (533 when no address is free)."""
    return networks.allocate_nic(ctx, network, vm, deviceid=deviceid, isdefault=isdefault, requested_ip=requested_ip,
                                 requested_mac=requested_mac)


def release_nic(store, nic: dict) -> None:
    nics.release_nic(store, nic)


def render_nic(store, nic: dict) -> dict | None:
    """The ``nic`` response object."""
    return nics.render_nic(store, nic)


def prepare_nic(ctx, nic: dict, network: dict, host: dict) -> dict:
    """The NIC as its VM starts on ``host`` (Basic zones: an address of the host's pod). Returns the NIC row."""
    return networks.prepare_nic(ctx, nic, network, host)


def refresh_nic(store, nic: dict, network: dict) -> dict:
    """After implementing a network its NICs learn the VLAN (broadcast/isolation URIs)."""
    if network.get("broadcasturi") and nic.get("broadcasturi") != network["broadcasturi"]:
        return store.update("nic", nic["id"], broadcasturi=network["broadcasturi"],
                            isolationuri=network.get("isolationuri", network["broadcasturi"]))
    return nic


# --- security groups --------------------------------------------------------------------------------


def assign_security_groups(ctx, vm: dict, owner: dict, zone: dict) -> None:
    """Security-group zones: the VM joins the groups asked for (default: the owner's ``default`` group)."""
    ids, names = ctx.get("securitygroupids"), ctx.get("securitygroupnames")
    if not zone.get("securitygroupsenabled"):
        if ids or names:
            raise errors.invalid_value("Can't create vm with security groups; security group feature is not enabled "
                                       "per zone")
        return
    if ids and names:
        raise errors.invalid_value("securitygroupids parameter is mutually exclusive with securitygroupnames parameter")
    security_groups.assign_security_groups(ctx, vm, owner, ids=ids, names=names)


def release_security_groups(store, vm_id: str) -> None:
    security_groups.release_security_groups(store, vm_id)


def vm_security_groups(ctx, vm_id: str) -> list[dict]:
    return security_groups.vm_security_groups(ctx, vm_id)
