"""Infrastructure APIs: a datacenter deployed on an empty simulator, settings,
certificates, system VMs, capabilities, and a restart on a file database."""
from __future__ import annotations

import pytest

from marvin2.simulator import start_simulator, timing
from sim_testlib import RawClient

@pytest.fixture(scope="module")
def empty():
    sim = start_simulator(seed=None, profile="instant")
    yield RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
    sim.stop()


def test_empty_simulator_has_only_the_admin(empty):
    assert empty.ok("listZones") == {}
    assert [a["name"] for a in empty.ok("listAccounts", listall=True)["account"]] == ["admin"]


def test_deploy_an_advanced_datacenter(empty):
    api = empty
    zone = api.ok("createZone", name="zim1", networktype="Advanced", dns1="8.8.8.8", internaldns1="10.0.0.1",
                  guestcidraddress="10.1.1.0/24")["zone"]
    assert zone["allocationstate"] == "Disabled"
    created = api.ok("createPhysicalNetwork", name="pnet", zoneid=zone["id"], isolationmethods="VLAN", vlan="100-200")
    physnet = api.wait_job(created["jobid"])["jobresult"]["physicalnetwork"]
    assert created["id"] == physnet["id"] and physnet["state"] == "Disabled"
    api.wait_job(api.ok("updatePhysicalNetwork", id=physnet["id"], state="Enabled")["jobid"])
    for traffic in ("Guest", "Management", "Public"):
        job = api.wait_job(api.ok("addTrafficType", physicalnetworkid=physnet["id"], traffictype=traffic)["jobid"])
        assert job["jobstatus"] == 1
    assert api.ok("listTrafficTypes", physicalnetworkid=physnet["id"])["count"] == 3
    vr = api.ok("listNetworkServiceProviders", physicalnetworkid=physnet["id"], name="VirtualRouter")
    provider = [p for p in vr["networkserviceprovider"] if p["name"] == "VirtualRouter"][0]
    failed = api.wait_job(api.ok("updateNetworkServiceProvider", id=provider["id"], state="Enabled")["jobid"]) \
        if api.call("updateNetworkServiceProvider", id=provider["id"], state="Enabled")[0] == 200 else None
    assert failed is None, "enabling a provider whose element is disabled must be refused up front"
    element = api.ok("listVirtualRouterElements", nspid=provider["id"])["virtualrouterelement"][0]
    api.wait_job(api.ok("configureVirtualRouterElement", id=element["id"], enabled=True)["jobid"])
    enabled = api.wait_job(api.ok("updateNetworkServiceProvider", id=provider["id"], state="Enabled")["jobid"])
    assert enabled["jobresult"]["networkserviceprovider"]["state"] == "Enabled"
    pod = api.ok("createPod", name="POD0", zoneid=zone["id"], gateway="172.16.15.1", netmask="255.255.255.0",
                 startip="172.16.15.2", endip="172.16.15.200")["pod"]
    rng = api.ok("createVlanIpRange", zoneid=zone["id"], vlan="50", gateway="192.168.2.1", netmask="255.255.255.0",
                 startip="192.168.2.2", endip="192.168.2.20", forvirtualnetwork=True, physicalnetworkid=physnet["id"])["vlan"]
    assert rng["vlan"] == "vlan://50"
    status, body = api.call("createVlanIpRange", zoneid=zone["id"], gateway="192.168.2.1", netmask="255.255.255.0",
                            startip="192.168.2.10", endip="192.168.2.30")
    assert status == 431 and "overlaps" in body["createvlaniprangeresponse"]["errortext"]
    cluster = api.ok("addCluster", clustername="C0", clustertype="CloudManaged", hypervisor="Simulator",
                     podid=pod["id"], zoneid=zone["id"])["cluster"][0]
    host = api.ok("addHost", hypervisor="Simulator", url="http://sim/c0/h0", podid=pod["id"], zoneid=zone["id"],
                  clusterid=cluster["id"], username="root", password="password")["host"][0]
    assert host["state"] == "Up" and host["clustername"] == "C0"
    status, _ = api.call("addHost", hypervisor="KVM", url="http://h", podid=pod["id"], zoneid=zone["id"], clusterid=cluster["id"])
    assert status == 431
    pool = api.ok("createStoragePool", name="PS0", url="nfs://10.0.0.5/export/primary", zoneid=zone["id"],
                  podid=pod["id"], clusterid=cluster["id"])["storagepool"]
    assert pool["scope"] == "CLUSTER" and pool["state"] == "Up"
    store = api.ok("addImageStore", provider="NFS", name="SS0", url="nfs://10.0.0.5/export/secondary",
                   zoneid=zone["id"])["imagestore"]
    assert store["providername"] == "NFS"
    zone = api.ok("updateZone", id=zone["id"], allocationstate="Enabled")["zone"]
    assert zone["allocationstate"] == "Enabled"
    assert api.ok("listHosts", zoneid=zone["id"], type="Routing")["count"] == 1
    assert api.ok("listHypervisors", zoneid=zone["id"])["hypervisor"] == [{"name": "Simulator"}]
    status, body = api.call("deleteZone", id=zone["id"])
    assert status == 530 and "not deletable" in body["deletezoneresponse"]["errortext"]
    ranges = api.ok("listVlanIpRanges", zoneid=zone["id"])
    assert ranges["count"] == 1 and ranges["vlaniprange"][0]["startip"] == "192.168.2.2"
    # The enabled zone got its SSVM and CPVM (test_zone_system_vms.py follows them); they hold public
    # addresses of the range, so it goes only once the zone is disabled and they are destroyed.
    api.ok("updateZone", id=zone["id"], allocationstate="Disabled")
    for vm in api.ok("listSystemVms", zoneid=zone["id"])["systemvm"]:
        assert api.wait_job(api.ok("destroySystemVm", id=vm["id"])["jobid"])["jobstatus"] == 1
    api.ok("deleteVlanIpRange", id=rng["id"])


def test_basic_zone_with_security_groups(empty):
    zone = empty.ok("createZone", name="basic1", networktype="Basic", dns1="8.8.8.8", internaldns1="10.0.0.1",
                    securitygroupenabled=True)["zone"]
    assert zone["networktype"] == "Basic" and zone["securitygroupsenabled"] is True
    assert empty.ok("listCapabilities")["capability"]["securitygroupsenabled"] is True
    empty.ok("deleteZone", id=zone["id"])


def test_capabilities_and_settings(admin):
    caps = admin.ok("listCapabilities")["capability"]
    assert caps["cloudstackversion"] == "4.20.2.0"
    for name, value in (("expunge.delay", "20"), ("expunge.interval", "20"), ("default.page.size", "500"),
                        ("consoleproxy.sslEnabled", "true"), ("consoleproxy.url.domain", "*.example.com"),
                        ("secstorage.encrypt.copy", "true"), ("secstorage.ssl.cert.domain", "*.example.com"),
                        ("indirect.agent.lb.algorithm", "roundrobin"), ("indirect.agent.lb.check.interval", "60"),
                        ("host", "10.0.0.1,10.0.0.2")):
        assert admin.ok("updateConfiguration", name=name, value=value)["configuration"]["value"] == value
        listed = admin.ok("listConfigurations", name=name)["configuration"]
        assert {c["name"]: c.get("value") for c in listed}[name] == value
    status, body = admin.call("updateConfiguration", name="indirect.agent.lb.algorithm", value="random")
    assert status == 431 and "static, roundrobin, shuffle" in body["updateconfigurationresponse"]["errortext"]
    status, body = admin.call("updateConfiguration", name="no.such.setting", value="1")
    assert status == 431 and body["updateconfigurationresponse"]["errortext"] == \
        "Config parameter with name no.such.setting doesn't exist"
    admin.ok("updateConfiguration", name="indirect.agent.lb.algorithm", value="static")


def test_page_size_follows_default_page_size(admin):
    try:
        admin.ok("updateConfiguration", name="default.page.size", value="2")
        status, body = admin.call("listConfigurations", page=1, pagesize=3)
        assert status == 431 and body["listconfigurationsresponse"]["errortext"] == \
            "Page size can't exceed max allowed page size value: 2"
        first = admin.ok("listConfigurations")
        assert len(first["configuration"]) == 2 and first["count"] > 2
    finally:
        admin.ok("updateConfiguration", name="default.page.size", value="500")


def test_system_vms_lifecycle(admin):
    vms = admin.ok("listSystemVms")["systemvm"]
    assert {v["systemvmtype"] for v in vms} == {"secondarystoragevm", "consoleproxy"}
    cpvm = [v for v in vms if v["systemvmtype"] == "consoleproxy"][0]
    assert cpvm["state"] == "Running"
    stopped = admin.wait_job(admin.ok("stopSystemVm", id=cpvm["id"])["jobid"])["jobresult"]["systemvm"]
    assert stopped["state"] == "Stopped"
    status, body = admin.call("stopSystemVm", id=cpvm["id"])
    assert status == 431
    started = admin.wait_job(admin.ok("startSystemVm", id=cpvm["id"])["jobid"])["jobresult"]["systemvm"]
    assert started["state"] == "Running"
    admin.wait_job(admin.ok("destroySystemVm", id=cpvm["id"])["jobid"])
    after = admin.ok("listSystemVms", systemvmtype="consoleproxy")["systemvm"]
    assert len(after) == 1 and after[0]["id"] != cpvm["id"] and after[0]["state"] == "Running"


def test_routers_are_listed_from_records(sim, admin):
    account = admin.ok("listAccounts")["account"][0]
    with sim.store.transaction():
        zone = sim.store.find_one("zone")
        sim.store.insert("router", {"name": "r-1-VM", "zoneid": zone["id"], "state": "Running",
                                    "accountid": account["id"], "domainid": account["domainid"]})
    routers = admin.ok("listRouters", listall=True)["router"]
    assert routers[0]["name"] == "r-1-VM" and routers[0]["zonename"] == "Sandbox-simulator"
    assert routers[0]["account"] == "admin"


def test_file_database_survives_restart_and_fails_interrupted_jobs(tmp_path, monkeypatch):
    # The tag job must still be pending when the simulator stops: stopping waits up to the HTTP server's poll
    # interval (0.2 s), as long as a realistic createTags, so the job is made much longer than that.
    monkeypatch.setitem(timing.PROFILES["realistic"], "createTags", 30.0)
    db = str(tmp_path / "sim.sqlite")
    sim = start_simulator(db=db, profile="realistic", seed="default")
    client = RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
    domain = client.ok("createDomain", name="kept")["domain"]
    zone = client.ok("listZones")["zone"][0]
    pending = client.ok("createTags", resourceids=zone["id"], resourcetype="Zone", tags={"k": "v"})["jobid"]
    keys = (sim.admin_api_key, sim.admin_secret_key)
    sim.stop()
    again = start_simulator(db=db, profile="instant", seed="default")
    try:
        client = RawClient(again.endpoint, again.admin_api_key, again.admin_secret_key)
        assert (again.admin_api_key, again.admin_secret_key) == keys
        assert client.ok("listDomains", id=domain["id"])["domain"][0]["name"] == "kept"
        assert client.ok("listZones")["count"] == 1
        job = client.ok("queryAsyncJobResult", jobid=pending)
        assert job["jobstatus"] == 2 and "stopped while this job was running" in job["jobresult"]["errortext"]
    finally:
        again.stop()
