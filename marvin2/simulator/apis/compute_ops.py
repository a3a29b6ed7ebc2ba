"""VM operations besides the life cycle: scale / change offering, passwords, update,
NICs, migration and ISOs. Render and state helpers come from ``compute.py``."""
from __future__ import annotations

import base64

from marvin2.simulator import errors, limits
from marvin2.simulator.context import Job
from marvin2.simulator.declare import ADMINS, P, api, declare_object
from marvin2.simulator.services import capacity as _capacity
from marvin2.simulator.services import guestnet as _guestnet
from marvin2.simulator.services import instance_groups
from marvin2.simulator.services import keys as _rsa
from marvin2.simulator.services.catalog import (
    can_use_template,
    is_iso,
    offering_for_vm,
    template_ready_in,
)
from marvin2.simulator.services.common import (
    apply_command_classes,
    lower_details,
    record_event,
)
from marvin2.simulator.services.offerings import check_offering_access
from marvin2.simulator.services.vms import (
    HOSTNAME,
    check_userdata,
    extraconfig_details,
    get_vm,
    new_password,
    render_vm,
    setting_true,
    touch,
)

# --- offerings: scale (running or stopped) and change (stopped only) -----------------------------------


def _new_size(ctx, vm: dict) -> tuple[dict, int, int, int]:
    offering = ctx.store.get("serviceoffering", ctx.get("serviceofferingid"))
    if offering.get("removed") or offering.get("state") == "Inactive":
        raise errors.invalid_value(f"Unable to find service offering: {offering['id']}")
    if offering.get("issystem"):
        raise errors.invalid_value(f"Cannot use system service offering {offering['name']} for a user VM")
    # UserVmManagerImpl.upgradeVirtualMachine: the VM's owner must be allowed the new offering in its zone.
    check_offering_access(ctx.store, "serviceoffering", offering, ctx.store.get("account", vm["accountid"]),
                          vm["zoneid"])
    details = lower_details(ctx.get("details"))
    cpunumber, cpuspeed, memory = offering_for_vm(offering, details)
    if offering["id"] == vm.get("serviceofferingid") and not offering.get("iscustomized"):
        raise errors.invalid_value(f"Not upgrading vm {_capacity.describe_vm(vm)} since it already has the requested "
                                   f"service offering ({offering['name']})")
    return offering, cpunumber, cpuspeed, memory


def _apply_size(store, vm: dict, offering: dict, cpunumber: int, cpuspeed: int, memory: int) -> dict:
    owner = store.get("account", vm["accountid"])
    cpu_delta, mem_delta = cpunumber - vm.get("cpunumber", 0), memory - vm.get("memory", 0)
    for kind, delta in (("cpu", cpu_delta), ("memory", mem_delta)):
        if delta > 0:
            limits.charge(store, owner, kind, delta)
        elif delta < 0:
            limits.release(store, owner, kind, -delta)
    host = store.get("host", vm.get("capacityhostid")) if vm.get("capacityhostid") else None
    if host is not None:
        vm = _capacity.release(store, vm)
    vm = touch(store, vm["id"], serviceofferingid=offering["id"], cpunumber=cpunumber, cpuspeed=cpuspeed, memory=memory)
    if host is not None:
        if not _capacity.fits(store, host, vm):
            raise errors.insufficient_capacity(f"Unable to scale {_capacity.describe_vm(vm)}: host {host['name']} does "
                                               "not have enough capacity")
        vm = _capacity.reserve(store, vm, host)
    return vm


def _check_limits(ctx, vm: dict, cpunumber: int, memory: int) -> None:
    owner = ctx.store.get("account", vm["accountid"])
    if cpunumber > vm.get("cpunumber", 0):
        limits.check(ctx.store, owner, "cpu", cpunumber - vm["cpunumber"])
    if memory > vm.get("memory", 0):
        limits.check(ctx.store, owner, "memory", memory - vm["memory"])


_SIZE_PARAMS = [P("id", "the VM", entity="virtualmachine"),
                P("serviceofferingid", "the new compute offering"),
                P("details", "custom offering: cpuNumber, cpuSpeed, memory"),
                P("automigrate", "migrate volumes if needed"),
                P("miniops", "min IOPS"), P("maxiops", "max IOPS"),
                P("shrinkok", "allow shrinking the root disk")]


@api("changeServiceForVirtualMachine", response="virtualmachine",
     description="Changes the compute offering of a stopped VM.", params=_SIZE_PARAMS)
def change_service_for_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    if vm["state"] != "Stopped":
        raise errors.invalid_value(f"Unable to upgrade virtual machine {_capacity.describe_vm(vm)}  in state "
                                   f"{vm['state']}; make sure the virtual machine is stopped")
    offering, cpunumber, cpuspeed, memory = _new_size(ctx, vm)
    vm = _apply_size(ctx.store, vm, offering, cpunumber, cpuspeed, memory)
    record_event(ctx, "VM.UPGRADE", f"Upgrading VM {vm['instancename']} to offering {offering['name']}",
                 resource_id=vm["id"], resource_type="VirtualMachine")
    return render_vm(ctx, vm)


@api("scaleVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Changes the compute offering of a stopped VM, or scales a running one up (needs "
                 "enable.dynamic.scale.vm and a dynamically scalable VM).", params=_SIZE_PARAMS)
def scale_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    offering, cpunumber, cpuspeed, memory = _new_size(ctx, vm)
    _check_limits(ctx, vm, cpunumber, memory)

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] == "Running":
            if not setting_true(jctx, "enable.dynamic.scale.vm", zone=current["zoneid"]):
                raise errors.invalid_value("Dynamic scaling of running VMs is not enabled: set the global setting "
                                           "enable.dynamic.scale.vm to true")
            if not current.get("isdynamicallyscalable") or not offering.get("dynamicscalingenabled", True):
                raise errors.invalid_value(f"Unable to scale the VM {current['id']} as it is not configured to be "
                                           "dynamically scalable")
            if cpunumber < current["cpunumber"] or memory < current["memory"] or cpuspeed < current["cpuspeed"] or \
                    (cpunumber, memory, cpuspeed) == (current["cpunumber"], current["memory"], current["cpuspeed"]):
                raise errors.invalid_value(
                    f"Only scaling up the vm is supported, new service offering(speed={cpuspeed},cpu={cpunumber},"
                    f"memory={memory}) should have at least one value(cpu/ram) greater than old value and no value "
                    f"lower than old value")
        elif current["state"] != "Stopped":
            raise errors.invalid_value(f"Unable to scale VM {current['name']} in state {current['state']}: it must be "
                                       "Running or Stopped")
        current = _apply_size(store, current, offering, cpunumber, cpuspeed, memory)
        record_event(jctx, "VM.DYNAMIC.SCALE" if current["state"] == "Running" else "VM.UPGRADE",
                     f"Scaling VM {current['instancename']} to offering {offering['name']}",
                     resource_id=current["id"], resource_type="VirtualMachine")
        return render_vm(jctx, current)

    return Job(run, instance_id=vm["id"])


# --- passwords ----------------------------------------------------------------------------------------


@api("resetPasswordForVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Generates a new password for a stopped VM whose template is password enabled; the job result "
                 "carries it.", params=[P("id", "the VM", entity="virtualmachine")])
def reset_password_for_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("id"))

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        template = store.get("template", current.get("templateid")) or {}
        if not template.get("passwordenabled"):
            raise errors.invalid_value("Fail to reset password for the virtual machine, the template is not password enabled")
        if current["state"] != "Stopped":
            raise errors.invalid_value(f"Vm {_capacity.describe_vm(current)} should be stopped to do password reset")
        password = new_password(jctx)
        current = touch(store, current["id"], password=password)
        record_event(jctx, "VM.RESETPASSWORD", f"Resetting the password of VM {current['instancename']}",
                     resource_id=current["id"], resource_type="VirtualMachine")
        return render_vm(jctx, current, password=password)

    return Job(run, instance_id=vm["id"])


declare_object("password", {"encryptedpassword": "the VM's password encrypted with its SSH public key (base64)"})


@api("getVMPassword", response="password",
     description="Returns the VM's password encrypted with the public key of its SSH key pair.",
     params=[P("id", "the VM", entity="virtualmachine")])
def get_vm_password(ctx):
    vm = get_vm(ctx, ctx.get("id"))
    keys = vm.get("publickeys") or []
    if not vm.get("password") or not keys:
        raise errors.param_error("No password for VM with specified id found. If VM is created from password enabled "
                                 "template and SSH keypair is assigned to VM then only password can be retrieved.")
    try:
        encrypted = _rsa.encrypt_for_public_key(keys[0], vm["password"].encode())
    except ValueError as exc:
        raise errors.internal_error(f"Unable to encrypt the password with the VM's key pair: {exc}") from None
    return {"encryptedpassword": base64.b64encode(encrypted).decode()}


# --- update -----------------------------------------------------------------------------------------------


@api("updateVirtualMachine", response="virtualmachine",
     description="Changes a VM's display name, name (stopped VMs), group, HA flag, OS type, user data, details or "
                 "extraconfig. Send large user data with POST.",
     params=[P("id", "the VM", entity="virtualmachine"), P("displayname", "display name"),
             P("name", "new host name (stopped VMs)"), P("group", "group"),
             P("haenable", "HA"), P("ostypeid", "OS type"),
             P("userdata", "base64 user data"), P("userdataid", "registered user data", entity=""),
             P("userdatadetails", "user data variables"), P("details", "details to set"),
             P("cleanupdetails", "remove the details first"),
             P("extraconfig", "URL-encoded additional configuration"),
             P("displayvm", "show to users"), P("isdynamicallyscalable", "scalable"),
             P("customid", "custom id"), P("instancename", "instance name (VMware)"),
             P("securitygroupids", "security groups"), P("securitygroupnames", "security group names"),
             P("dhcpoptionsnetworklist", "DHCP options per network"),
             P("deleteprotection", "refuse destroyVirtualMachine while true (4.20)")])
def update_virtual_machine(ctx):
    store = ctx.store
    vm = get_vm(ctx, ctx.get("id"))
    if vm["state"] in ("Destroyed", "Expunging", "Error"):
        raise errors.invalid_value(f"Unable to update VM {vm['name']} in state {vm['state']}")
    changes = {k: ctx.get(k) for k in ("displayname", "group", "haenable", "ostypeid", "displayvm", "customid",
                                       "isdynamicallyscalable", "deleteprotection") if ctx.has(k)}
    if ctx.has("name") and ctx.get("name") != vm["name"]:
        name = ctx.get("name")
        if not HOSTNAME.match(name):
            raise errors.invalid_value("Invalid name. Vm name can contain ASCII letters 'a' through 'z', the digits '0' "
                                       "through '9', and the hyphen ('-'), must be between 1 and 63 characters long, and "
                                       "can't start or end with \"-\" and can't start with digit")
        if vm["state"] != "Stopped":
            raise errors.invalid_value("Vm name can be changed only when the VM is in Stopped state")
        changes["name"] = name
    if ctx.has("userdata"):
        changes["userdata"] = check_userdata(ctx.get("userdata"))
    details = {} if ctx.get("cleanupdetails") else dict(vm.get("details") or {})
    details.update(lower_details(ctx.get("details")))
    if ctx.has("extraconfig"):
        details = {k: v for k, v in details.items() if not k.startswith("extraconfig-")}
        details.update(extraconfig_details(ctx, ctx.get("extraconfig"), vm["accountid"]))
    changes["details"] = details
    vm = touch(store, vm["id"], **changes)
    if "group" in changes:
        instance_groups.adopt_vm_group(store, vm)
        vm = store.get("virtualmachine", vm["id"])
    record_event(ctx, "VM.UPDATE", f"Updating VM {vm['instancename']}", resource_id=vm["id"], resource_type="VirtualMachine")
    return render_vm(ctx, vm)


# --- NICs ----------------------------------------------------------------------------------------------------


def _nic(ctx, vm: dict) -> dict:
    nic = ctx.store.get("nic", ctx.get("nicid"))
    if nic is None or nic.get("virtualmachineid") != vm["id"]:
        raise errors.invalid_value(f"Unable to find nic {ctx.get('nicid')} of virtual machine {vm['id']}")
    return nic


@api("addNicToVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Adds a NIC in another network to a running or stopped VM.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("networkid", "the network", entity="network"), P("ipaddress", "IPv4 address"),
             P("macaddress", "MAC address"), P("dhcpoptions", "DHCP options")])
def add_nic_to_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    owner = ctx.store.get("account", vm["accountid"])
    network = _guestnet.usable_network(ctx, ctx.get("networkid"), owner)

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] not in ("Running", "Stopped"):
            raise errors.invalid_value(f"The VM {current['name']} is in state {current['state']}: NICs can be added to "
                                       "Running or Stopped VMs only")
        nics = store.find("nic", virtualmachineid=current["id"])
        if any(n["networkid"] == network["id"] for n in nics):
            raise errors.invalid_value(f"{_capacity.describe_vm(current)} already has a nic in Network: {network['name']}")
        if network["zoneid"] != current["zoneid"]:
            raise errors.invalid_value(f"Network {network['name']} is not in the VM's zone")
        net = store.get("network", network["id"])
        if current["state"] == "Running" and net.get("state") == "Allocated":
            net = _guestnet.implement_network(jctx, net)
        deviceid = max((n.get("deviceid", 0) for n in nics), default=-1) + 1
        nic = _guestnet.allocate_nic(jctx, net, current, deviceid=deviceid, isdefault=not nics,
                                     requested_ip=jctx.get("ipaddress"), requested_mac=jctx.get("macaddress"))
        record_event(jctx, "NIC.CREATE", f"Adding a NIC in network {net['name']} to VM {current['instancename']}",
                     resource_id=nic["id"], resource_type="Nic")
        return render_vm(jctx, touch(store, current["id"]))

    return Job(run, instance_id=vm["id"])


@api("removeNicFromVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Removes a non-default NIC from a VM.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("nicid", "the NIC", entity="nic")])
def remove_nic_from_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    nic = _nic(ctx, vm)

    def run(jctx):
        store = jctx.store
        current = store.get("nic", nic["id"])
        if current is None:
            raise errors.invalid_value(f"Unable to find nic {nic['id']}")
        network = store.get("network", current["networkid"]) or {"name": current["networkid"]}
        if current.get("isdefault"):
            raise errors.invalid_value(f"Unable to remove nic from {_capacity.describe_vm(vm)} in network "
                                       f"{network['name']}, nic is default.")
        rules = [r for r in store.find("portforwardingrule", virtualmachineid=vm["id"]) if not r.get("removed")] \
            if "portforwardingrule" in store.kinds() else []
        if rules:
            raise errors.resource_in_use(f"Unable to remove nic from {vm['name']}: port forwarding rules use it")
        _guestnet.release_nic(store, current)
        record_event(jctx, "NIC.DELETE", f"Removing a NIC from VM {vm['instancename']}", resource_id=nic["id"],
                     resource_type="Nic")
        return render_vm(jctx, touch(store, vm["id"]))

    return Job(run, instance_id=vm["id"])


@api("updateDefaultNicForVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Makes another NIC of a VM its default NIC.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("nicid", "the NIC", entity="nic")])
def update_default_nic_for_virtual_machine(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    nic = _nic(ctx, vm)

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] not in ("Running", "Stopped"):
            raise errors.invalid_value(f"The VM {current['name']} is not Running or Stopped")
        if store.get("nic", nic["id"]).get("isdefault"):
            raise errors.invalid_value(f"The specified NIC is already the default NIC of VM {current['name']}")
        for other in store.find("nic", virtualmachineid=current["id"]):
            store.update("nic", other["id"], isdefault=other["id"] == nic["id"])
        record_event(jctx, "NIC.UPDATE", f"Changing the default NIC of VM {current['instancename']}",
                     resource_id=nic["id"], resource_type="Nic")
        return render_vm(jctx, touch(store, current["id"]))

    return Job(run, instance_id=vm["id"])


# --- migration ------------------------------------------------------------------------------------------------


@api("migrateVirtualMachine", response="virtualmachine", instance_type="VirtualMachine", roles=ADMINS,
     description="Moves a running VM to another host (Running → Migrating → Running), or a stopped VM's volumes to "
                 "another pool (storageid).",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"), P("hostid", "destination host"),
             P("storageid", "destination pool (stopped VMs)"),
             P("autoselect", "let the server choose the host")])
def migrate_virtual_machine(ctx):
    store = ctx.store
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    if vm["state"] != "Running":
        if not ctx.has("storageid"):
            raise errors.invalid_value(f"VM is not Running, unable to migrate the vm {_capacity.describe_vm(vm)}")
    elif not ctx.has("hostid") and ctx.get("autoselect") is False:
        raise errors.invalid_value("Please specify a destination host (hostid) or autoselect=true")
    target = store.get("host", ctx.get("hostid")) if ctx.has("hostid") else None
    if vm["state"] == "Running":
        if target is not None and target["id"] == vm.get("hostid"):
            raise errors.invalid_value("Cannot migrate VM, VM is already present on this host, please specify valid "
                                       "destination host to migrate the VM")
        touch(store, vm["id"], state="Migrating")

    def run(jctx):
        jstore = jctx.store
        current = jstore.get("virtualmachine", vm["id"])
        if vm["state"] == "Running" and current["state"] != "Migrating":
            raise errors.invalid_value(f"Unable to migrate VM {current['name']}: it is {current['state']}")
        if vm["state"] != "Running":
            pool = jstore.get("storagepool", jctx.get("storageid"))
            for volume in jstore.find("volume", virtualmachineid=current["id"]):
                if not volume.get("removed"):
                    jstore.update("volume", volume["id"], storageid=pool["id"])
            return render_vm(jctx, touch(jstore, current["id"]))
        if target is not None:
            host = _capacity.choose_host(jctx, current, host_id=target["id"])
        else:
            host = _capacity.choose_host(jctx, current, exclude={current.get("hostid")})
        current = _capacity.reserve(jstore, current, host)
        current = touch(jstore, current["id"], state="Running", hostid=host["id"], lasthostid=host["id"],
                        podid=host.get("podid"))
        record_event(jctx, "VM.MIGRATE", f"Migrating VM {current['instancename']} to host {host['name']}",
                     resource_id=current["id"], resource_type="VirtualMachine")
        return render_vm(jctx, current)

    def failed(jctx, error):
        current = jctx.store.get("virtualmachine", vm["id"])
        if current["state"] == "Migrating":
            touch(jctx.store, vm["id"], state="Running")

    return Job(run, instance_id=vm["id"], on_failure=failed)


# --- ISOs --------------------------------------------------------------------------------------------------------


@api("attachIso", response="virtualmachine", instance_type="VirtualMachine",
     description="Attaches a ready ISO to a running or stopped VM.",
     params=[P("id", "the ISO", entity="template"),
             P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("forced", "force (VMware)")])
def attach_iso(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    iso = ctx.store.get("template", ctx.get("id"))
    if iso.get("removed") or not is_iso(iso):
        raise errors.invalid_value(f"Unable to find an ISO with id {iso['id']}")
    owner = ctx.store.get("account", vm["accountid"])
    if not can_use_template(ctx, iso, owner):
        raise errors.permission_denied(f"Account {owner['name']} does not have permission to use ISO {iso['id']}")

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] not in ("Running", "Stopped"):
            raise errors.invalid_value(f"Unable to attach the ISO: the VM {current['name']} is {current['state']}")
        if current.get("isoid"):
            raise errors.invalid_value(f"The VM {current['name']} already has an ISO attached: detach it first")
        if not template_ready_in(store, iso, current["zoneid"], jctx.sim.profile):
            raise errors.invalid_value(f"The ISO {iso['name']} is not ready in the VM's zone")
        current = touch(store, current["id"], isoid=iso["id"])
        record_event(jctx, "ISO.ATTACH", f"Attaching ISO {iso['name']} to VM {current['instancename']}",
                     resource_id=iso["id"], resource_type="Iso")
        return render_vm(jctx, current)

    return Job(run, instance_id=vm["id"])


@api("detachIso", response="virtualmachine", instance_type="VirtualMachine",
     description="Detaches the ISO of a VM.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("forced", "force (VMware)")])
def detach_iso(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if not current.get("isoid"):
            raise errors.invalid_value("The specified VM has no ISO attached to it.")
        if current.get("templateid") == current["isoid"]:
            raise errors.invalid_value("The VM was installed from this ISO; it cannot be detached")
        iso_id = current["isoid"]
        current = touch(store, current["id"], isoid=None)
        record_event(jctx, "ISO.DETACH", f"Detaching the ISO of VM {current['instancename']}", resource_id=iso_id,
                     resource_type="Iso")
        return render_vm(jctx, current)

    return Job(run, instance_id=vm["id"])


# --- user data, SSH keys, hosts for migration -----------------------------------------------------------------

declare_object("virtualmachineuserdata", {"virtualmachineid": "the VM", "userdata": "its base64 user data"})


@api("getVirtualMachineUserData", response="virtualmachineuserdata", description="Returns the base64 user data of a VM.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine")])
def get_virtual_machine_user_data(ctx):
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    return {"virtualmachineid": vm["id"], "userdata": vm.get("userdata")}


@api("resetSSHKeyForVirtualMachine", response="virtualmachine", instance_type="VirtualMachine",
     description="Gives a stopped VM other SSH key pairs (and a new password when its template has one).",
     params=[P("id", "the VM", entity="virtualmachine"), P("keypair", "key pair name"),
             P("keypairs", "key pair names"), P("account"), P("domainid"),
             P("projectid", entity="project")])
def reset_ssh_key_for_virtual_machine(ctx):
    from marvin2.simulator.services.vms import keypairs_for

    vm = get_vm(ctx, ctx.get("id"))
    owner = ctx.store.get("account", vm["accountid"])
    if not ctx.has("keypair") and not ctx.has("keypairs"):
        raise errors.invalid_value("'keypair' or 'keyPairs' must be specified")
    pairs = keypairs_for(ctx, owner)

    def run(jctx):
        store = jctx.store
        current = store.get("virtualmachine", vm["id"])
        if current["state"] != "Stopped":
            raise errors.invalid_value(f"Vm {_capacity.describe_vm(current)} should be stopped to do SSH Key reset")
        template = store.get("template", current.get("templateid")) or {}
        password = new_password(jctx) if template.get("passwordenabled") else None
        changes = {"keypairs": ",".join(p["name"] for p in pairs), "publickeys": [p["publickey"] for p in pairs]}
        if password:
            changes["password"] = password
        current = touch(store, current["id"], **changes)
        record_event(jctx, "VM.RESETSSHKEY", f"Resetting the SSH key of VM {current['instancename']}",
                     resource_id=current["id"], resource_type="VirtualMachine")
        return render_vm(jctx, current, password=password)

    return Job(run, instance_id=vm["id"])


@api("findHostsForMigration", response="host", roles=ADMINS,
     description="Lists the hosts a running VM could move to (never its current host), with suitableformigration.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"), P("keyword"),
             P("page"), P("pagesize")])
def find_hosts_for_migration(ctx):
    from marvin2.simulator.context import ListResult
    from marvin2.simulator.services.hosts import render_host

    store = ctx.store
    vm = get_vm(ctx, ctx.get("virtualmachineid"))
    if vm["state"] != "Running":
        raise errors.invalid_value(f"VM is not running, cannot migrate the vm {_capacity.describe_vm(vm)}")
    current = store.get("host", vm.get("hostid")) or {}
    items = []
    for host in store.find("host", zoneid=vm["zoneid"], type="Routing"):
        if host["id"] == current.get("id") or not _capacity.usable_host(store, host):
            continue
        if ctx.has("keyword") and ctx.get("keyword").lower() not in host["name"].lower():
            continue
        fits = _capacity.fits(store, host, vm)
        out = render_host(ctx, host)
        out.update(suitableformigration=fits, hasenoughcapacity=fits,
                   requiresStorageMotion=host.get("clusterid") != current.get("clusterid"))
        items.append(out)
    page = ctx.paginate(items)
    return ListResult(page.items, page.count)


apply_command_classes()
