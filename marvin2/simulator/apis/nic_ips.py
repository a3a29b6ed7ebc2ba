"""NIC secondary IPs and listNics (thin: the rules are in services/nic_ips.py).

NICs themselves are the compute module's ``nic`` rows; this module renders them with their secondary
addresses. (listVirtualMachines still shows an empty ``secondaryip`` list: it renders NICs in apis/compute.py.)
"""
from __future__ import annotations

import ipaddress

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services import internal_calls, nic_ips
from marvin2.simulator.services.common import check_owned, record_event

declare_object("nicsecondaryip", {"id": "secondary IP id", "ipaddress": "the address", "nicid": "its NIC",
                                  "networkid": "its network", "virtualmachineid": "its VM"})
declare_object("nic", {
    "id": "NIC id", "networkid": "network id", "networkname": "network name", "netmask": "netmask",
    "gateway": "gateway", "ipaddress": "primary address", "isolationuri": "isolation URI",
    "broadcasturi": "broadcast URI", "traffictype": "traffic type", "type": "network type",
    "isdefault": ("boolean", "the VM's default NIC"), "macaddress": "MAC address", "deviceid": "device number",
    "virtualmachineid": "its VM", "secondaryip": ("list", "secondary addresses"),
    "vpcid": "VPC of the network", "vpcname": "its name",
})


def render_secondary(row: dict) -> dict:
    return {"id": row["id"], "ipaddress": row["ipaddress"], "nicid": row["nicid"], "networkid": row["networkid"],
            "virtualmachineid": row["virtualmachineid"]}


def render_nic(ctx, nic: dict) -> dict:
    store = ctx.store
    network = store.get("network", nic.get("networkid")) or {}
    vpc = store.get("vpc", network.get("vpcid")) if network.get("vpcid") else None
    secondary = [{"id": r["id"], "ipaddress": r["ipaddress"]} for r in nic_ips.secondary_ips(store, nic["id"])]
    return {"id": nic["id"], "networkid": nic.get("networkid"), "networkname": network.get("name"),
            "netmask": nic.get("netmask"), "gateway": nic.get("gateway"), "ipaddress": nic.get("ipaddress"),
            "isolationuri": nic.get("isolationuri"), "broadcasturi": nic.get("broadcasturi"),
            "traffictype": nic.get("traffictype", "Guest"), "type": network.get("type") or nic.get("type"),
            "isdefault": bool(nic.get("isdefault")), "macaddress": nic.get("macaddress"),
            "deviceid": str(nic.get("deviceid", 0)), "virtualmachineid": nic.get("virtualmachineid"),
            "secondaryip": secondary or None, "vpcid": vpc["id"] if vpc else None,
            "vpcname": vpc["name"] if vpc else None}


def _user_vm_of(ctx, nic: dict) -> dict:
    vm = ctx.store.get("virtualmachine", nic.get("virtualmachineid"))
    if vm is None or vm.get("removed"):
        raise errors.invalid_value(f"There is no VM with the NIC [{nic['id']}]")
    return vm


@api("addIpToNic", response="nicsecondaryip", instance_type="None", related="removeIpFromNic,listNics",
     description="Assigns a secondary IP address (a given one or a free one of the network) to a VM's NIC.",
     params=[P("nicid", "the NIC", entity="nic"), P("ipaddress", "the address (default: a free one)")])
def add_ip_to_nic(ctx):
    store = ctx.store
    nic_ips.forget_orphans(store)
    nic = store.get("nic", ctx.get("nicid"))
    vm = _user_vm_of(ctx, nic)
    check_owned(ctx, vm, "VM")
    network = store.get("network", nic["networkid"])
    if network is None or network.get("removed"):
        raise errors.invalid_value("Invalid network id is given")
    row = nic_ips.allocate(ctx, nic, vm, network, ctx.get("ipaddress"))
    owner = store.get("account", vm["accountid"])

    def run(jctx):
        current = jctx.store.get(nic_ips.KIND, row["id"])
        if current is None:
            raise errors.internal_error("Failed to assign secondary ip to nic")
        record_event(jctx, "NIC.SECONDARY.IP.ASSIGN", f"assigning secondary ip {row['ipaddress']} to nic",
                     resource_id=vm["id"], resource_type="VirtualMachine", account=owner)
        return render_secondary(current)

    def failed(jctx, error):
        jctx.store.delete(nic_ips.KIND, row["id"])

    return Job(run, entity_id=row["id"], on_failure=failed)


@api("removeIpFromNic", response="success", instance_type="None", related="addIpToNic,listNics",
     description="Releases a secondary IP address of a VM's NIC.",
     params=[P("id", "the secondary IP", entity="nicsecondaryip")])
def remove_ip_from_nic(ctx):
    store = ctx.store
    nic_ips.forget_orphans(store)
    row = store.get(nic_ips.KIND, ctx.get("id"))
    if row is None:
        raise errors.internal_error("Invalid IP id is passed")
    vm = store.get("virtualmachine", row["virtualmachineid"])
    if vm is None or vm.get("removed"):
        raise errors.invalid_value("There is no vm with the given secondary ip")
    check_owned(ctx, vm, "VM")
    owner = store.get("account", vm["accountid"])

    def run(jctx):
        current = jctx.store.get(nic_ips.KIND, row["id"])
        if current is None:
            raise errors.invalid_value("Removing guest ip from nic failed")
        nic_ips.check_removable(jctx.store, current)
        nic_ips.release(jctx.store, current)
        record_event(jctx, "NIC.SECONDARY.IP.UNASSIGN", f"Removing secondary IP {current['ipaddress']} from NIC",
                     resource_id=vm["id"], resource_type="VirtualMachine", account=owner)
        return SUCCESS

    return Job(run, instance_id=row["nicid"])


@api("listNics", response="nic", related="addIpToNic",
     description="Lists a VM's NICs with their secondary addresses.",
     params=[*PAGING, P("virtualmachineid", "the VM", entity="virtualmachine"), P("nicid", "one NIC", entity=""),
             P("networkid", "NICs in this network", entity=""), P("fordisplay")])
def list_nics(ctx):
    store = ctx.store
    nic_ips.forget_orphans(store)
    vm = store.get("virtualmachine", ctx.get("virtualmachineid"))
    if vm.get("removed") or (vm.get("displayvm") is False and not ctx.caller.is_admin):
        raise errors.invalid_value("Virtual machine id does not exist")
    check_owned(ctx, vm, "VM")
    nics = sorted(store.find("nic", virtualmachineid=vm["id"]), key=lambda n: n.get("deviceid", 0))
    if ctx.has("nicid"):
        nics = [n for n in nics if n["id"] == ctx.get("nicid")]
    if ctx.has("networkid"):
        nics = [n for n in nics if n.get("networkid") == ctx.get("networkid")]
    keyword = ctx.get("keyword")
    if keyword and ctx.has("nicid"):
        # With a keyword and a NIC, 4.20 answers that NIC's matching secondary addresses, under one "nic" item.
        found = [render_secondary(r) for r in nic_ips.secondary_ips(store, ctx.get("nicid")) if keyword in r["ipaddress"]]
        return ctx.paginate([{"secondaryip": found}] if found else [])
    return ctx.paginate([render_nic(ctx, n) for n in nics])


@api("updateVmNicIp", response="virtualmachine", instance_type="VirtualMachine", related="listNics",
     description="Gives a stopped VM's NIC another address of its network (a given one or a free one).",
     params=[P("nicid", "the NIC", entity="nic"), P("ipaddress", "the new address (default: a free one)")])
def update_vm_nic_ip(ctx):
    nic_id, requested = ctx.get("nicid"), ctx.get("ipaddress")

    def run(jctx):
        store = jctx.store
        if requested is not None:
            try:
                ipaddress.IPv4Address(requested)
            except ValueError:
                raise errors.internal_error(f"Invalid ip address {requested}") from None
        nic = store.get("nic", nic_id)
        if nic is None:
            raise errors.invalid_value(f"There is no nic for the {nic_id}")
        vm = store.get("virtualmachine", nic.get("virtualmachineid"))
        if vm is None or vm.get("removed"):
            raise errors.invalid_value("There is no vm with the nic")
        network = store.get("network", nic.get("networkid"))
        if network is None or network.get("removed"):
            raise errors.invalid_value("There is no network with the nic")
        check_owned(jctx, vm, "VM")
        nic_ips.forget_orphans(store)
        updated = nic_ips.update_primary(store, nic, vm, network, requested)
        record_event(jctx, "NIC.UPDATE", f"Updating IPv4 address of NIC {nic_id} to {updated.get('ipaddress')}",
                     resource_id=vm["id"], resource_type="VirtualMachine", account=store.get("account", vm["accountid"]))
        listed = internal_calls.run_inline(jctx.sim, "listVirtualMachines", {"id": vm["id"]}, caller=jctx.caller)
        return listed.items[0]

    return Job(run, instance_id=nic_id)
