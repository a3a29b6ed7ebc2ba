"""Guest OS management: user-defined OS types, hypervisor name mappings, hypervisor capabilities."""
from __future__ import annotations

from compute_client import unique


def _category(admin) -> dict:
    return admin.items("listOsCategories", "oscategory")[0]


def _system_os(admin) -> dict:
    return next(o for o in admin.items("listOsTypes", "ostype") if not o.get("isuserdefined"))


def test_guest_os_life_cycle(admin):
    category = _category(admin)
    name = unique("MyOS")
    answer = admin.ok("addGuestOs", oscategoryid=category["id"], osdisplayname=name, name="myos",
                      details=[{"key": "arch", "value": "x86_64"}])
    assert set(answer) == {"id", "jobid"}
    created = admin.wait(answer["jobid"])["jobresult"]["ostype"]
    assert created == {"id": answer["id"], "oscategoryid": category["id"], "oscategoryname": category["name"],
                       "name": "myos", "description": name, "isuserdefined": True, "fordisplay": True}
    assert admin.items("listOsTypes", "ostype", id=created["id"])[0]["description"] == name
    assert {d["key"]: d["value"] for d in admin.items("listResourceDetails", "resourcedetail", resourcetype="GuestOs",
                                                      resourceid=created["id"])} == {"arch": "x86_64"}

    updated = admin.run("updateGuestOs", id=created["id"], osdisplayname=name + " v2")["ostype"]
    assert updated["description"] == name + " v2"
    assert admin.run("removeGuestOs", id=created["id"])["success"] is True
    assert admin.items("listOsTypes", "ostype", keyword=name) == []
    code, text = admin.error("removeGuestOs", id=created["id"])
    assert (code, text) == (431, "Guest OS not found. Please specify a valid ID for the Guest OS")


def test_guest_os_errors(admin, user):
    category = _category(admin)
    system = _system_os(admin)
    code, text = admin.error("addGuestOs", oscategoryid=category["id"], osdisplayname=system["description"])
    assert (code, text) == (431, (f"The specified Guest OS name : {system['description']} already exists. "
                                 f"Please specify a unique name"))
    code, text = admin.error("updateGuestOs", id=system["id"], osdisplayname="x")
    assert (code, text) == (431, "Unable to modify system defined guest OS")
    code, text = admin.error("removeGuestOs", id=system["id"])
    assert (code, text) == (431, "Unable to remove system defined guest OS")
    code, text = admin.error("addGuestOs", oscategoryid=category["id"])
    assert code == 431 and "missing parameter osdisplayname" in text
    code, _ = user.error("addGuestOs", oscategoryid=category["id"], osdisplayname="x")
    assert code == 432
    other = admin.run("addGuestOs", oscategoryid=category["id"], osdisplayname=unique("Taken"))["ostype"]
    mine = admin.run("addGuestOs", oscategoryid=category["id"], osdisplayname=unique("Mine"))["ostype"]
    code, text = admin.failed("updateGuestOs", id=mine["id"], osdisplayname=other["description"])
    assert code == 431 and text.endswith("already exists. Please specify a unique guest OS name")


def test_mapping_life_cycle(admin):
    system = _system_os(admin)
    answer = admin.ok("addGuestOsMapping", ostypeid=system["id"], hypervisor="kvm", hypervisorversion="default",
                      osnameforhypervisor="linux-x")
    mapping = admin.wait(answer["jobid"])["jobresult"]["guestosmapping"]
    assert mapping == {"id": answer["id"], "hypervisor": "KVM", "hypervisorversion": "default",
                       "ostypeid": system["id"], "osdisplayname": system["description"],
                       "osnameforhypervisor": "linux-x", "isuserdefined": True}
    listed = admin.items("listGuestOsMapping", "guestosmapping", hypervisor="KV", osnameforhypervisor="nux-")
    assert [m["id"] for m in listed] == [mapping["id"]]

    code, text = admin.error("addGuestOsMapping", ostypeid=system["id"], hypervisor="KVM",
                             hypervisorversion="default", osnameforhypervisor="again")
    assert (code, text) == (431, (f"Mapping from hypervisor : KVM, version : default and guest OS : "
                                 f"{system['description']} already exists!"))
    forced = admin.run("addGuestOsMapping", osdisplayname=system["description"], hypervisor="KVM",
                       hypervisorversion="default", osnameforhypervisor="again", forced=True)["guestosmapping"]
    assert forced["id"] == mapping["id"] and forced["osnameforhypervisor"] == "again"

    updated = admin.run("updateGuestOsMapping", id=mapping["id"], osnameforhypervisor="linux-y")["guestosmapping"]
    assert updated["osnameforhypervisor"] == "linux-y"
    assert admin.run("removeGuestOsMapping", id=mapping["id"])["success"] is True
    assert admin.items("listGuestOsMapping", "guestosmapping", id=None, hypervisor="KVM") == []


def test_mapping_errors(admin):
    system = _system_os(admin)
    code, text = admin.error("addGuestOsMapping", hypervisor="KVM", hypervisorversion="default",
                             osnameforhypervisor="n")
    assert (code, text) == (431, "Please specify either a guest OS name or UUID")
    code, text = admin.error("addGuestOsMapping", ostypeid=system["id"], hypervisor="Simulator",
                             hypervisorversion="default", osnameforhypervisor="n")
    assert (code, text) == (431, "Please specify a valid hypervisor : XenServer, KVM or VMware")
    code, text = admin.error("addGuestOsMapping", ostypeid=system["id"], hypervisor="KVM",
                             hypervisorversion="9.9", osnameforhypervisor="n")
    assert (code, text) == (431, "Please specify a valid hypervisor and supported version")
    code, text = admin.error("addGuestOsMapping", ostypeid=system["id"], hypervisor="KVM",
                             hypervisorversion="default", osnameforhypervisor="n", osmappingcheckenabled=True)
    assert code == 431 and text.startswith("Guest OS mapping check is not supported for hypervisor: KVM")
    code, text = admin.error("listGuestOsMapping", hypervisorversion="default")
    assert code == 431 and text.startswith("Hypervisor version parameter cannot be used without")


def test_hypervisor_guest_os_names_need_a_host_of_that_version(admin):
    code, text = admin.error("getHypervisorGuestOsNames", hypervisor="KVM", hypervisorversion="default")
    assert (code, text) == (431, ("Guest OS names cannot be fetched for hypervisor: KVM, please specify a valid "
                                 "hypervisor : VMware, XenServer"))
    code, text = admin.failed("getHypervisorGuestOsNames", hypervisor="VMware", hypervisorversion="8.0")
    assert (code, text) == (530, ("No VMware hypervisor with version: 8.0 exists, please specify available "
                                 "hypervisor and version"))


def test_hypervisor_capabilities(admin, user):
    rows = admin.items("listHypervisorCapabilities", "hypervisorCapabilities", hypervisor="simulator")
    assert [(r["hypervisor"], r["hypervisorversion"], r["maxguestslimit"], r["maxdatavolumeslimit"]) for r in rows] \
        == [("Simulator", "default", 50, 6)]
    assert {r["hypervisor"] for r in admin.items("listHypervisorCapabilities", "hypervisorCapabilities")} \
        >= {"Simulator", "KVM", "VMware", "XenServer"}
    assert admin.items("listHypervisorCapabilities", "hypervisorCapabilities", hypervisor="nothing") == []

    kvm = admin.items("listHypervisorCapabilities", "hypervisorCapabilities", hypervisor="KVM")[0]
    updated = admin.ok("updateHypervisorCapabilities", id=kvm["id"], maxguestslimit=77,
                       vmsnapshotenabled=True)["hypervisorCapabilities"]
    assert (updated["maxguestslimit"], updated["vmsnapshotenabled"]) == (77, True)
    same = admin.ok("updateHypervisorCapabilities", hypervisor="KVM", hypervisorversion="default",
                    maxdatavolumeslimit=20)["hypervisorCapabilities"]
    assert same["id"] == kvm["id"] and (same["maxguestslimit"], same["maxdatavolumeslimit"]) == (77, 20)

    for params, text in (({}, "Either ID or hypervisor and hypervisor version must be specified"),
                         ({"id": kvm["id"], "hypervisor": "KVM"},
                          "ID can not be specified together with hypervisor and hypervisor version"),
                         ({"hypervisor": "KVM"}, "Hypervisor and hypervisor version must be specified together"),
                         ({"hypervisor": "Nope", "hypervisorversion": "1"}, "Invalid hypervisor specified"),
                         ({"hypervisor": "KVM", "hypervisorversion": "9"},
                          "Unable to find the hypervisor capabilities for specified hypervisor and hypervisor version")):
        assert admin.error("updateHypervisorCapabilities", **params) == (431, text)
    code, _ = user.error("updateHypervisorCapabilities", id=kvm["id"], maxguestslimit=1)
    assert code == 432
