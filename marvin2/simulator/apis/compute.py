"""Virtual machines: deploy, the start/stop/reboot/destroy/recover/expunge life cycle, listing.

States exactly as a real server's: Stopped → Starting → Running → Stopping →
Stopped; Running → Migrating → Running; Stopped/Running → Destroyed →
(recover) Stopped, or → Expunging → gone; a deploy that cannot be placed ends
in Error. Destroyed VMs are expunged by a background sweep honouring
``expunge.delay``/``expunge.interval`` (see ``services/expunge.py``).

How a deploy works, as on a real server: the request itself checks every
parameter, charges the account's resource counts (an exceeded limit is an
immediate 532), creates the VM (state ``Starting``, or ``Stopped`` with
``startvm=false``), its volumes and its NICs (guest IPs and MACs allocated
now: an exhausted network is an immediate 533), and answers ``id`` + ``jobid``.
The job then picks a host with room (none: the job fails with the real 533
and the VM goes to ``Error``), implements the network on its first VM, and
makes the VM ``Running``.

The rows, the renderer and the start/stop/destroy/expunge changes live in
``services/vms.py`` (the ``virtualmachine`` kind's fields are listed there).
"""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import access_texts, errors, limits, tagging
from marvin2.simulator.context import Job
from marvin2.simulator.declare import (
    ACCOUNT_SCOPE,
    PAGING,
    P,
    api,
    declare_object,
)
from marvin2.simulator.services import capacity as _capacity
from marvin2.simulator.services import guestnet as _guestnet
from marvin2.simulator.services import instance_groups
from marvin2.simulator.services import volumes as storage
from marvin2.simulator.services.catalog import (
    can_use_template,
    is_iso,
    offering_for_vm,
    template_ready_in,
)
from marvin2.simulator.services.common import (
    GIB,
    account_number,
    apply_command_classes,
    check_owned,
    list_owned,
    lower_details,
    next_number,
    owner_for_create,
    record_event,
)
from marvin2.simulator.services.offerings import check_offering_access
from marvin2.simulator.services.vms import (
    HOSTNAME,
    affinity_groups_for,
    check_userdata,
    destroy_vm_rows,
    expunge_vm_rows,
    extraconfig_details,
    get_vm,
    keypairs_for,
    render_vm,
    root_disk_override,
    setting_true,
    start_vm,
    stop_vm_rows,
    touch,
)
from marvin2.simulator.store import new_uuid

tagging.register_taggable("UserVm", "virtualmachine")



# --- rendering ----------------------------------------------------------------------------------------

declare_object("virtualmachine", {
    "id": "VM id", "name": "host name", "displayname": "display name", "state": "Running, Stopped, Destroyed ...",
    "zoneid": "zone", "zonename": "zone name", "templateid": "template", "templatename": "template name",
    "serviceofferingid": "compute offering", "serviceofferingname": "its name", "cpunumber": ("integer", "CPUs"),
    "cpuspeed": ("integer", "MHz per CPU"), "memory": ("integer", "memory (MiB)"), "hostid": "host (admins)",
    "hostname": "host name (admins)", "instancename": "instance name (admins)", "account": "owner", "domainid": "owner domain id",
    "domain": "owner domain", "created": ("date", "created"), "nic": ("set", "NICs"), "password": "the password (deploy, reset)",
    "passwordenabled": ("boolean", "password reset possible"), "details": ("map", "VM details"), "keypairs": "SSH key pairs",
    "affinitygroup": ("set", "affinity groups"), "isoid": "attached ISO", "tags": ("set", "tags"), "group": "group",
    "haenable": ("boolean", "HA enabled"), "userdata": "base64 user data (when asked for)",
})


# --- look-ups ----------------------------------------------------------------------------------------


# --- userdata and extraconfig -------------------------------------------------------------------------


# --- deploy ---------------------------------------------------------------------------------------------


def _resolve_networks(ctx, zone: dict, owner: dict) -> list[tuple[dict, str | None, str | None]]:
    """[(network, requested ip, requested mac)] in NIC order; the first is the default NIC."""
    entries: list[tuple[dict, str | None, str | None]] = []
    if ctx.has("iptonetworklist"):
        for entry in ctx.get("iptonetworklist"):
            lowered = {k.lower(): v for k, v in entry.items()}
            if not lowered.get("networkid"):
                raise errors.invalid_value("iptonetworklist entries need a networkid (iptonetworklist[i].networkid=...)")
            network = _guestnet.usable_network(ctx, lowered["networkid"].lower(), owner)
            entries.append((network, lowered.get("ip"), lowered.get("mac")))
    elif ctx.has("networkids"):
        for index, network_id in enumerate(ctx.get("networkids")):
            network = _guestnet.usable_network(ctx, network_id.lower(), owner)
            if any(n["id"] == network["id"] for n, _, _ in entries):
                raise errors.invalid_value(f"Network id={network['id']} is specified more than once")
            entries.append((network, None, None))
    else:
        entries.append((_guestnet.default_network(ctx, zone, owner), None, None))
    if ctx.has("ipaddress") or ctx.has("macaddress"):
        network, ip, mac = entries[0]
        entries[0] = (network, ip or ctx.get("ipaddress"), mac or ctx.get("macaddress"))
    for network, _, _ in entries:
        if network["zoneid"] != zone["id"]:
            raise errors.invalid_value(f"Network {network['name']} is not in zone {zone['name']}")
    return entries


@api("deployVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     related="startVirtualMachine,destroyVirtualMachine,listVirtualMachines",
     description="Creates a VM from a template (or ISO) and starts it unless startvm=false. Answers the new VM's id "
                 "and the job id at once; the job result is the VM (with its password when the template has one).",
     params=[P("serviceofferingid", "compute offering"), P("templateid", "template or ISO"),
             P("zoneid", "the zone"), P("account"), P("domainid"), P("projectid", entity="project"),
             P("name", "host name (default VM-<uuid>)"), P("displayname", "display name"),
             P("group", "group name"), P("networkids", "networks, the first gets the default NIC"),
             P("iptonetworklist", "iptonetworklist[i].networkid/.ip/.mac"),
             P("ipaddress", "IPv4 of the default NIC"), P("ip6address", "IPv6 of the default NIC"),
             P("macaddress", "MAC of the default NIC"), P("diskofferingid", "data disk offering (root disk for an ISO)"),
             P("size", "data disk size (GB) for a custom disk offering"),
             P("rootdisksize", "root disk size (GB)"), P("startvm", "start it (default true)"),
             P("userdata", "base64 user data (send with POST when large)"),
             P("userdataid", "registered user data", entity=""), P("userdatadetails", "user data variables"),
             P("keypair", "SSH key pair name"), P("keypairs", "SSH key pair names"),
             P("details", "details (custom offering: cpuNumber, cpuSpeed, memory)"),
             P("extraconfig", "URL-encoded additional hypervisor configuration"),
             P("hostid", "host to start on (admins)"), P("podid"), P("clusterid"),
             P("hypervisor", "hypervisor type"), P("affinitygroupids", "affinity groups"),
             P("affinitygroupnames", "affinity group names"),
             P("securitygroupids", "security groups"), P("securitygroupnames", "security group names"),
             P("displayvm", "show to the user"), P("keyboard", "keyboard layout"),
             P("customid", "custom id"), P("deploymentplanner", "deployment planner (admins)"),
             P("dhcpoptionsnetworklist", "DHCP options per network"),
             P("datadiskofferinglist", "data disks of a multi-disk template"),
             P("nicnetworklist", "NIC to network mapping of a VMware template"),
             P("properties", "vApp properties"), P("bootintosetup", "boot into setup"),
             P("bootmode", "secure or legacy"), P("boottype", "BIOS or UEFI"),
             P("copyimagetags", "copy the template's tags"),
             P("dynamicscalingenabled", "allow scaling while running"),
             P("iodriverpolicy", "KVM IO driver policy"), P("iothreadsenabled", "KVM IO threads"),
             P("overridediskofferingid", "root disk offering override", entity="diskoffering")])
def deploy_virtual_machine(ctx):
    store = ctx.store
    caller = ctx.caller
    zone = store.get("zone", ctx.get("zoneid"))
    if zone.get("allocationstate") == "Disabled" and not caller.is_root_admin:
        raise errors.permission_denied(f"Cannot perform this operation, Zone is currently disabled: {zone['id']}")
    if ctx.has("hostid") and not caller.is_root_admin:
        raise errors.permission_denied("Parameter hostid can only be specified by a Root Admin, permission denied")
    owner = owner_for_create(ctx)
    if owner.get("state") not in (None, "enabled"):
        raise errors.permission_denied(f"The owner of vm to deploy is disabled: {owner['name']}")
    offering = store.get("serviceoffering", ctx.get("serviceofferingid"))
    if offering.get("removed") or offering.get("state") == "Inactive":
        raise errors.invalid_value(f"Unable to find service offering: {offering['id']}")
    if offering.get("issystem"):
        raise errors.invalid_value(f"Cannot use system service offering {offering['name']} for a user VM")
    # UserVmManagerImpl.createVirtualMachine: the owner must be allowed the offerings' domains and zones.
    check_offering_access(store, "serviceoffering", offering, owner, zone["id"])
    template = store.get("template", ctx.get("templateid"))
    if template.get("removed"):
        raise errors.invalid_value(f"Unable to use template {template['id']}")
    if not can_use_template(ctx, template, owner):
        raise access_texts.no_launch_permission(store, owner, template)
    if not template_ready_in(store, template, zone["id"], ctx.sim.profile):
        raise errors.invalid_value(f"Template {template['id']} has not been completely downloaded to zone {zone['id']}")
    from_iso = is_iso(template)
    disk_offering = store.get("diskoffering", ctx.get("diskofferingid")) if ctx.has("diskofferingid") else None
    if disk_offering is not None:
        check_offering_access(store, "diskoffering", disk_offering, owner, zone["id"])
    if from_iso:
        if not template.get("bootable", True):
            raise errors.invalid_value("Installing from ISO requires an ISO that is bootable: " + template["id"])
        if disk_offering is None:
            raise errors.invalid_value("Installing from ISO requires a disk offering to be specified for the root disk.")
    hypervisors = {c.get("hypervisortype") for c in store.find("cluster", zoneid=zone["id"])}
    hypervisor = template.get("hypervisor") or "Simulator"
    if ctx.has("hypervisor") and ctx.get("hypervisor").lower() != hypervisor.lower() and not from_iso:
        raise errors.invalid_value("Hypervisor passed to the deployVm call, is different from the hypervisor type of "
                                   "the template")
    if not from_iso and hypervisor not in hypervisors:
        raise errors.invalid_value(f"Unable to find a cluster of hypervisor {hypervisor} in zone {zone['name']} for "
                                   f"template {template['name']}")
    details = lower_details(ctx.get("details"))
    cpunumber, cpuspeed, memory = offering_for_vm(offering, details)
    if from_iso and "rootdisksize" not in details and ctx.has("size"):
        details["rootdisksize"] = str(ctx.get("size"))       # an ISO's root disk takes size= (UserVmManagerImpl)

    # Disks: the root from the template (or the ISO's disk offering), an optional data disk.
    template_gb = max(1, int((template.get("size") or 0) // GIB))
    root_gb = template_gb
    if from_iso:
        root_gb = int(disk_offering.get("disksize") or 0) or (ctx.get("size") or 0)
        if root_gb <= 0:
            raise errors.invalid_value("Disk offering of the ISO's root disk needs a size (size=GB for a custom offering)")
    override_gb = root_disk_override(ctx.store, details, ctx.get("rootdisksize"), hypervisor, template, from_iso)
    if override_gb is not None and not (from_iso and disk_offering.get("disksize")):
        root_gb = override_gb              # a sized disk offering for an ISO's root disk wins over a custom size
    data_gb = 0
    if disk_offering is not None and not from_iso:
        if disk_offering.get("removed") or disk_offering.get("state") == "Inactive":
            raise errors.invalid_value(f"Unable to find disk offering {disk_offering['id']}")
        if disk_offering.get("iscustomized"):
            if not ctx.has("size"):
                raise errors.invalid_value("This disk offering requires a custom size specified")
            data_gb = ctx.get("size")
        else:
            data_gb = int(disk_offering.get("disksize") or 0)

    name = ctx.get("name")
    if name is not None and not HOSTNAME.match(name):
        raise errors.invalid_value("Invalid name. Vm name can contain ASCII letters 'a' through 'z', the digits '0' "
                                   "through '9', and the hyphen ('-'), must be between 1 and 63 characters long, and "
                                   "can't start or end with \"-\" and can't start with digit")
    networks = _resolve_networks(ctx, zone, owner)
    if name is not None:
        for network, _, _ in networks:
            peers = {n["virtualmachineid"] for n in store.find("nic", networkid=network["id"])}
            for peer in peers:
                other = store.get("virtualmachine", peer)
                if other and not other.get("removed") and other["name"].lower() == name.lower():
                    raise errors.invalid_value(f"The vm with hostName {name} already exists in the network domain: "
                                               f"{network.get('networkdomain')}; network={network['name']}")
    userdata = check_userdata(ctx.get("userdata"))
    extra = extraconfig_details(ctx, ctx.get("extraconfig"), owner["id"])
    groups = affinity_groups_for(ctx, owner)
    pairs = keypairs_for(ctx, owner)

    # Limits: an exceeded one is an immediate 532, before anything is created.
    limits.charge(store, owner, "user_vm")
    limits.charge(store, owner, "cpu", cpunumber)
    limits.charge(store, owner, "memory", memory)
    storage.charge_volume(store, owner, root_gb * GIB)
    if data_gb:
        storage.charge_volume(store, owner, data_gb * GIB)

    number = next_number(store, "vm")
    vm_id = new_uuid()
    name = name or f"VM-{vm_id}"
    start = ctx.get("startvm", True)
    all_details = {**details, **extra}
    if ctx.has("keyboard"):
        all_details["keyboard"] = ctx.get("keyboard")
    vm = store.insert("virtualmachine", {
        "id": vm_id, "internalid": number, "name": name, "displayname": ctx.get("displayname") or name,
        "instancename": f"i-{account_number(store, owner)}-{number}-VM", "state": "Starting" if start else "Stopped",
        "zoneid": zone["id"], "templateid": template["id"],
        "isoid": template["id"] if from_iso else None, "serviceofferingid": offering["id"],
        "diskofferingid": disk_offering["id"] if disk_offering else None,
        "rootdiskofferingid": disk_offering["id"] if from_iso and disk_offering else None,
        "cpunumber": cpunumber, "cpuspeed": cpuspeed, "memory": memory, "hypervisor": hypervisor,
        "ostypeid": template.get("ostypeid"), "userid": caller.user["id"], **ctx.owner_row_fields(owner),
        "group": ctx.get("group"), "haenable": bool(offering.get("offerha")), "displayvm": ctx.get("displayvm", True),
        "userdata": userdata, "details": all_details or None, "affinitygroupids": groups,
        "keypairs": ",".join(p["name"] for p in pairs) or None, "publickeys": [p["publickey"] for p in pairs] or None,
        "isdynamicallyscalable": bool(template.get("isdynamicallyscalable")) and ctx.get("dynamicscalingenabled", True),
        "customid": ctx.get("customid"), "lastupdated": wire.now_text(),
    })
    instance_groups.adopt_vm_group(store, vm)
    for group_id in groups:
        group = store.get("affinitygroup", group_id)
        store.update("affinitygroup", group_id, virtualmachineids=[*group.get("virtualmachineids", []), vm_id])
    storage.new_root_volume(store, vm, root_gb * GIB, owner)
    if data_gb:
        storage.new_data_volume(store, name=f"DATA-{number}", zone_id=zone["id"], size=data_gb * GIB,
                                offering=disk_offering, owner=owner, vm=vm, deviceid=1)
    for index, (network, ip, mac) in enumerate(networks):
        _guestnet.allocate_nic(ctx, network, vm, deviceid=index, isdefault=index == 0, requested_ip=ip, requested_mac=mac)
    _guestnet.assign_security_groups(ctx, vm, owner, zone)
    record_event(ctx, "VM.CREATE", f"Successfully created VM instance {vm['instancename']}", resource_id=vm_id,
                 resource_type="VirtualMachine", account=owner)
    host_id, pod_id, cluster_id = ctx.get("hostid"), ctx.get("podid"), ctx.get("clusterid")

    def run(jctx):
        current = jctx.store.get("virtualmachine", vm_id)
        if not start:
            return render_vm(jctx, current)
        if current.get("removed") or current["state"] != "Starting":
            # Destroyed (or otherwise changed) while the deploy job was queued.
            raise errors.invalid_value(f"Unable to start VM {current['name']}: it is {current['state']}")
        current, password = start_vm(jctx, current, host_id=host_id, pod_id=pod_id, cluster_id=cluster_id)
        return render_vm(jctx, current, password=password)

    def failed(jctx, error):
        current = jctx.store.get("virtualmachine", vm_id)
        if current is not None and current["state"] == "Starting":
            current = _capacity.release(jctx.store, current)
            touch(jctx.store, vm_id, state="Error", hostid=None)

    return Job(run, entity_id=vm_id, instance_id=vm_id, on_failure=failed)


def _stop(jctx, vm: dict) -> dict:
    return stop_vm_rows(jctx.store, vm)


# --- life cycle ---------------------------------------------------------------------------------------------


@api("startVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Starts a stopped VM (Stopped → Starting → Running).",
     params=[P("id", "the VM", entity="virtualmachine"), P("hostid", "host (admins)"),
             P("podid"), P("clusterid"), P("considerlasthost", "prefer the last host"),
             P("deploymentplanner", "planner (admins)"), P("bootintosetup", "boot into setup")])
def start_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    if ctx.has("hostid") and not ctx.caller.is_root_admin:
        raise errors.permission_denied("Parameter hostid can only be specified by a Root Admin, permission denied")
    if vm["state"] == "Stopped":
        touch(ctx.store, vm["id"], state="Starting")
    consider_last = ctx.get("considerlasthost", True)

    def run(jctx):
        # Decided now, not when asked: jobs of one VM run in order, so a stop queued before this start has ended.
        current = jctx.store.get("virtualmachine", vm["id"])
        if current["state"] == "Running":
            raise errors.invalid_value(f"The virtual machine {vm['id']} ({vm['displayname']}) is already running")
        if current.get("removed") or current["state"] not in ("Stopped", "Starting"):
            raise errors.invalid_value(f"Unable to start VM instance {vm['name']}: it is in state {current['state']}")
        host_id = jctx.get("hostid")
        if host_id is None and consider_last and current.get("lasthostid"):
            last = jctx.store.get("host", current["lasthostid"])
            if _capacity.usable_host(jctx.store, last) and _capacity.fits(jctx.store, last, current):
                host_id = last["id"]
        current, password = start_vm(jctx, current, host_id=host_id,
                                   pod_id=jctx.get("podid"), cluster_id=jctx.get("clusterid"))
        return render_vm(jctx, current, password=password)

    def failed(jctx, error):
        current = jctx.store.get("virtualmachine", vm["id"])
        if current["state"] == "Starting":
            touch(jctx.store, vm["id"], state="Stopped")

    return Job(run, instance_id=vm["id"], on_failure=failed)


@api("stopVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Stops a running VM (Running → Stopping → Stopped); stopping a stopped VM succeeds.",
     params=[P("id", "the VM", entity="virtualmachine"), P("forced", "force the stop")])
def stop_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    state = vm["state"]
    if state == "Running":
        touch(ctx.store, vm["id"], state="Stopping")

    def run(jctx):
        current = jctx.store.get("virtualmachine", vm["id"])
        state = current["state"]        # now, not when asked: a destroy may have come in between
        if state in ("Stopping", "Running", "Error") or (state == "Starting" and jctx.get("forced")):
            current = _stop(jctx, current)
            record_event(jctx, "VM.STOP", f"Stopping VM {current['instancename']}", resource_id=current["id"],
                         resource_type="VirtualMachine", account=jctx.store.get("account", current["accountid"]))
        elif state != "Stopped":
            raise errors.invalid_value(f"Unable to stop VM {current['name']} in state {state}")
        return render_vm(jctx, current)

    def failed(jctx, error):
        current = jctx.store.get("virtualmachine", vm["id"])
        if current["state"] == "Stopping":
            touch(jctx.store, vm["id"], state="Running")

    return Job(run, instance_id=vm["id"], on_failure=failed)


@api("rebootVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Reboots a running VM (it stays Running).",
     params=[P("id", "the VM", entity="virtualmachine"), P("forced", "force"),
             P("bootintosetup", "boot into setup")])
def reboot_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))

    def run(jctx):
        current = jctx.store.get("virtualmachine", vm["id"])
        if current["state"] != "Running" or not current.get("hostid"):
            raise errors.internal_error("Failed to reboot vm instance")
        record_event(jctx, "VM.REBOOT", f"Rebooting VM {current['instancename']}", resource_id=current["id"],
                     resource_type="VirtualMachine")
        return render_vm(jctx, touch(jctx.store, current["id"]))

    return Job(run, instance_id=vm["id"])


def _may_expunge_or_recover(ctx) -> bool:
    return ctx.caller.is_admin or setting_true(ctx, "allow.user.expunge.recover.vm", account=ctx.caller.account_id)


@api("destroyVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Destroys a VM (state Destroyed, recoverable until the expunge sweep) or, with expunge=true, removes it.",
     params=[P("id", "the VM", entity="virtualmachine"), P("expunge", "remove at once"),
             P("volumeids", "data volumes to destroy with it")])
def destroy_virtual_machine(ctx):
    from marvin2.simulator.services import expunge as _expunge

    vm = get_vm(ctx, ctx.get("id"))
    expunge = bool(ctx.get("expunge"))
    volume_ids = [v.lower() for v in ctx.get("volumeids") or []]
    for volume_id in volume_ids:
        volume = ctx.store.get("volume", volume_id)
        if volume is None or volume.get("virtualmachineid") != vm["id"] or volume["type"] != "DATADISK":
            raise errors.invalid_value(f"Please specify volumes that belong to the VM: {volume_id} is not one of its "
                                       "data volumes")
    _expunge.ensure_running(ctx.sim)

    def run(jctx):
        store = jctx.store
        if expunge and not _may_expunge_or_recover(jctx):
            raise errors.permission_denied("Parameter expunge can be passed by Admin only. Or when the "
                                           "allow.user.expunge.recover.vm key is set.")
        current = store.get("virtualmachine", vm["id"])
        if current.get("removed"):
            raise errors.invalid_value(f"unable to find a virtual machine with id {current['internalid']}")
        if current["state"] in ("Destroyed", "Expunging") and not expunge:
            return render_vm(jctx, current)               # already destroyed: nothing to do (UserVmManagerImpl)
        if current.get("deleteprotection"):
            raise errors.invalid_value(f"Instance [id = {current['id']}, name = {current['name']}] has delete "
                                       "protection enabled and cannot be deleted.")
        if current["state"] not in ("Destroyed", "Expunging"):
            for volume_id in volume_ids:
                store.update("volume", volume_id, destroyedwith=current["id"])
            current = destroy_vm_rows(store, current, volume_ids)
            record_event(jctx, "VM.DESTROY", f"Destroying VM {current['instancename']}", resource_id=current["id"],
                         resource_type="VirtualMachine", account=store.get("account", current["accountid"]))
        if expunge:
            current = expunge_vm_rows(store, current)
            record_event(jctx, "VM.EXPUNGE", f"Expunging VM {current['instancename']}", resource_id=current["id"],
                         resource_type="VirtualMachine", account=store.get("account", current["accountid"]))
        return render_vm(jctx, current)

    return Job(run, instance_id=vm["id"])


@api("expungeVirtualMachine", response="success", instance_type="VirtualMachine",
     description="Removes a destroyed VM for good (admins, or users when allow.user.expunge.recover.vm is true).",
     params=[P("id", "the VM", entity="virtualmachine")])
def expunge_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"), allow_removed=True)

    def run(jctx):
        store = jctx.store
        if not _may_expunge_or_recover(jctx):
            raise errors.permission_denied("Parameter expunge can be passed by Admin only. Or when the "
                                           "allow.user.expunge.recover.vm key is set.")
        current = store.get("virtualmachine", vm["id"])
        if current.get("removed"):
            raise errors.invalid_value(f"unable to find a virtual machine with id {current['internalid']}")
        if current["state"] not in ("Destroyed", "Expunging"):
            raise errors.invalid_value(f"Please destroy vm with uuid {current['id']} before expunging")
        current = expunge_vm_rows(store, current)
        record_event(jctx, "VM.EXPUNGE", f"Expunging VM {current['instancename']}", resource_id=current["id"],
                     resource_type="VirtualMachine", account=store.get("account", current["accountid"]))
        from marvin2.simulator.context import SUCCESS

        return SUCCESS

    return Job(run, instance_id=vm["id"])


@api("recoverVirtualMachine", response="virtualmachine",
     description="Brings a destroyed (not yet expunged) VM back as Stopped.",
     params=[P("id", "the VM", entity="virtualmachine")])
def recover_virtual_machine(ctx):
    store = ctx.store
    vm = store.get("virtualmachine", ctx.get("id"))
    check_owned(ctx, vm, "VM")
    if not _may_expunge_or_recover(ctx):
        raise errors.permission_denied("Recovering a vm can only be done by an Admin. Or when the "
                                       "allow.user.expunge.recover.vm key is set.")
    if vm.get("removed"):
        raise errors.invalid_value(f"unable to find a virtual machine with id {vm['internalid']}")
    if vm["state"] != "Destroyed":
        raise errors.invalid_value(f"vm is not in the right state: {vm['internalid']}")
    owner = store.get("account", vm["accountid"])
    limits.charge(store, owner, "user_vm")
    limits.charge(store, owner, "cpu", vm.get("cpunumber", 0))
    limits.charge(store, owner, "memory", vm.get("memory", 0))
    for volume in store.find("volume", virtualmachineid=vm["id"]):
        if volume["type"] == "ROOT" and not volume.get("removed"):
            storage.recover_volume(store, volume, owner)
    vm = touch(store, vm["id"], state="Stopped", destroyedat=None)
    record_event(ctx, "VM.RECOVER", f"Recovering VM {vm['instancename']}", resource_id=vm["id"],
                 resource_type="VirtualMachine", account=owner)
    return render_vm(ctx, vm)


# --- list --------------------------------------------------------------------------------------------------------


@api("listVirtualMachines", response="virtualmachine", related="deployVirtualMachine",
     description="Lists the VMs the caller may see; state accepts Running, Stopped, Present (not destroyed), "
                 "Destroyed, Expunged and the other VM states.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="virtualmachine"), P("ids", "VM ids"),
             P("name"), P("state", "VM state, or Present"), P("zoneid"), P("podid"),
             P("clusterid"), P("hostid"), P("storageid", entity="storagepool"),
             P("templateid"), P("isoid", entity="template"), P("serviceofferingid"),
             P("networkid", entity="network"), P("vpcid", entity="vpc"),
             P("affinitygroupid", entity="affinitygroup"),
             P("securitygroupid", "VMs in this security group", entity="securitygroup"),
             P("groupid", "instance group", entity=""),
             P("keypair", "SSH key pair name"), P("haenable", "HA enabled"),
             P("hypervisor"), P("displayvm", "shown to users (admins)"),
             P("forvirtualnetwork", "VMs in isolated (virtual) networks"),
             P("userid", "deployed by this user"), P("projectid", entity="project"),
             P("tags"), P("details", "all, group, nics, stats, secgrp, tmpl, servoff, diskoff, "
                                                              "backoff, iso, volume, min, affgrp"),
             P("userdata", "include the user data"), P("showicon"),
             P("accumulate", "accumulate stats"),
             P("autoscalevmgroupid", "autoscale group", entity=""),
             P("backupofferingid", "backup offering", entity="")])
def list_virtual_machines(ctx):
    from marvin2.simulator.services import expunge as _expunge

    _expunge.ensure_running(ctx.sim)
    store = ctx.store
    wanted_state = (ctx.get("state") or "").lower()
    hide_destroyed = not ctx.caller.is_admin and not setting_true(ctx, "allow.user.view.destroyed.vm",
                                                           account=ctx.caller.account_id)
    in_network = None
    if ctx.has("networkid") or ctx.has("vpcid") or ctx.has("forvirtualnetwork"):
        network_ids = None
        if ctx.has("networkid"):
            network_ids = {ctx.get("networkid")}
        if ctx.has("vpcid"):
            vpc_networks = {n["id"] for n in store.find("network", vpcid=ctx.get("vpcid"))}
            network_ids = vpc_networks if network_ids is None else network_ids & vpc_networks
        if ctx.has("forvirtualnetwork"):
            virtual = {n["id"] for n in store.all("network") if n.get("type") == "Isolated"}
            if not ctx.get("forvirtualnetwork"):
                virtual = {n["id"] for n in store.all("network")} - virtual
            network_ids = virtual if network_ids is None else network_ids & virtual
        in_network = {n["virtualmachineid"] for n in store.all("nic") if n.get("networkid") in network_ids}
    in_group = None
    if ctx.has("securitygroupid"):
        # Membership lives in the security group module's map rows (securitygroupvmmap).
        in_group = {m["virtualmachineid"] for m in store.find("securitygroupvmmap",
                                                               securitygroupid=ctx.get("securitygroupid"))}
    on_pool = None
    if ctx.has("storageid"):
        on_pool = {v.get("virtualmachineid") for v in store.find("volume", storageid=ctx.get("storageid"))}

    def match(row):
        state = row["state"].lower()
        if wanted_state == "present":
            if state in ("destroyed", "expunging"):
                return False
        elif wanted_state and state != wanted_state:
            return False
        if hide_destroyed and state in ("destroyed", "expunging"):
            return False
        if in_network is not None and row["id"] not in in_network:
            return False
        if in_group is not None and row["id"] not in in_group:
            return False
        if ctx.has("groupid") and row.get("groupid") != ctx.get("groupid"):
            return False
        if on_pool is not None and row["id"] not in on_pool:
            return False
        if ctx.has("keypair") and ctx.get("keypair") not in (row.get("keypairs") or "").split(","):
            return False
        if ctx.has("affinitygroupid") and ctx.get("affinitygroupid") not in (row.get("affinitygroupids") or []):
            return False
        if ctx.has("haenable") and bool(row.get("haenable")) != ctx.get("haenable"):
            return False
        if ctx.has("displayvm") and bool(row.get("displayvm", True)) != ctx.get("displayvm"):
            return False
        if ctx.has("hypervisor") and row.get("hypervisor", "").lower() != ctx.get("hypervisor").lower():
            return False
        if ctx.has("clusterid"):
            host = store.get("host", row.get("hostid")) if row.get("hostid") else None
            if host is None or host.get("clusterid") != ctx.get("clusterid"):
                return False
        return True

    cache: dict = {}
    filters = {"zoneid": "zoneid", "podid": "podid", "hostid": "hostid", "templateid": "templateid", "isoid": "isoid",
               "serviceofferingid": "serviceofferingid", "userid": "userid", "groupid": "groupid"}
    with_userdata = bool(ctx.get("userdata"))
    return list_owned(ctx, "virtualmachine", lambda r: render_vm(ctx, r, cache=cache, userdata=with_userdata),
                      match=match, filters=filters, keyword_fields=("name", "displayname", "instancename"))


apply_command_classes()
