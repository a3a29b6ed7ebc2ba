"""Resource details (add, replace, list by resource or by key/value, remove) and resource icons."""
from __future__ import annotations

import base64

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
GIF = base64.b64encode(b"GIF89a" + b"\x00" * 16).decode()


def _details(client, **params) -> dict[str, dict]:
    return {d["key"]: d for d in client.items("listResourceDetails", "resourcedetail", **params)}


def test_vm_details_life_cycle_agrees_with_the_vm(user, deploy):
    vm = deploy(user)
    user.run("addResourceDetail", resourcetype="UserVm", resourceid=vm["id"],
             details=[{"key": "owner", "value": "ops"}, {"key": "tier", "value": "web"}])
    listed = _details(user, resourcetype="UserVm", resourceid=vm["id"])
    assert listed["owner"] == {"resourceid": vm["id"], "resourcetype": "UserVm", "key": "owner", "value": "ops",
                               "fordisplay": True}
    shown = user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0]["details"]
    assert shown["owner"] == "ops" and shown["tier"] == "web"

    user.run("addResourceDetail", resourcetype="uservm", resourceid=vm["id"], fordisplay=False,
             details=[{"key": "owner", "value": "dev"}])                   # replaces, type in any case
    listed = _details(user, resourcetype="UserVm", resourceid=vm["id"])
    assert listed["owner"]["value"] == "dev" and listed["owner"]["fordisplay"] is False
    assert set(_details(user, resourcetype="UserVm", resourceid=vm["id"], fordisplay=True)) >= {"tier"}
    assert "owner" not in _details(user, resourcetype="UserVm", resourceid=vm["id"], fordisplay=True)

    user.run("removeResourceDetail", resourcetype="UserVm", resourceid=vm["id"], key="owner")
    assert "owner" not in _details(user, resourcetype="UserVm", resourceid=vm["id"])
    assert "owner" not in user.items("listVirtualMachines", "virtualmachine", id=vm["id"])[0].get("details", {})
    user.run("removeResourceDetail", resourcetype="UserVm", resourceid=vm["id"])
    assert _details(user, resourcetype="UserVm", resourceid=vm["id"]) == {}


def test_list_by_key_and_value_across_resources(admin, catalog):
    zone = catalog["zone"]
    admin.run("addResourceDetail", resourcetype="Zone", resourceid=zone["id"], details=[{"key": "rack", "value": "r9"}])
    found = admin.items("listResourceDetails", "resourcedetail", resourcetype="Zone", key="rack", value="r9")
    assert [(d["resourceid"], d["value"]) for d in found] == [(zone["id"], "r9")]
    assert admin.items("listResourceDetails", "resourcedetail", resourcetype="Zone", key="rack", value="r0") == []
    admin.run("removeResourceDetail", resourcetype="Zone", resourceid=zone["id"], key="rack")
    assert "rack" not in _details(admin, resourcetype="Zone", resourceid=zone["id"])


def test_detail_errors(user, other_user, deploy, catalog):
    vm = deploy(user)
    code, text = user.error("addResourceDetail", resourcetype="UserVm", resourceid=vm["id"],
                            details=[{"key": "empty", "value": ""}])
    assert (code, text) == (431, "Value for the key empty is either null or empty")
    code, text = user.error("addResourceDetail", resourcetype="Nothing", resourceid=vm["id"],
                            details=[{"key": "k", "value": "v"}])
    assert (code, text) == (431, "Invalid resource type Nothing")
    code, text = user.error("addResourceDetail", resourcetype="Volume", resourceid=vm["id"],
                            details=[{"key": "k", "value": "v"}])
    assert (code, text) == (431, f"Unable to find resource by uuid {vm['id']} and type Volume")
    code, text = user.error("addResourceDetail", resourcetype="Project", resourceid=vm["id"],
                            details=[{"key": "k", "value": "v"}])
    assert (code, text) == (530, "ResourceType Project doesn't support metadata")
    code, text = user.error("addResourceDetail", resourcetype="UserVm", resourceid=vm["id"])
    assert code == 431 and "missing parameter details" in text
    code, text = other_user.error("addResourceDetail", resourcetype="UserVm", resourceid=vm["id"],
                                  details=[{"key": "k", "value": "v"}])
    assert code == 531
    code, _ = other_user.error("listResourceDetails", resourcetype="UserVm", resourceid=vm["id"])
    assert code == 531
    code, _ = user.error("addResourceDetail", resourcetype="Zone", resourceid=catalog["zone"]["id"],
                         details=[{"key": "k", "value": "v"}])
    assert code == 531                                                      # infrastructure: admins only
    code, text = user.error("listResourceDetails", resourcetype="UserVm")
    assert code == 431 and text.startswith("Insufficient parameters passed for listing by resourceId")
    code, text = user.error("listResourceDetails", resourcetype="UserVm", value="x")
    assert (code, text) == (431, "Listing by (key, value) but key is null. Please check the params and try again")


def test_detail_options(admin, user):
    options = admin.ok("listDetailOptions", resourcetype="UserVm")["detailoptions"]["details"]
    assert options["UEFI"] == ["LEGACY", "SECURE"] and "rootdisksize" in options and "keyboard" in options
    assert "rootdisksize" not in user.ok("listDetailOptions", resourcetype="Template")["detailoptions"]["details"]
    code, text = user.error("listDetailOptions", resourcetype="Volume")
    assert (code, text[:30]) == (530, "Resource type not supported.")


def test_icon_life_cycle(user, other_user, deploy):
    vm = deploy(user)
    assert user.ok("uploadResourceIcon", resourceids=vm["id"], resourcetype="UserVm", base64image=PNG)["success"]
    icons = user.items("listResourceIcon", "icon", resourceids=vm["id"], resourcetype="UserVm")
    assert icons == [{"resourcetype": "UserVm", "resourceid": vm["id"], "base64image": PNG}]
    user.ok("uploadResourceIcon", resourceids=vm["id"], resourcetype="UserVm", base64image=GIF)   # replaces
    assert [i["base64image"] for i in user.items("listResourceIcon", "icon", resourceids=vm["id"],
                                                  resourcetype="UserVm")] == [GIF]
    code, text = other_user.error("deleteResourceIcon", resourceids=vm["id"], resourcetype="UserVm")
    assert code == 530 and "doesn't have permissions to upload icon for resource" in text
    assert user.ok("deleteResourceIcon", resourceids=vm["id"], resourcetype="UserVm")["success"]
    assert user.items("listResourceIcon", "icon", resourceids=vm["id"], resourcetype="UserVm") == []
    code, text = user.error("deleteResourceIcon", resourceids=vm["id"], resourcetype="UserVm")
    assert (code, text) == (530, "Failed to delete resource image")


def test_icon_errors(user, other_user, deploy):
    vm = deploy(user)
    not_an_image = base64.b64encode(b"plain text").decode()
    code, text = user.error("uploadResourceIcon", resourceids=vm["id"], resourcetype="UserVm", base64image=not_an_image)
    assert (code, text) == (530, "Invalid image uploaded")
    code, text = user.error("uploadResourceIcon", resourceids=vm["id"], resourcetype="Volume", base64image=PNG)
    assert (code, text) == (530, "The resource type Volume doesn't support resource icons")
    code, text = other_user.error("uploadResourceIcon", resourceids=vm["id"], resourcetype="UserVm", base64image=PNG)
    assert code == 530 and text.startswith("Account ' Account [") and "upload icon" in text
    code, text = user.error("uploadResourceIcon", resourceids=vm["id"], resourcetype="UserVm")
    assert code == 431 and "missing parameter base64image" in text
