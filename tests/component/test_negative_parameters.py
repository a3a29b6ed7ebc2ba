"""Negative parameter tests: missing, malformed, unknown, too long, wrong type, with the server's exact answers.

Everything is sent with ``validate=False`` (or as a raw signed request) so
that the client's own checks do not stop the request before the server sees
it: the point is what a management server answers. Codes and texts are those
of ../shared/cloudstack/API-FACTS.md ("Errors").
"""
from __future__ import annotations

import uuid

import pytest
import requests

from marvin2 import wire
from marvin2.client import CloudStackError

from .helpers import expect_error, refused_api_text

pytestmark = [pytest.mark.tags("component", "negative")]

MISSING = "Unable to execute API command {cmd} due to missing parameter {param}"
BAD_NUMBER = "Unable to execute API command {cmd} due to invalid value {value} for parameter {param}"
UNKNOWN_UUID = ("Unable to execute API command {cmd} due to invalid value. Invalid parameter {param} value={value} "
                "due to incorrect long value format, or entity does not exist or due to incorrect parameter "
                "annotation for the field in api cmd class.")


def send(api, command, **params):
    """Send exactly these parameters (no client-side checks); async APIs are not waited for."""
    return api.call(command, params, validate=False, wait=False)


# --- missing parameters -------------------------------------------------------------------------


@pytest.mark.tags("quick-test", "deploy-vm")
@pytest.mark.parametrize("missing", ["zoneid", "serviceofferingid", "templateid"])
def test_deploy_without_a_required_parameter(user_api, zone, service_offering, template, shared_network, missing):
    params = {"zoneid": zone.id, "serviceofferingid": service_offering.id, "templateid": template.id,
              "networkids": shared_network.id}
    del params[missing]
    error = expect_error(431, send, user_api, "deployVirtualMachine", **params)
    assert error.errortext == MISSING.format(cmd="deployvirtualmachine", param=missing)
    # Validation happens before a job is queued: the refusal is the HTTP answer itself, not a failed job.
    assert error.http_status == 431


@pytest.mark.tags("networks")
def test_create_network_without_a_name_and_offering(user_api, zone):
    error = expect_error(431, send, user_api, "createNetwork", zoneid=zone.id, displaytext="x")
    assert error.errortext.startswith("Unable to execute API command createnetwork due to missing parameter ")
    assert error.errortext.rsplit(" ", 1)[-1] in ("name", "networkofferingid")


# --- unknown and malformed uuids ----------------------------------------------------------------------


@pytest.mark.tags("quick-test", "deploy-vm")
def test_unknown_vm_uuid(user_api):
    unknown = str(uuid.uuid4())
    error = expect_error(431, send, user_api, "stopVirtualMachine", id=unknown)
    assert error.errortext == UNKNOWN_UUID.format(cmd="stopvirtualmachine", param="id", value=unknown)
    assert error.cserrorcode in (4350, 9999)


@pytest.mark.tags("deploy-vm")
def test_malformed_uuid_is_the_same_invalid_value(user_api):
    error = expect_error(431, send, user_api, "startVirtualMachine", id="not-a-uuid")
    assert error.errortext == UNKNOWN_UUID.format(cmd="startvirtualmachine", param="id", value="not-a-uuid")


@pytest.mark.tags("deploy-vm")
def test_unknown_template_in_a_deploy(user_api, zone, service_offering, shared_network):
    unknown = str(uuid.uuid4())
    error = expect_error(431, send, user_api, "deployVirtualMachine", zoneid=zone.id,
                         serviceofferingid=service_offering.id, templateid=unknown, networkids=shared_network.id)
    assert error.errortext == UNKNOWN_UUID.format(cmd="deployvirtualmachine", param="templateid", value=unknown)


@pytest.mark.tags("storage", "volumes")
def test_unknown_disk_offering(user_api, zone):
    unknown = str(uuid.uuid4())
    error = expect_error(431, send, user_api, "createVolume", name="m2-neg-vol", zoneid=zone.id,
                         diskofferingid=unknown)
    assert error.errortext == UNKNOWN_UUID.format(cmd="createvolume", param="diskofferingid", value=unknown)


# --- wrong types ------------------------------------------------------------------------------------


@pytest.mark.tags("quick-test", "pagination")
@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999"])
def test_non_integer_page(user_api, value):
    error = expect_error(431, send, user_api, "listVirtualMachines", page=value, pagesize="10")
    assert error.errortext == BAD_NUMBER.format(cmd="listvirtualmachines", value=value, param="page")


@pytest.mark.tags("storage", "volumes")
def test_non_numeric_size(user_api, zone, cloud):
    custom = [o for o in cloud.listDiskOfferings() or [] if o.get("iscustomized")]
    if not custom:
        pytest.skip("the cloud has no customized disk offering")
    error = expect_error(431, send, user_api, "createVolume", name="m2-neg-size", zoneid=zone.id,
                         diskofferingid=custom[0].id, size="ten")
    assert error.errortext == BAD_NUMBER.format(cmd="createvolume", value="ten", param="size")


@pytest.mark.tags("deploy-vm")
def test_anything_but_true_is_false_for_booleans(user_api, shared_vm):
    # Booleans are parsed like Java's Boolean.valueOf: no error, just false.
    # listall=maybe therefore behaves as listall=false.
    plain = user_api.call("listVirtualMachines", {"id": shared_vm.id}, validate=False)
    odd = user_api.call("listVirtualMachines", {"id": shared_vm.id, "listall": "maybe"}, validate=False)
    assert [vm.id for vm in odd] == [vm.id for vm in plain] == [shared_vm.id]


@pytest.mark.tags("events")
def test_malformed_date(user_api):
    error = expect_error(431, send, user_api, "listEvents", startdate="31/12/2026")
    assert "startdate" in error.errortext or "31/12/2026" in error.errortext


# --- too long -----------------------------------------------------------------------------------------


@pytest.mark.tags("networks")
def test_name_longer_than_255_characters(user_api, zone, network_offering):
    error = expect_error(431, send, user_api, "createNetwork", zoneid=zone.id, networkofferingid=network_offering.id,
                         name="n" * 256, displaytext="too long")
    assert "max allowed length 255" in error.errortext


@pytest.mark.tags("networks")
def test_255_characters_is_still_accepted_as_a_parameter(user_api, shared_network):
    # The limit is on the parameter's length: 255 itself passes validation (a
    # keyword that long simply matches nothing).
    assert user_api.call("listNetworks", {"keyword": "k" * 255}, validate=False) == []


# --- pagination ---------------------------------------------------------------------------------------


@pytest.mark.tags("pagination")
def test_pagesize_without_page(user_api):
    error = expect_error(431, send, user_api, "listVirtualMachines", pagesize="10")
    assert error.errortext == '"page" parameter is required when "pagesize" is specified'


@pytest.mark.tags("pagination")
def test_pagesize_above_the_maximum(user_api):
    error = expect_error(431, send, user_api, "listVirtualMachines", page="1", pagesize="501")
    assert error.errortext == "Page size can't exceed max allowed page size value: 500"


# --- names, unknown parameters and commands ---------------------------------------------------------------


@pytest.mark.tags("networks")
def test_unknown_parameters_are_ignored(user_api, shared_network):
    found = user_api.call("listNetworks", {"id": shared_network.id, "nosuchparameter": "x"}, validate=False)
    assert [n.id for n in found] == [shared_network.id]


@pytest.mark.tags("networks")
def test_parameter_names_are_case_insensitive(user_api, shared_network):
    found = user_api.call("listNetworks", {"ID": shared_network.id}, validate=False)
    assert [n.id for n in found] == [shared_network.id]


@pytest.mark.tags("roles", "infrastructure")
def test_admin_api_as_a_user(user_api_full_spec, test_account):
    error = expect_error(432, user_api_full_spec.createZone, name="m2-never", dns1="8.8.8.8",
                         internaldns1="8.8.8.8", networktype="Advanced")
    assert refused_api_text("createZone", test_account.name).fullmatch(error.errortext), error.errortext


def signed_get(endpoint: str, api_key: str, secret_key: str, **params: str) -> requests.Response:
    """A raw signed GET (the client would refuse an unknown command before sending it)."""
    query = {"apiKey": api_key, "response": "json", **params}
    query["signature"] = wire.sign(query, secret_key)
    return requests.get(endpoint, params=query, timeout=30)


@pytest.mark.tags("api-keys")
def test_unknown_command_with_api_keys_is_a_401(user_api, test_account):
    answer = signed_get(user_api.endpoint, test_account.api_key, test_account.secret_key,
                        command="listVirtualMachinez")
    assert answer.status_code == 401
    body = answer.json()
    assert body == {"errorresponse": {"uuidList": [], "errorcode": 401,
                                      "errortext": "unable to verify user credentials and/or request signature"}}


@pytest.mark.tags("api-keys")
def test_command_names_are_case_sensitive(user_api, test_account):
    answer = signed_get(user_api.endpoint, test_account.api_key, test_account.secret_key,
                        command="listvirtualmachines")
    assert answer.status_code == 401


@pytest.mark.tags("api-keys")
def test_a_bad_signature_is_a_401(user_api, test_account):
    query = {"apiKey": test_account.api_key, "response": "json", "command": "listZones"}
    query["signature"] = wire.sign(query, test_account.secret_key + "x")
    answer = requests.get(user_api.endpoint, params=query, timeout=30)
    assert answer.status_code == 401
    inner = answer.json()["listzonesresponse"]
    assert (inner["errorcode"], inner["errortext"]) == (
        401, "unable to verify user credentials and/or request signature")
    assert "cserrorcode" not in inner


@pytest.mark.tags("deploy-vm")
def test_a_refused_call_changes_nothing(user_api, zone, service_offering, template, shared_network):
    before = {vm.id for vm in user_api.listVirtualMachines() or []}
    with pytest.raises(CloudStackError):
        send(user_api, "deployVirtualMachine", zoneid=zone.id, serviceofferingid=service_offering.id,
             templateid=str(uuid.uuid4()), networkids=shared_network.id)
    assert {vm.id for vm in user_api.listVirtualMachines() or []} == before
