"""Basic zones with security groups, set up the way Marvin's deployDataCenter does it.

The seed gives only the zones' pods, clusters and hosts (and the catalog); the
tests make what an operator makes: the zone's one guest network with
``createNetwork`` (no VLAN, no IP range) and a guest range per pod with
``createVlanIpRange podid=... networkid=... forvirtualnetwork=false``.
A VM then takes its address from the range of the pod it starts in.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from netclient import L2, SHARED_SG, Client, new_user

import marvin2.simulator
from marvin2.simulator import start_simulator

SG_ZONE, RULES_ZONE, TINY_ZONE, BARE_ZONE = "basic-sg", "basic-rules", "basic-tiny", "basic-bare"
# Pod -> (gateway, first, last) of its guest range in SG_ZONE.
POD_RANGES = {"P1": ("10.10.1.1", "10.10.1.10", "10.10.1.60"), "P2": ("10.10.2.1", "10.10.2.10", "10.10.2.60")}
TINY_RANGE = ("10.20.1.1", "10.20.1.10", "10.20.1.12")   # three addresses: the pod's router and two VMs
NETMASK = "255.255.255.0"


def _pod(name: str, zone: str) -> dict:
    return {"name": name, "gateway": f"172.30.{len(zone)}.1", "netmask": NETMASK, "startip": f"172.30.{len(zone)}.2",
            "endip": f"172.30.{len(zone)}.20",
            "clusters": [{"name": f"{zone}-{name}-C0", "hypervisor": "Simulator", "hosts": [f"http://sim/{zone}/{name}/h0"],
                          "primary_storages": [{"name": f"{zone}-{name}-PS0", "url": f"nfs://10.1.1.1:/{zone}/{name}"}]}]}


def _zone(name: str, pods: list[str]) -> dict:
    return {"name": name, "networktype": "Basic", "securitygroupenabled": True, "dns1": "10.147.28.6",
            "internaldns1": "10.147.28.6",
            "physical_networks": [{"name": f"{name}-pnet", "isolationmethods": ["L3"], "traffictypes": ["Guest", "Management"],
                                   "providers": ["VirtualRouter", "SecurityGroupProvider"]}],
            "pods": [_pod(p, name) for p in pods],
            "secondary_storages": [{"name": f"{name}-SS", "url": f"nfs://10.1.1.1:/{name}/ss", "provider": "NFS"}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    shipped = Path(marvin2.simulator.__file__).parent / "seeds" / "fresh" / "catalog.yaml"
    catalog = yaml.safe_load(shipped.read_text())["catalog"]
    seed = tmp_path_factory.mktemp("seed") / "basic-zones.yaml"
    seed.write_text(yaml.safe_dump({"catalog": catalog, "zones": [
        _zone(SG_ZONE, ["P1", "P2"]), _zone(RULES_ZONE, ["P1"]), _zone(TINY_ZONE, ["P1"]), _zone(BARE_ZONE, ["P1"])]}))
    simulator = start_simulator(port=0, db=":memory:", profile="instant", seed=str(seed))
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def catalog(admin) -> dict:
    zones = {z["name"]: z for z in admin.items("listZones", "zone")}
    offerings = {o["name"]: o for o in admin.items("listNetworkOfferings", "networkoffering")}
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]
    small = admin.items("listServiceOfferings", "serviceoffering", name="Small Instance")[0]
    return {"zones": zones, "offerings": offerings, "template": template, "small": small}


def _pods(admin: Client, zone: dict) -> dict[str, dict]:
    return {p["name"]: p for p in admin.items("listPods", "pod", zoneid=zone["id"])}


def _hosts_by_pod(admin: Client, zone: dict) -> dict[str, dict]:
    return {h["podname"]: h for h in admin.items("listHosts", "host", zoneid=zone["id"], type="Routing")}


def _guest_network(admin: Client, catalog: dict, zone: dict, name: str) -> dict:
    """What deployDataCenter sends for a Basic zone: zone, name, text and offering only."""
    return admin.ok("createNetwork", zoneid=zone["id"], name=name, displaytext=name,
                    networkofferingid=catalog["offerings"][SHARED_SG]["id"])["network"]


def _pod_range(admin: Client, zone: dict, pod: dict, network: dict, gateway: str, first: str, last: str) -> dict:
    return admin.ok("createVlanIpRange", zoneid=zone["id"], podid=pod["id"], networkid=network["id"], gateway=gateway,
                    netmask=NETMASK, startip=first, endip=last, forvirtualnetwork=False)["vlan"]


def _inside(address: str, first: str, last: str) -> bool:
    return ipaddress.IPv4Address(first) <= ipaddress.IPv4Address(address) <= ipaddress.IPv4Address(last)


@pytest.fixture(scope="module")
def sg_zone(admin, catalog) -> dict:
    """SG_ZONE with its guest network and a guest range in each of its two pods."""
    zone = catalog["zones"][SG_ZONE]
    network = _guest_network(admin, catalog, zone, "guestNetworkForBasicZone")
    pods = _pods(admin, zone)
    ranges = {name: _pod_range(admin, zone, pods[name], network, *POD_RANGES[name]) for name in POD_RANGES}
    return {"zone": zone, "network": network, "pods": pods, "ranges": ranges, "hosts": _hosts_by_pod(admin, zone)}


@pytest.fixture(scope="module")
def tenant(admin) -> Client:
    return new_user(admin, "basic")


def _vm_base(catalog: dict, zone: dict) -> dict:
    return {"zoneid": zone["id"], "templateid": catalog["template"]["id"], "serviceofferingid": catalog["small"]["id"]}


def _pod_of(admin: Client, vm: dict) -> str:
    """The name of the pod a VM runs in (through its host: a VM answer names no pod)."""
    host_id = admin.items("listVirtualMachines", "virtualmachine", id=vm["id"], listall=True)[0]["hostid"]
    return admin.items("listHosts", "host", id=host_id)[0]["podname"]


# --- createNetwork --------------------------------------------------------------------------------------------


def test_create_network_takes_no_vlan_and_no_range(admin, tenant, catalog):
    zone = catalog["zones"][RULES_ZONE]
    base = {"zoneid": zone["id"], "name": "guest", "displaytext": "guest",
            "networkofferingid": catalog["offerings"][SHARED_SG]["id"]}
    assert tenant.error("createNetwork", **base)[0] == 531
    cases = [
        ({"gateway": "10.9.9.1", "netmask": NETMASK, "startip": "10.9.9.10", "endip": "10.9.9.20"},
         "StartIp/endIp/gateway/netmask can't be specified for zone of type Basic"),
        ({"vlan": "100"}, "Only vlan untagged can be created in the zone of type Basic"),
        ({"subdomainaccess": False}, "Subdomain access should be set to true for the guest network in the Basic zone"),
        ({"acltype": "Account"}, "Only AclType=Domain can be specified for network creation in Basic zone"),
        ({"networkofferingid": catalog["offerings"][L2]["id"]},
         "For zone of type Basic only offerings of guestType Shared with disabled SourceNat service are allowed"),
    ]
    for extra, text in cases:
        assert admin.error("createNetwork", **{**base, **extra}) == (431, 4350, text), extra
    assert admin.items("listNetworks", "network", zoneid=zone["id"], listall=True) == []

    network = admin.ok("createNetwork", **base, vlan="untagged")["network"]
    assert (network["type"], network["state"], network["acltype"], network["domain"]) == ("Shared", "Setup", "Domain", "ROOT")
    assert network["broadcastdomaintype"] == "Native" and network["broadcasturi"] == "vlan://untagged"
    assert network["subdomainaccess"] is True and "cidr" not in network and "gateway" not in network
    assert "SecurityGroup" in {s["name"] for s in network["service"]}
    assert admin.error("createNetwork", **base) == (
        431, 4350, "Can't have more than one Guest network in zone with network type Basic")
    # Users of any domain see the zone's network (Domain ROOT with sub-domain access).
    assert [n["id"] for n in tenant.items("listNetworks", "network", zoneid=zone["id"])] == [network["id"]]
    admin.run("deleteNetwork", id=network["id"])
    again = admin.ok("createNetwork", **base)["network"]
    assert again["id"] != network["id"]


def test_a_zone_without_guest_network_cannot_deploy(tenant, catalog):
    zone = catalog["zones"][BARE_ZONE]      # never given a guest network
    code, _, text = tenant.error("deployVirtualMachine", **_vm_base(catalog, zone))
    assert (code, text) == (431, f"Unable to find network with trafficType Guest in zone {zone['id']}")


# --- pod ranges and VMs ---------------------------------------------------------------------------------------


def test_pod_ranges_belong_to_their_pod_and_the_network(admin, sg_zone):
    listed = admin.items("listVlanIpRanges", "vlaniprange", networkid=sg_zone["network"]["id"])
    by_pod = {r["podname"]: r for r in listed}
    assert sorted(by_pod) == ["P1", "P2"]
    for name, (gateway, first, last) in POD_RANGES.items():
        row = by_pod[name]
        assert (row["podid"], row["gateway"], row["startip"], row["endip"]) == (sg_zone["pods"][name]["id"], gateway, first, last)
        assert row["forvirtualnetwork"] is False and row["networkid"] == sg_zone["network"]["id"]
    # Guest ranges are not public addresses: nothing to acquire in a Basic zone.
    assert admin.error("associateIpAddress", zoneid=sg_zone["zone"]["id"])[0] == 431


def test_vm_takes_an_address_of_its_pod_and_the_default_group(admin, tenant, catalog, sg_zone):
    vm = tenant.run("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]))["virtualmachine"]
    (nic,) = vm["nic"]
    pod = _pod_of(admin, vm)
    gateway, first, last = POD_RANGES[pod]
    assert _inside(nic["ipaddress"], first, last), (pod, nic)
    assert (nic["gateway"], nic["netmask"], nic["type"]) == (gateway, NETMASK, "Shared")
    assert nic["networkid"] == sg_zone["network"]["id"]
    assert [g["name"] for g in vm["securitygroup"]] == ["default"]
    network = admin.items("listNetworks", "network", id=sg_zone["network"]["id"], listall=True)[0]
    assert network["state"] == "Setup"
    # The first VM of a pod brings the pod's virtual router, with an address of that pod's range.
    routers = [r for r in admin.items("listRouters", "router", listall=True, networkid=sg_zone["network"]["id"])
               if r["podid"] == sg_zone["pods"][pod]["id"]]
    assert len(routers) == 1 and routers[0]["state"] == "Running"
    assert _inside(routers[0]["guestipaddress"], first, last) and routers[0]["guestipaddress"] != nic["ipaddress"]

    # Placed in the other pod (admin, hostid): an address of that pod, and that pod's router.
    other = "P2" if pod == "P1" else "P1"
    placed = admin.run("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]), account=tenant.account["name"],
                       domainid=tenant.account["domainid"], hostid=sg_zone["hosts"][other]["id"])["virtualmachine"]
    assert _inside(placed["nic"][0]["ipaddress"], *POD_RANGES[other][1:])
    assert placed["nic"][0]["gateway"] == POD_RANGES[other][0]
    pods_with_router = sorted(r["podid"] for r in admin.items("listRouters", "router", listall=True,
                                                              networkid=sg_zone["network"]["id"]))
    assert pods_with_router == sorted(p["id"] for p in sg_zone["pods"].values())


def test_address_is_given_at_start_kept_in_the_pod_and_replaced_in_another(admin, tenant, catalog, sg_zone):
    hosts = sg_zone["hosts"]
    vm = tenant.run("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]), startvm=False)["virtualmachine"]
    assert vm["state"] == "Stopped" and "ipaddress" not in vm["nic"][0]
    started = admin.run("startVirtualMachine", id=vm["id"], hostid=hosts["P2"]["id"])["virtualmachine"]
    first_address = started["nic"][0]["ipaddress"]
    assert _inside(first_address, *POD_RANGES["P2"][1:])
    tenant.run("stopVirtualMachine", id=vm["id"])
    assert tenant.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["nic"][0]["ipaddress"] == first_address
    again = admin.run("startVirtualMachine", id=vm["id"], hostid=hosts["P2"]["id"])["virtualmachine"]
    assert again["nic"][0]["ipaddress"] == first_address
    tenant.run("stopVirtualMachine", id=vm["id"])
    moved = admin.run("startVirtualMachine", id=vm["id"], hostid=hosts["P1"]["id"])["virtualmachine"]
    assert _inside(moved["nic"][0]["ipaddress"], *POD_RANGES["P1"][1:])
    assert moved["nic"][0]["gateway"] == POD_RANGES["P1"][0]


def test_network_ids_are_refused_in_a_basic_zone(tenant, catalog, sg_zone):
    code, _, text = tenant.error("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]),
                                 networkids=[sg_zone["network"]["id"]])
    assert (code, text) == (431, "Can't specify network Ids in Basic zone")


def test_restart_with_cleanup_replaces_the_pod_routers(admin, tenant, catalog, sg_zone):
    tenant.run("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]))
    network_id = sg_zone["network"]["id"]
    before = admin.items("listRouters", "router", listall=True, networkid=network_id)
    admin.run("restartNetwork", id=network_id, cleanup=True)
    after = admin.items("listRouters", "router", listall=True, networkid=network_id)
    assert sorted(r["podid"] for r in after) == sorted(r["podid"] for r in before)
    assert not {r["id"] for r in after} & {r["id"] for r in before}


# --- exhaustion ------------------------------------------------------------------------------------------------


def test_an_exhausted_pod_range_fails_the_deploy_with_533(admin, tenant, catalog):
    zone = catalog["zones"][TINY_ZONE]
    network = _guest_network(admin, catalog, zone, "tiny")
    (pod,) = _pods(admin, zone).values()
    gateway, first, last = TINY_RANGE
    _pod_range(admin, zone, pod, network, gateway, first, last)
    base = _vm_base(catalog, zone)
    vms = [tenant.run("deployVirtualMachine", **base)["virtualmachine"] for _ in range(2)]
    router = admin.items("listRouters", "router", listall=True, networkid=network["id"])[0]
    taken = {vm["nic"][0]["ipaddress"] for vm in vms} | {router["guestipaddress"]}
    assert taken == {"10.20.1.10", "10.20.1.11", "10.20.1.12"}

    started = tenant.start("deployVirtualMachine", **base)
    job = tenant.wait(started["jobid"])
    assert job["jobstatus"] == 2 and job["jobresultcode"] == 533
    failed = admin.items("listVirtualMachines", "virtualmachine", id=started["id"], listall=True)[0]
    text = job["jobresult"]["errortext"]
    assert text.startswith("Unable to create a deployment for VM instance {") and f'"uuid":"{started["id"]}"' in text
    assert f'"instanceName":"{failed["instancename"]}"' in text
    assert failed["state"] == "Error" and "ipaddress" not in failed["nic"][0]

    # An expunged VM gives its address back to the pod.
    admin.run("destroyVirtualMachine", id=vms[0]["id"], expunge=True)
    replacement = tenant.run("deployVirtualMachine", **base)["virtualmachine"]
    assert replacement["nic"][0]["ipaddress"] == vms[0]["nic"][0]["ipaddress"]


def test_a_pod_range_with_addresses_in_use_cannot_be_deleted(admin, tenant, catalog, sg_zone):
    vm = tenant.run("deployVirtualMachine", **_vm_base(catalog, sg_zone["zone"]))["virtualmachine"]
    pod = _pod_of(admin, vm)
    held = sg_zone["ranges"][pod]
    _, first, last = POD_RANGES[pod]
    in_use = [n["ipaddress"] for v in admin.items("listVirtualMachines", "virtualmachine", listall=True,
                                                   zoneid=sg_zone["zone"]["id"]) for n in v["nic"]
              if n.get("ipaddress") and _inside(n["ipaddress"], first, last)]
    in_use += [r["guestipaddress"] for r in admin.items("listRouters", "router", listall=True,
                                                        networkid=sg_zone["network"]["id"])
               if r.get("guestipaddress") and _inside(r["guestipaddress"], first, last)]
    assert vm["nic"][0]["ipaddress"] in in_use and len(in_use) >= 2          # the VM and its pod's router at least
    assert admin.error("deleteVlanIpRange", id=held["id"]) == (
        431, 4350, f"{len(in_use)}  Ips are in use. Cannot delete this vlan")
    assert held["id"] in {r["id"] for r in admin.items("listVlanIpRanges", "vlaniprange", networkid=sg_zone["network"]["id"])}
    # A range of the same pod that nobody's address is in goes.
    spare = _pod_range(admin, sg_zone["zone"], sg_zone["pods"][pod], sg_zone["network"], POD_RANGES[pod][0],
                       first.rsplit(".", 1)[0] + ".200", first.rsplit(".", 1)[0] + ".201")
    assert admin.ok("deleteVlanIpRange", id=spare["id"]) == {"success": True}
