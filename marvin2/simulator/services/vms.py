"""Virtual machine rows: rendering, lookups with access checks, and the life cycle other commands share.

``start_vm`` (placement, network implementation, Running), ``stop_vm_rows``,
``destroy_vm_rows``, ``expunge_vm_rows`` are the state changes the VM APIs
(``apis/compute.py``, ``compute_ops.py``, ``snapshots.py``, ``affinity.py``),
the expunge sweep (``expunge.py``) and the account hooks use; ``render_vm`` is
the one ``virtualmachine`` response object.

The ``virtualmachine`` kind (fields other modules may read): ``name``,
``displayname``, ``instancename``, ``internalid``, ``state``, ``zoneid``,
``podid``, ``hostid``, ``lasthostid``, ``templateid``, ``isoid``,
``serviceofferingid``, ``cpunumber``, ``cpuspeed``, ``memory``,
``accountid``, ``domainid``, ``userid``, ``affinitygroupids``, ``details``,
``keypairs``, ``group``, ``removed`` (expunged). NICs are ``nic`` rows (see
``guestnet.py`` / ``nics.py``), volumes ``volume`` rows (``volumes.py``).
"""
from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from urllib.parse import unquote_plus

from marvin2 import wire
from marvin2.simulator import errors, limits, tagging
from marvin2.simulator.services import capacity as _capacity
from marvin2.simulator.services import guestnet as _guestnet
from marvin2.simulator.services import volumes as storage
from marvin2.simulator.services.accounts import (
    CLEANUP_VMS,
    DISABLE_VMS,
    register_account_cleanup,
    register_account_disable,
)
from marvin2.simulator.services.common import (
    check_owned,
    ensure_indexes,
    epoch,
    owner_fields,
    record_event,
    zone_name,
)

ACTIVE = _capacity.ACTIVE_STATES


HOSTNAME = re.compile(r"^(?!-)(?![0-9])[A-Za-z0-9-]{1,63}(?<!-)$")


def setting_true(ctx, name: str, **scope: str | None) -> bool:
    """A boolean setting, for a scope when given (``account=id``, ``zone=id``: the setting's real scope)."""
    return str(ctx.config(name, "false", **scope)).lower() == "true"


def cached_row(cache: dict, store, kind: str, row_id: str | None) -> dict | None:
    if not row_id:
        return None
    key = (kind, row_id)
    if key not in cache:
        cache[key] = store.get(kind, row_id)
    return cache[key]


def render_nic(store, nic: dict, cache: dict) -> dict:
    provided = _guestnet.render_nic(store, nic)
    if provided is not None:
        return provided
    network = cached_row(cache, store, "network", nic.get("networkid")) or {}
    vpc = cached_row(cache, store, "vpc", network.get("vpcid")) if network.get("vpcid") else None
    return {
        "id": nic["id"], "networkid": nic.get("networkid"), "networkname": network.get("name"),
        "netmask": nic.get("netmask"), "gateway": nic.get("gateway"), "ipaddress": nic.get("ipaddress"),
        "isolationuri": nic.get("isolationuri"), "broadcasturi": nic.get("broadcasturi"),
        "traffictype": nic.get("traffictype", "Guest"), "type": nic.get("type"), "isdefault": bool(nic.get("isdefault")),
        "macaddress": nic.get("macaddress"), "deviceid": str(nic.get("deviceid", 0)), "secondaryip": [],
        "extradhcpoption": [], "vpcid": network.get("vpcid"), "vpcname": vpc.get("name") if vpc else None,
    }


def render_vm(ctx, row: dict, *, cache: dict | None = None, password: str | None = None, userdata: bool = False) -> dict:
    store = ctx.store
    cache = {} if cache is None else cache
    admin = ctx.caller is None or ctx.caller.is_root_admin
    offering = cached_row(cache, store, "serviceoffering", row.get("serviceofferingid")) or {}
    template = cached_row(cache, store, "template", row.get("templateid")) or {}
    iso = cached_row(cache, store, "template", row.get("isoid")) if row.get("isoid") else None
    disk_offering = cached_row(cache, store, "diskoffering", row.get("diskofferingid")) if row.get("diskofferingid") else None
    host = cached_row(cache, store, "host", row.get("hostid")) if row.get("hostid") else None
    ostype = cached_row(cache, store, "ostype", row.get("ostypeid")) if row.get("ostypeid") else None
    user = cached_row(cache, store, "user", row.get("userid")) if row.get("userid") else None
    ensure_indexes(store)
    nics = sorted(store.find("nic", virtualmachineid=row["id"]), key=lambda n: n.get("deviceid", 0))
    groups = []
    for group_id in row.get("affinitygroupids") or []:
        group = cached_row(cache, store, "affinitygroup", group_id)
        if group:
            groups.append({"id": group["id"], "name": group["name"], "type": group["type"],
                           "description": group.get("description"), **owner_fields(ctx, group)})
    static_nat = store.find_one("publicipaddress", virtualmachineid=row["id"], isstaticnat=True)
    details = dict(row.get("details") or {})
    out = {
        "id": row["id"], "name": row["name"], "displayname": row.get("displayname") or row["name"],
        "userid": row.get("userid"), "username": user["username"] if user else None,
        "created": row.get("created"), "lastupdated": row.get("lastupdated"), "state": row["state"],
        "haenable": bool(row.get("haenable")), "group": row.get("group"), "groupid": row.get("groupid"),
        "zoneid": row["zoneid"], "zonename": zone_name(store, row["zoneid"]),
        "hostid": host["id"] if host and admin else None, "hostname": host["name"] if host and admin else None,
        "hypervisor": row.get("hypervisor", "Simulator"), "instancename": row.get("instancename") if admin else None,
        "templateid": template.get("id") or row.get("templateid"), "templatename": template.get("name"),
        "templatedisplaytext": template.get("displaytext"), "passwordenabled": bool(template.get("passwordenabled")),
        "isoid": iso["id"] if iso else None, "isoname": iso["name"] if iso else None,
        "isodisplaytext": iso.get("displaytext") if iso else None,
        "serviceofferingid": row.get("serviceofferingid"), "serviceofferingname": offering.get("name"),
        "diskofferingid": disk_offering["id"] if disk_offering else None,
        "diskofferingname": disk_offering["name"] if disk_offering else None,
        "cpunumber": row.get("cpunumber"), "cpuspeed": row.get("cpuspeed"), "memory": row.get("memory"),
        "guestosid": row.get("ostypeid"), "ostypeid": row.get("ostypeid"),
        "osdisplayname": ostype["description"] if ostype else None,
        "rootdeviceid": 0, "rootdevicetype": "ROOT", "securitygroup": _guestnet.vm_security_groups(ctx, row["id"]),
        "nic": [render_nic(store, n, cache) for n in nics], "affinitygroup": groups,
        "displayvm": row.get("displayvm", True), "isdynamicallyscalable": bool(row.get("isdynamicallyscalable")),
        "deleteprotection": bool(row.get("deleteprotection")),
        "keypairs": row.get("keypairs"), "details": details or None, "boottype": "BIOS", "bootmode": "LEGACY",
        "pooltype": "NetworkFilesystem", "hasannotations": False, "tags": ctx.tags_for(row["id"]),
        "publicip": static_nat["ipaddress"] if static_nat else None, "publicipid": static_nat["id"] if static_nat else None,
        "password": password, "userdata": row.get("userdata") if userdata else None,
        "userdataid": row.get("userdataid"), "userdatapolicy": row.get("userdatapolicy"),
    }
    if ctx.caller is not None and not ctx.caller.is_root_admin:
        out["readonlydetails"] = "dataDiskController,rootDiskController"
    out.update(owner_fields(ctx, row))
    out.update(pending_job_fields(store, row["id"]))
    return out


def pending_job_fields(store, vm_id: str) -> dict:
    """``jobid``/``jobstatus`` of a job still running on the VM (user_vm_view joins async_job with
    job_status 0), so the deploy job's own result and lists during it name that job."""
    for job in store.find("asyncjob", jobinstanceid=vm_id, jobstatus=0):
        if job.get("jobinstancetype") == "VirtualMachine":
            return {"jobid": job["id"], "jobstatus": 0}
    return {}


def get_vm(ctx, vm_id: str, *, allow_removed: bool = False) -> dict:
    row = ctx.store.get("virtualmachine", vm_id)
    if row is None or (row.get("removed") and not allow_removed):
        number = row.get("internalid") if row else vm_id
        raise errors.invalid_value(f"unable to find a virtual machine with id {number}")
    return check_owned(ctx, row, "VM")


def touch(store, vm_id: str, **changes) -> dict:
    return store.update("virtualmachine", vm_id, lastupdated=wire.now_text(), **changes)


def new_password(ctx) -> str:
    length = max(6, int(ctx.config("vm.password.length", "6") or 6))
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def check_userdata(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise errors.invalid_value("User data is not base64 encoded") from None
    return text


def extraconfig_details(ctx, text: str | None, account_id: str | None = None) -> dict[str, str]:
    """extraconfig (URL-encoded) → ``extraconfig-<name>`` details, as a real server stores KVM/DPDK configs.

    Blocks are separated by an empty line; a block whose first line is ``name:`` is stored under
    ``extraconfig-name``, any other block under ``extraconfig-1``.
    """
    if not text:
        return {}
    # An account-scoped setting, read for the VM's owner (as the server does).
    if not setting_true(ctx, "enable.additional.vm.configuration", account=account_id):
        raise errors.invalid_value("attempted setting extraconfig but enable.additional.vm.configuration is disabled")
    decoded = unquote_plus(text)
    out: dict[str, str] = {}
    for block in decoded.split("\n\n"):
        if not block.strip():
            continue
        first, _, rest = block.partition("\n")
        if re.fullmatch(r"\S+:", first):
            out[f"extraconfig-{first[:-1]}"] = rest
        else:
            out["extraconfig-1"] = block
    return out


# Hypervisor.HypervisorType: the types whose Functionality includes RootDiskSizeOverride.
ROOT_DISK_RESIZERS = ("XenServer", "KVM", "VMware", "Simulator", "Custom")


def root_disk_override(store, details: dict[str, str], param_gb: int | None, hypervisor: str, template: dict,
                       from_iso: bool) -> int | None:
    """The root disk size (GB) a deploy asks for, checked as UserVmManagerImpl does, or None for the template's.

    ``details[0].rootdisksize`` wins over the ``rootdisksize`` parameter (DeployVMCmd.getDetails); the value
    ends up in the VM's details. It must be a positive number, the hypervisor must support the override, and a
    template-based root disk may not shrink below the template; asking for exactly the template's size is no
    override (the detail is dropped).
    """
    if "rootdisksize" not in details and param_gb is not None:
        details["rootdisksize"] = str(param_gb)
    if "rootdisksize" not in details:
        return None
    text = str(details["rootdisksize"]).strip()
    size_gb = int(text) if text.lstrip("-").isdigit() else -1
    if size_gb <= 0:
        raise errors.invalid_value("Root disk size should be a positive number.")
    if hypervisor not in ROOT_DISK_RESIZERS:
        raise errors.invalid_value(f"Hypervisor {hypervisor} does not support rootdisksize override")
    if from_iso:
        return size_gb
    template_bytes = int(template.get("size") or 0)
    if size_gb * limits.GIB < template_bytes:
        raise errors.invalid_value(f"Unsupported: rootdisksize override ({size_gb} GB) is smaller than template size "
                                   f"{limits.human_readable(store, template_bytes)}")
    if size_gb * limits.GIB == template_bytes:
        details.pop("rootdisksize")
    return size_gb


def affinity_groups_for(ctx, owner: dict) -> list[str]:
    store = ctx.store
    found = []
    for group_id in ctx.get("affinitygroupids") or []:
        group = store.get("affinitygroup", group_id.lower())
        if group is None or group.get("removed"):
            raise errors.invalid_value(f"Unable to find affinity group by id {group_id}")
        found.append(group)
    for name in ctx.get("affinitygroupnames") or []:
        group = store.find_one("affinitygroup", name=name, accountid=owner["id"])
        if group is None:
            raise errors.invalid_value(f"Unable to find affinity group {name}")
        found.append(group)
    for group in found:
        if group.get("accountid") != owner["id"] and not group.get("domainlevel"):
            raise errors.permission_denied(f"Affinity group {group['name']} does not belong to the VM's account "
                                           f"{owner['name']}")
    return [g["id"] for g in found]


def keypairs_for(ctx, owner: dict) -> list[dict]:
    names = list(ctx.get("keypairs") or [])
    if ctx.has("keypair"):
        names.insert(0, ctx.get("keypair"))
    found = []
    for name in names:
        pair = ctx.store.find_one("sshkeypair", name=name, accountid=owner["id"])
        if pair is None:
            raise errors.invalid_value(f"A key pair with name '{name}' was not found.")
        found.append(pair)
    return found


def stop_vm_rows(store, vm: dict) -> dict:
    """Running/Stopping → Stopped: off its host (capacity freed); volumes and NICs stay."""
    vm = _capacity.release(store, vm)
    return touch(store, vm["id"], state="Stopped", hostid=None)


def destroy_vm_rows(store, vm: dict, data_volume_ids: list[str] = ()) -> dict:
    """Running/Stopped → Destroyed: off its host, counts released, ROOT (and listed data volumes) destroyed.

    Other data volumes stay attached (a recovered VM gets them back); expunging detaches them."""
    vm = _capacity.release(store, vm)
    for volume in storage.volumes_of(store, vm["id"]):
        if volume["type"] == "ROOT":
            storage.destroy_volume(store, volume)
        elif volume["id"] in data_volume_ids:
            store.update("volume", volume["id"], virtualmachineid=None, deviceid=None)
            storage.destroy_volume(store, store.get("volume", volume["id"]))
    owner = vm["accountid"]
    limits.release(store, owner, "user_vm")
    limits.release(store, owner, "cpu", vm.get("cpunumber", 0))
    limits.release(store, owner, "memory", vm.get("memory", 0))
    return touch(store, vm["id"], state="Destroyed", hostid=None, destroyedat=epoch())


def expunge_vm_rows(store, vm: dict) -> dict:
    """Destroyed → Expunging → gone: NICs (IPs) released, volumes, snapshots, tags and group membership removed."""
    vm = touch(store, vm["id"], state="Expunging")
    vm = _capacity.release(store, vm)
    for nic in store.find("nic", virtualmachineid=vm["id"]):
        _guestnet.release_nic(store, nic)
    for volume in store.find("volume", virtualmachineid=vm["id"]):
        if volume.get("removed"):
            continue
        if volume["type"] == "ROOT":
            storage.expunge_volume(store, volume)
        else:
            store.update("volume", volume["id"], virtualmachineid=None, deviceid=None, attached=None)
    for volume in store.find("volume", state="Destroy"):
        if volume.get("destroyedwith") == vm["id"]:
            storage.expunge_volume(store, volume)
    for snapshot in store.find("vmsnapshot", virtualmachineid=vm["id"]):
        if not snapshot.get("removed"):
            store.update("vmsnapshot", snapshot["id"], removed=wire.now_text(), state="Expunging")
    for group_id in vm.get("affinitygroupids") or []:
        group = store.get("affinitygroup", group_id)
        if group:
            store.update("affinitygroup", group_id,
                         virtualmachineids=[v for v in group.get("virtualmachineids", []) if v != vm["id"]])
    _guestnet.release_security_groups(store, vm["id"])
    tagging.delete_tags_of(store, vm["id"])
    for ip in store.find("publicipaddress", virtualmachineid=vm["id"]):
        store.update("publicipaddress", ip["id"], virtualmachineid=None, isstaticnat=False, vmipaddress=None)
    return touch(store, vm["id"], removed=wire.now_text(), affinitygroupids=[])


def cleanup_account(store, account: dict) -> None:
    """deleteAccount hook (identity.register_account_cleanup): VMs expunged, volumes, snapshots, VM snapshots,
    templates, key pairs and affinity groups of the account removed."""
    for vm in store.find("virtualmachine", accountid=account["id"]):
        if vm.get("removed"):
            continue
        if vm["state"] not in ("Destroyed", "Expunging"):
            vm = destroy_vm_rows(store, vm)
        expunge_vm_rows(store, vm)
    for volume in store.find("volume", accountid=account["id"]):
        if not volume.get("removed"):
            storage.expunge_volume(store, volume)
    now = wire.now_text()
    for kind in ("snapshot", "vmsnapshot", "template"):
        for row in store.find(kind, accountid=account["id"]):
            if not row.get("removed"):
                store.update(kind, row["id"], removed=now)
                tagging.delete_tags_of(store, row["id"])
    for kind in ("sshkeypair", "affinitygroup", "snapshotpolicy"):
        store.delete_where(kind, accountid=account["id"])


def stop_account_vms(store, account: dict) -> None:
    """disableAccount (lock=false) hook: the account's running VMs are stopped, as a real server does.

    VMs still Starting are left to their deploy/start job, which is queued on the VM and ends on its own."""
    for vm in store.find("virtualmachine", accountid=account["id"]):
        if not vm.get("removed") and vm["state"] in ("Running", "Stopping"):
            stop_vm_rows(store, vm)


register_account_cleanup(cleanup_account, rank=CLEANUP_VMS)
register_account_disable(stop_account_vms, rank=DISABLE_VMS)


def start_vm(jctx, vm: dict, *, host_id: str | None = None, pod_id: str | None = None,
           cluster_id: str | None = None) -> tuple[dict, str | None]:
    """Place the VM on a host (533/534 when impossible), implement its networks, make it Running."""
    store = jctx.store
    if not storage.volumes_of(store, vm["id"]) or not any(v["type"] == "ROOT" for v in storage.volumes_of(store, vm["id"])):
        raise errors.invalid_value(f"Unable to start VM {vm['name']}: it has no root volume attached")
    host = _capacity.choose_host(jctx, vm, host_id=host_id, pod_id=pod_id, cluster_id=cluster_id)
    vm = _capacity.reserve(store, vm, host)
    for nic in store.find("nic", virtualmachineid=vm["id"]):
        network = store.get("network", nic["networkid"])
        if network is not None:
            # Every start, whatever the network's state: the network service does what is missing
            # (Allocated -> Implemented, a Setup network's router, a Basic zone NIC's address in the host's pod).
            network = _guestnet.implement_network(jctx, network)
            nic = _guestnet.prepare_nic(jctx, nic, network, host)
            _guestnet.refresh_nic(store, nic, network)
    storage.mark_started(store, vm)
    template = store.get("template", vm.get("templateid")) or {}
    password = None
    if template.get("passwordenabled") and not vm.get("password"):
        password = new_password(jctx)
    changes = {"state": "Running", "hostid": host["id"], "lasthostid": host["id"], "podid": host.get("podid")}
    if password:
        changes["password"] = password
    vm = touch(store, vm["id"], **changes)
    record_event(jctx, "VM.START", f"Starting VM {vm['instancename']}", resource_id=vm["id"],
                 resource_type="VirtualMachine", account=store.get("account", vm["accountid"]))
    return vm, password
