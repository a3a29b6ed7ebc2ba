"""Catalog over HTTP: service and disk offerings, templates (register → download → ready, filters,
permissions, copy, extract, delete), ISOs, OS types."""
from __future__ import annotations

import time

import pytest
from compute_client import Client, new_user, unique

TEMPLATE_URL = "http://images.example.com/centos.qcow2"


@pytest.fixture(scope="module")
def ostype(admin) -> dict:
    return admin.items("listOsTypes", "ostype", description="CentOS 7")[0]


def register(client, catalog, ostype, **params) -> dict:
    answer = client.ok("registerTemplate", name=params.pop("name", unique("tpl")), displaytext="test template",
                       format="QCOW2", hypervisor="Simulator", url=TEMPLATE_URL, zoneid=catalog["zone"]["id"],
                       ostypeid=ostype["id"], **params)
    assert answer["count"] == 1 and len(answer["template"]) == 1
    return answer["template"][0]


def wait_ready(client, template_id: str, filter_name: str = "self", timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.items("listTemplates", "template", templatefilter=filter_name, id=template_id)
        if found and found[0]["isready"]:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"template {template_id} not ready after {timeout}s")


# --- offerings ----------------------------------------------------------------------------------------------


def test_seeded_offerings(user):
    offerings = {o["name"]: o for o in user.items("listServiceOfferings", "serviceoffering")}
    assert (offerings["Small Instance"]["cpunumber"], offerings["Small Instance"]["cpuspeed"],
            offerings["Small Instance"]["memory"]) == (1, 500, 512)
    assert (offerings["Medium Instance"]["cpuspeed"], offerings["Medium Instance"]["memory"]) == (1000, 1024)
    disks = {d["name"]: d for d in user.items("listDiskOfferings", "diskoffering")}
    assert disks["Small"]["disksize"] == 5 and disks["Medium"]["disksize"] == 20 and disks["Custom"]["iscustomized"]


def test_service_offering_create_update_delete(admin, user):
    code, _ = user.error("createServiceOffering", name="x", displaytext="x", cpunumber=1, cpuspeed=100, memory=128)
    assert code == 432
    code, text = admin.error("createServiceOffering", name="tiny", displaytext="x", cpunumber=1, cpuspeed=100, memory=16)
    assert code == 431 and "specify the memory value between 32 and" in text
    name = unique("so")
    created = admin.ok("createServiceOffering", name=name, displaytext="two cpus", cpunumber=2, cpuspeed=750,
                       memory=2048, offerha=True, hosttags="fast")["serviceoffering"]
    assert (created["cpunumber"], created["cpuspeed"], created["memory"], created["offerha"]) == (2, 750, 2048, True)
    assert [o["id"] for o in user.items("listServiceOfferings", "serviceoffering", name=name)] == [created["id"]]
    updated = admin.ok("updateServiceOffering", id=created["id"], displaytext="renamed")["serviceoffering"]
    assert updated["displaytext"] == "renamed"
    assert admin.ok("deleteServiceOffering", id=created["id"]) == {"success": True}
    assert user.ok("listServiceOfferings", name=name) == {}


def test_domain_restricted_offering_is_hidden_from_other_domains(admin):
    domain = admin.ok("createDomain", name=unique("dom"))["domain"]
    inside = new_user(admin, domainid=domain["id"])
    outside = new_user(admin)
    offering = admin.ok("createServiceOffering", name=unique("dso"), displaytext="domain only", cpunumber=1,
                        cpuspeed=100, memory=64, domainid=[domain["id"]])["serviceoffering"]
    assert offering["domainid"] == domain["id"]
    assert inside.items("listServiceOfferings", "serviceoffering", id=offering["id"])
    assert not outside.items("listServiceOfferings", "serviceoffering", id=offering["id"])


def test_disk_offering_create_update_delete(admin, user):
    code, text = admin.error("createDiskOffering", name="x", displaytext="x")
    assert (code, text) == (431, "Disksize is required for a non-customized disk offering")
    fixed = admin.ok("createDiskOffering", name=unique("do"), displaytext="ten", disksize=10)["diskoffering"]
    custom = admin.ok("createDiskOffering", name=unique("do"), displaytext="any", customized=True)["diskoffering"]
    assert (fixed["disksize"], fixed["iscustomized"], custom["iscustomized"]) == (10, False, True)
    assert admin.ok("updateDiskOffering", id=fixed["id"], name="renamed")["diskoffering"]["name"] == "renamed"
    assert admin.ok("deleteDiskOffering", id=custom["id"]) == {"success": True}
    ids = {d["id"] for d in user.items("listDiskOfferings", "diskoffering")}
    assert fixed["id"] in ids and custom["id"] not in ids


# --- templates ----------------------------------------------------------------------------------------------


def test_register_downloads_then_ready(slow_sim):
    client = Client(slow_sim.endpoint, slow_sim.admin_api_key, slow_sim.admin_secret_key, label="admin")
    zone = client.items("listZones", "zone")[0]
    ostype = client.items("listOsTypes", "ostype")[0]
    answer = client.ok("registerTemplate", name="dl", displaytext="dl", format="QCOW2", hypervisor="Simulator",
                       url=TEMPLATE_URL, zoneid=zone["id"], ostypeid=ostype["id"])
    entry = answer["template"][0]
    assert entry["isready"] is False and entry["status"].endswith("% Downloaded") and "size" not in entry
    statuses = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entry = client.items("listTemplates", "template", templatefilter="self", id=entry["id"])[0]
        statuses.append(entry["status"])
        if entry["isready"]:
            break
        time.sleep(0.02)
    assert statuses[-1] == "Download Complete" and entry["size"] > 0
    assert any(s.endswith("% Downloaded") and s != "0% Downloaded" for s in statuses), statuses
    # Not ready templates are not "executable": deploy refuses them with the real text.
    second = client.ok("registerTemplate", name="dl2", displaytext="dl2", format="QCOW2", hypervisor="Simulator",
                       url=TEMPLATE_URL, zoneid=zone["id"], ostypeid=ostype["id"])["template"][0]
    assert not client.items("listTemplates", "template", templatefilter="executable", id=second["id"])
    code, text = client.error("deployVirtualMachine", zoneid=zone["id"], templateid=second["id"],
                              serviceofferingid=client.items("listServiceOfferings", "serviceoffering")[0]["id"])
    assert code == 431 and "has not been completely downloaded" in text


def test_register_parameter_errors(user, catalog, ostype):
    base = {"name": "bad", "displaytext": "bad", "zoneid": catalog["zone"]["id"], "ostypeid": ostype["id"]}
    code, text = user.error("registerTemplate", format="JPEG", hypervisor="Simulator", url=TEMPLATE_URL, **base)
    assert code == 431 and text.startswith("Image format: JPEG is incorrect")
    code, text = user.error("registerTemplate", format="QCOW2", hypervisor="Toaster", url=TEMPLATE_URL, **base)
    assert code == 431 and text.startswith("Hypervisor Type: Toaster is invalid")
    code, text = user.error("registerTemplate", format="QCOW2", hypervisor="Simulator", url="ftp://x/y.qcow2", **base)
    assert (code, text) == (431, "Unsupported scheme for url: ftp://x/y.qcow2")
    code, text = user.error("registerTemplate", format="QCOW2", hypervisor="Simulator", **base)
    assert (code, text) == (431, "Unable to execute API command registertemplate due to missing parameter url")


def test_template_filters_and_permissions(admin, catalog, ostype):
    owner, friend, stranger = new_user(admin), new_user(admin), new_user(admin)
    template = wait_ready(owner, register(owner, catalog, ostype, isextractable=True)["id"])
    ids = lambda client, f: {t["id"] for t in client.items("listTemplates", "template", templatefilter=f)}
    assert template["id"] in ids(owner, "self") and template["id"] in ids(owner, "selfexecutable")
    assert template["id"] in ids(owner, "executable") and template["id"] not in ids(owner, "featured")
    assert template["id"] not in ids(friend, "executable") | ids(friend, "sharedexecutable") | ids(friend, "community")
    assert catalog["template"]["id"] in ids(friend, "featured") and catalog["template"]["id"] in ids(friend, "executable")
    code, text = friend.error("listTemplates", templatefilter="all")
    assert (code, text) == (431, "Filter all can be specified by admin only")
    code, text = friend.error("listTemplates", templatefilter="mine")
    assert (code, text) == (431, "Please specify a valid template filter")
    assert owner.ok("updateTemplatePermissions", id=template["id"], op="add", accounts=[friend.account["name"]]) == \
        {"success": True}
    assert template["id"] in ids(friend, "sharedexecutable") and template["id"] in ids(friend, "executable")
    assert template["id"] not in ids(stranger, "executable")
    permissions = owner.ok("listTemplatePermissions", id=template["id"])["templatepermission"]
    assert permissions["account"] == [friend.account["name"]] and permissions["ispublic"] is False
    code, _ = friend.error("updateTemplatePermissions", id=template["id"], ispublic=True)
    assert code == 531
    owner.ok("updateTemplatePermissions", id=template["id"], ispublic=True)
    assert template["id"] in ids(stranger, "community") and template["id"] in ids(stranger, "executable")
    owner.ok("updateTemplatePermissions", id=template["id"], op="reset")
    assert template["id"] not in ids(friend, "executable") and template["id"] not in ids(stranger, "community")
    assert template["id"] in ids(admin, "all")


def test_update_template(user, catalog, ostype):
    template = register(user, catalog, ostype)
    updated = user.ok("updateTemplate", id=template["id"], name="renamed", displaytext="new text",
                      passwordenabled=True)["template"]
    assert (updated["name"], updated["displaytext"], updated["passwordenabled"]) == ("renamed", "new text", True)


def test_copy_extract_delete_template(admin, user, catalog, ostype, deploy):
    zone2 = admin.ok("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                     internaldns1="10.0.0.2")["zone"]
    template = wait_ready(user, register(user, catalog, ostype, isextractable=True)["id"])
    copied = user.run("copyTemplate", id=template["id"], sourcezoneid=catalog["zone"]["id"], destzoneid=zone2["id"])
    assert copied["template"]["zoneid"] == zone2["id"]
    entries = user.items("listTemplates", "template", templatefilter="self", id=template["id"])
    assert {e["zoneid"] for e in entries} == {catalog["zone"]["id"], zone2["id"]} and all(e["isready"] for e in entries)
    code, text = user.failed("copyTemplate", id=template["id"], sourcezoneid=zone2["id"], destzoneid=zone2["id"])
    assert (code, text) == (431, "Please specify different source and destination zones.")
    extracted = user.run("extractTemplate", id=template["id"], mode="HTTP_DOWNLOAD", zoneid=catalog["zone"]["id"])
    ssvm = admin.items("listSystemVms", "systemvm", zoneid=catalog["zone"]["id"], systemvmtype="secondarystoragevm")[0]
    # Default settings (secstorage.encrypt.copy=false): plain http on the SSVM's public IP.
    assert extracted["template"]["url"].startswith(f"http://{ssvm['publicip']}/userdata/")
    assert extracted["template"]["state"] == "DOWNLOAD_URL_CREATED"
    code, _ = admin.failed("extractTemplate", id=catalog["template"]["id"], mode="HTTP_DOWNLOAD")
    assert code == 431
    code, text = user.error("extractTemplate", id=template["id"], mode="EMAIL")
    assert code == 431 and "extract Mode" in text
    vm = deploy(user, templateid=template["id"])
    code, text = user.failed("deleteTemplate", id=template["id"])
    assert code == 431 and text.startswith(f"Unable to delete template with id: {template['id']} because VM instances:")
    assert user.run("deleteTemplate", id=template["id"], zoneid=zone2["id"], forced=True) == {"success": True}
    assert {e["zoneid"] for e in user.items("listTemplates", "template", templatefilter="self", id=template["id"])} == \
        {catalog["zone"]["id"]}
    assert user.run("deleteTemplate", id=template["id"], forced=True) == {"success": True}
    assert not user.items("listTemplates", "template", templatefilter="self", id=template["id"])
    assert user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["templateid"] == template["id"]


# --- ISOs ------------------------------------------------------------------------------------------------------


def test_iso_life_cycle(admin, user, other_user, catalog, ostype, deploy):
    answer = user.ok("registerIso", name=unique("iso"), displaytext="tools", url="http://images.example.com/tools.iso",
                     zoneid=catalog["zone"]["id"], ostypeid=ostype["id"], isextractable=True)
    iso = answer["iso"][0]
    assert answer["count"] == 1 and iso["bootable"] is True
    deadline = time.monotonic() + 5
    while not user.items("listIsos", "iso", id=iso["id"], isofilter="self")[0]["isready"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    listed = user.items("listIsos", "iso", id=iso["id"])[0]
    assert listed["status"] == "Successfully Installed"
    assert not user.items("listTemplates", "template", templatefilter="self", id=iso["id"])
    assert not other_user.items("listIsos", "iso", id=iso["id"], isofilter="executable")
    vm = deploy(user)
    attached = user.run("attachIso", id=iso["id"], virtualmachineid=vm["id"])["virtualmachine"]
    assert attached["isoid"] == iso["id"] and attached["isoname"] == iso["name"]
    code, _ = user.failed("attachIso", id=iso["id"], virtualmachineid=vm["id"])
    assert code == 431
    code, _ = user.failed("deleteIso", id=iso["id"])
    assert code == 536
    assert "isoid" not in user.run("detachIso", virtualmachineid=vm["id"])["virtualmachine"]
    code, text = user.failed("detachIso", virtualmachineid=vm["id"])
    assert (code, text) == (431, "The specified VM has no ISO attached to it.")
    assert user.ok("updateIsoPermissions", id=iso["id"], op="add", accounts=[other_user.account["name"]]) == {"success": True}
    assert user.ok("listIsoPermissions", id=iso["id"])["templatepermission"]["account"] == [other_user.account["name"]]
    assert other_user.items("listIsos", "iso", id=iso["id"], isofilter="sharedexecutable")
    assert user.ok("updateIso", id=iso["id"], displaytext="better tools")["iso"]["displaytext"] == "better tools"
    extracted = user.run("extractIso", id=iso["id"], mode="HTTP_DOWNLOAD")["iso"]
    assert extracted["url"].endswith(".iso")
    zone2 = admin.ok("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                     internaldns1="10.0.0.2")["zone"]
    assert user.run("copyIso", id=iso["id"], destzoneid=zone2["id"])["iso"]["zoneid"] == zone2["id"]
    assert user.run("deleteIso", id=iso["id"]) == {"success": True}
    assert not user.items("listIsos", "iso", id=iso["id"], isofilter="self")


def test_deploy_from_iso_needs_a_disk_offering(user, catalog, ostype, deploy):
    iso = user.ok("registerIso", name=unique("boot"), displaytext="installer", url="http://images.example.com/i.iso",
                  zoneid=catalog["zone"]["id"], ostypeid=ostype["id"])["iso"][0]
    deadline = time.monotonic() + 5
    while not user.items("listIsos", "iso", id=iso["id"], isofilter="self")[0]["isready"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    code, text = user.error("deployVirtualMachine", zoneid=catalog["zone"]["id"], templateid=iso["id"],
                            serviceofferingid=catalog["small"]["id"])
    assert (code, text) == (431, "Installing from ISO requires a disk offering to be specified for the root disk.")
    vm = deploy(user, templateid=iso["id"], diskofferingid=catalog["disk"]["Medium"]["id"])
    assert vm["isoid"] == iso["id"] and vm["state"] == "Running"
    root = user.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    assert root["size"] == 20 * 1024 ** 3


def test_os_types_and_categories(user):
    categories = {c["name"]: c for c in user.items("listOsCategories", "oscategory")}
    assert {"CentOS", "Ubuntu", "Other"} <= set(categories)
    centos = user.items("listOsTypes", "ostype", oscategoryid=categories["CentOS"]["id"])
    # The whole 4.20 catalogue of a fresh database: 63 CentOS rows, of which tests ask for these.
    assert {"CentOS 5.3 (64-bit)", "CentOS 5.6 (64-bit)", "CentOS 7"} <= {t["description"] for t in centos}
    assert len(centos) == 63
    assert all(t["oscategoryid"] == categories["CentOS"]["id"] and t["isuserdefined"] is False for t in centos)
    assert [t["description"] for t in user.items("listOsTypes", "ostype", keyword="ubuntu 20.04")] == ["Ubuntu 20.04 LTS"]
    assert len(user.items("listOsTypes", "ostype")) == 377 and len(categories) == 11


def test_create_template_from_a_volume_or_a_snapshot(admin, catalog, ostype, deploy):
    owner = new_user(admin)
    vm = deploy(owner)
    root = owner.items("listVolumes", "volume", virtualmachineid=vm["id"], type="ROOT")[0]
    code, text = owner.error("createTemplate", name="t", displaytext="t", ostypeid=ostype["id"], volumeid=root["id"])
    assert code == 431 and "please stop the VM first" in text
    code, text = owner.error("createTemplate", name="t", displaytext="t", ostypeid=ostype["id"])
    assert code == 431 and "neither volume ID nor snapshot ID" in text
    owner.run("stopVirtualMachine", id=vm["id"])
    answer = owner.ok("createTemplate", name=unique("fromvol"), displaytext="from a volume", ostypeid=ostype["id"],
                      volumeid=root["id"], passwordenabled=True)
    assert set(answer) == {"id", "jobid"}
    template = owner.wait(answer["jobid"])["jobresult"]["template"]
    assert template["id"] == answer["id"] and template["isready"] is True and template["passwordenabled"] is True
    assert template["size"] == root["size"] and template["templatetype"] == "USER"
    assert template["id"] in {t["id"] for t in owner.items("listTemplates", "template", templatefilter="self")}
    owner.run("startVirtualMachine", id=vm["id"])
    snapshot = owner.run("createSnapshot", volumeid=root["id"])["snapshot"]
    from_snapshot = owner.run("createTemplate", name=unique("fromsnap"), displaytext="from a snapshot",
                              ostypeid=ostype["id"], snapshotid=snapshot["id"])["template"]
    assert from_snapshot["isready"] is True
    assert deploy(owner, templateid=from_snapshot["id"])["templateid"] == from_snapshot["id"]
