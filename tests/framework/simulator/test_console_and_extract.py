"""createConsoleEndpoint and extractVolume over HTTP: the URLs the CPVM and SSVM serve for the settings,
and the refusals (createConsoleEndpoint answers them as result=false with details, as the server does)."""
from __future__ import annotations

import pytest

from sim_testlib import RawClient


@pytest.fixture(scope="module")
def zone(admin) -> dict:
    return admin.ok("listZones", name="Sandbox-simulator")["zone"][0]


def new_user(admin: RawClient, name: str) -> RawClient:
    account = admin.ok("createAccount", method="POST", username=name, password="pw", email=f"{name}@x.org",
                       firstname="F", lastname="L", accounttype=0)["account"]
    keys = admin.ok("registerUserKeys", id=account["user"][0]["id"])["userkeys"]
    return RawClient(admin.endpoint, keys["apikey"], keys["secretkey"])


@pytest.fixture(scope="module")
def owner(admin) -> RawClient:
    return new_user(admin, "console-owner")


@pytest.fixture(scope="module")
def stranger(admin) -> RawClient:
    return new_user(admin, "console-stranger")


def deploy(api: RawClient, zone: dict) -> dict:
    offering = api.ok("listServiceOfferings", name="Small Instance")["serviceoffering"][0]
    template = api.ok("listTemplates", templatefilter="featured", zoneid=zone["id"])["template"][0]
    job = api.wait_job(api.ok("deployVirtualMachine", zoneid=zone["id"], serviceofferingid=offering["id"],
                              templateid=template["id"])["jobid"])
    assert job["jobstatus"] == 1, job
    return job["jobresult"]["virtualmachine"]


def system_vm(admin: RawClient, zone: dict, kind: str) -> dict:
    return admin.ok("listSystemVms", zoneid=zone["id"], systemvmtype=kind)["systemvm"][0]


def endpoint(api: RawClient, **params) -> dict:
    return api.ok("createConsoleEndpoint", **params)["consoleendpoint"]


def test_console_endpoint_follows_the_proxy_settings(admin, owner, zone):
    vm = deploy(owner, zone)
    address = system_vm(admin, zone, "consoleproxy")["publicip"]
    plain = endpoint(owner, virtualmachineid=vm["id"])
    assert plain["result"] is True and plain["url"].startswith(
        f"http://{address}/resource/noVNC/vnc.html?autoconnect=true&port=8080&token=")
    assert plain["websocket"]["host"] == address and plain["websocket"]["path"] == "websockify"
    try:
        admin.ok("updateConfiguration", name="consoleproxy.sslEnabled", value="true")
        # SSL without a domain is switched off, as the server does.
        assert endpoint(owner, virtualmachineid=vm["id"])["url"].startswith(f"http://{address}/")
        admin.ok("updateConfiguration", name="consoleproxy.url.domain", value="*.example.org")
        secure = endpoint(owner, virtualmachineid=vm["id"], token="extra-1")
        dashed = address.replace(".", "-")
        assert secure["url"].startswith(f"https://{dashed}.example.org/resource/noVNC/vnc.html?autoconnect=true&port=8080")
        assert secure["url"].endswith("&extra=extra-1") and secure["websocket"]["extra"] == "extra-1"
        admin.ok("updateConfiguration", name="consoleproxy.url.domain", value="console.example.org")
        assert endpoint(owner, virtualmachineid=vm["id"])["url"].startswith("https://console.example.org/")
    finally:
        admin.ok("updateConfiguration", name="consoleproxy.sslEnabled", value="false")
        admin.ok("updateConfiguration", name="consoleproxy.url.domain", value="")
    assert endpoint(owner, virtualmachineid=vm["id"])["url"].startswith(f"http://{address}/")


def test_console_endpoint_refusals(admin, owner, stranger, zone):
    vm = deploy(owner, zone)
    denied = endpoint(stranger, virtualmachineid=vm["id"])
    assert denied == {"result": False, "details": "Permission denied"}
    status, body = owner.call("createConsoleEndpoint")
    assert status == 431
    status, _ = owner.call("createConsoleEndpoint", virtualmachineid="0b0e5a6c-0000-0000-0000-000000000000")
    assert status == 431
    assert owner.wait_job(owner.ok("stopVirtualMachine", id=vm["id"])["jobid"])["jobstatus"] == 1
    stopped = endpoint(owner, virtualmachineid=vm["id"])
    assert stopped["result"] is False and stopped["details"].startswith("Server Internal Error: VM VM instance {")
    assert stopped["details"].endswith("must be running to connect console, sending blank response for console "
                                       "access request")


def test_extract_volume(admin, owner, stranger, zone):
    vm = deploy(owner, zone)
    root = owner.ok("listVolumes", virtualmachineid=vm["id"], type="ROOT")["volume"][0]
    address = system_vm(admin, zone, "secondarystoragevm")["publicip"]

    running = owner.wait_job(owner.ok("extractVolume", id=root["id"], zoneid=zone["id"], mode="HTTP_DOWNLOAD")["jobid"])
    assert running["jobstatus"] == 2 and running["jobresult"]["errorcode"] == 531
    assert running["jobresult"]["errortext"] == ("Invalid state of the volume with specified ID. It should be either "
                                                 "detached or the VM should be in stopped state.")
    owner.wait_job(owner.ok("stopVirtualMachine", id=vm["id"])["jobid"])
    # The built-in template is not extractable: its root volumes are not, except for the root admin.
    builtin = owner.wait_job(owner.ok("extractVolume", id=root["id"], zoneid=zone["id"], mode="HTTP_DOWNLOAD")["jobid"])
    assert builtin["jobresult"]["errortext"] == "The volume with specified volumeId is not allowed to be extracted"
    done = admin.wait_job(admin.ok("extractVolume", id=root["id"], zoneid=zone["id"], mode="HTTP_DOWNLOAD")["jobid"])
    extracted = done["jobresult"]["volume"]
    assert extracted["id"] == root["id"] and extracted["state"] == "DOWNLOAD_URL_CREATED"
    assert extracted["url"].startswith(f"http://{address}/userdata/") and extracted["url"].endswith(f"/{root['name']}.vhd")
    try:
        admin.ok("updateConfiguration", name="secstorage.encrypt.copy", value="true")
        admin.ok("updateConfiguration", name="secstorage.ssl.cert.domain", value="*.example.org")
        secure = admin.wait_job(admin.ok("extractVolume", id=root["id"], zoneid=zone["id"], mode="HTTP_DOWNLOAD")["jobid"])
        assert secure["jobresult"]["volume"]["url"].startswith(f"https://{address.replace('.', '-')}.example.org/userdata/")
    finally:
        admin.ok("updateConfiguration", name="secstorage.encrypt.copy", value="false")
        admin.ok("updateConfiguration", name="secstorage.ssl.cert.domain", value="")

    fresh = owner.ok("createVolume", name="never-attached", zoneid=zone["id"],
                     diskofferingid=owner.ok("listDiskOfferings", name="Small")["diskoffering"][0]["id"])
    volume_id = owner.wait_job(fresh["jobid"])["jobresult"]["volume"]["id"]
    nowhere = owner.wait_job(owner.ok("extractVolume", id=volume_id, zoneid=zone["id"], mode="HTTP_DOWNLOAD")["jobid"])
    assert nowhere["jobresult"]["errortext"] == "The volume doesn't belong to a storage pool so can't extract it"
    mode = admin.wait_job(admin.ok("extractVolume", id=root["id"], zoneid=zone["id"], mode="EMAIL")["jobid"])
    assert mode["jobresult"]["errortext"] == "Please specify a valid extract Mode "
    status, _ = stranger.call("extractVolume", id=root["id"], zoneid=zone["id"], mode="HTTP_DOWNLOAD")
    assert status == 531
    status, _ = owner.call("extractVolume", id=root["id"], mode="HTTP_DOWNLOAD")
    assert status == 431
