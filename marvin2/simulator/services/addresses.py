"""Public IP addresses as the address and rule APIs share them: ownership checks, labels, release."""
from __future__ import annotations

import datetime as dt
import time

from marvin2 import wire
from marvin2.simulator import errors, ipalloc
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services import portable_ips, rules
from marvin2.simulator.services.common import name_of
from marvin2.simulator.tagging import delete_tags_of


def ip_label(ip: dict) -> str:
    """How a real server prints an address in messages (``Ip[1.2.3.4-zone]``)."""
    return f"Ip[{ip['ipaddress']}-{ip.get('zoneid')}]"


def owned_ip(ctx, ip_id: str) -> dict:
    """An allocated address the caller may act on (431 if free, 531 if someone else's)."""
    ip = ctx.store.get("publicipaddress", ip_id)
    if ip.get("state") == "Free" or not ip.get("accountid"):
        raise errors.invalid_value(f"Unable to find allocated public IP address with id {ip_id}")
    nc.check_owned(ctx, ip, "PublicIpAddress")
    return ip


def release_address(ctx, ip: dict) -> None:
    """Remove an address's rules and static NAT, then give it back (disassociate, deleteVPC ...)."""
    rules.remove_rules_of_ip(ctx.store, ip["id"])
    delete_tags_of(ctx.store, ip["id"])
    if ip.get("isportable"):        # back to its region; the zone's range and address row for it go
        portable_ips.release(ctx.store, ip)
    else:
        ipalloc.release(ctx.store, ip["id"])


def quarantine(ctx, ip: dict, domain_id: str | None) -> dict | None:
    """A released address goes into quarantine for public.ip.address.quarantine.duration minutes (domain scope,
    default 0: none); until then only its previous owner may acquire it (ipalloc checks ``ipquarantine`` rows)."""
    try:
        minutes = int(ctx.config("public.ip.address.quarantine.duration", "0", **({"domain": domain_id} if domain_id else {})))
    except (TypeError, ValueError):
        minutes = 0
    if minutes <= 0 or not ip.get("accountid"):
        return None
    now = time.time()
    return ctx.store.insert("ipquarantine", {"publicipaddressid": ip["id"], "ipaddress": ip["ipaddress"],
                                             "previousownerid": ip["accountid"], "created_ts": now,
                                             "endts": now + minutes * 60, "enddate": _fmt(now + minutes * 60)})


def _fmt(ts: float) -> str:
    return wire.format_tzdate(dt.datetime.fromtimestamp(ts, dt.timezone.utc))


def vm_nic_in(store, vm_id: str, network_id: str) -> dict | None:
    return store.find_one("nic", virtualmachineid=vm_id, networkid=network_id)


def user_vm(ctx, vm_id: str) -> dict:
    """A user VM the caller may act on (431 when gone, 531 when someone else's)."""
    vm = ctx.store.get("virtualmachine", vm_id)
    if vm is None or vm.get("removed") or vm.get("state") in ("Expunging", "Expunged"):
        raise errors.invalid_value(f"Unable to find virtual machine by id {vm_id}")
    nc.check_owned(ctx, vm, "VirtualMachine")
    return vm


# A public IP range (``vlan`` row) as listVlanIpRanges and the range APIs answer it.
def render_vlan(ctx, row: dict) -> dict:
    out = {k: row.get(k) for k in ("id", "zoneid", "podid", "physicalnetworkid", "networkid", "vlan", "startip", "endip",
                                    "gateway", "netmask", "forvirtualnetwork", "forsystemvms", "description")}
    out["podname"] = name_of(ctx.store, "pod", row.get("podid"))
    out["description"] = f"{row['startip']}-{row['endip']}"
    if row.get("accountid"):
        out.update(ctx.owner_fields(row))
        out.pop("domainpath", None)
    elif row.get("domainid"):
        out.update(domainid=row["domainid"], domain=name_of(ctx.store, "domain", row["domainid"]))
    return out
