"""The API object: dynamic methods, checks before sending, encoding, envelopes, pages, records."""
from __future__ import annotations

import datetime as dt
import pickle
import uuid

import pytest

import marvin2
import marvin2.client as client
from marvin2.client import ParameterError, Record, UnknownApiError
from marvin2.client.api import unwrap_result

from fakemgmt import FakeCloud


@pytest.fixture
def api(fake, connect_fake):
    return connect_fake()


def last(fake: FakeCloud):
    return fake.calls[-1]


# --- names -----------------------------------------------------------------------------


def test_camel_and_snake_names_call_the_same_api(fake, api):
    assert api.listZones() == api.list_zones()
    assert fake.commands()[-2:] == ["listZones", "listZones"]
    assert api.call("list_zones") == api.call("listZones", {})


def test_dir_lists_every_api_of_the_server(api):
    names = dir(api)
    assert "listZones" in names and "list_zones" in names and "deploy_virtual_machine" in names
    assert "call" in names and "list_all" in names


def test_every_api_of_the_418_capture_is_reachable(fake, spec_418):
    api = client.connect(fake.url, api_key="KEY", secret_key="SECRET", spec=spec_418)
    names = set(dir(api))
    assert set(spec_418.names) <= names and set(spec_418.snake_names()) <= names
    for name in spec_418.names:
        assert getattr(api, name).spec.name == name
    # The capture has no descriptions (tests/data is facts only): the docstring still lists the parameters.
    doc = api.listZones.__doc__
    assert "Parameters:" in doc and "id (uuid, optional)" in doc and "networktype" in doc
    api.close()


def test_unknown_api_suggests_close_names_and_sends_nothing(fake, api):
    before = len(fake.calls)
    with pytest.raises(UnknownApiError) as caught:
        api.listZone()
    assert "listZones" in caught.value.suggestions and "did you mean listZones" in str(caught.value)
    with pytest.raises(UnknownApiError, match="deployVirtualMachine"):
        api.call("deployvirtualmachine")  # command names are case-sensitive
    assert len(fake.calls) == before


def test_unknown_api_error_is_a_value_error_and_hasattr_is_false(api):
    assert isinstance(UnknownApiError("x"), ValueError)
    with pytest.raises(UnknownApiError, match="unknown API 'notAnApi'"):
        api.notAnApi  # noqa: B018
    assert not hasattr(api, "notAnApi")
    assert hasattr(api, "listZones")


def test_unknown_parameter_suggests_and_sends_nothing(fake, api):
    before = len(fake.calls)
    with pytest.raises(ParameterError) as caught:
        api.listZones(nmae="x")
    assert caught.value.suggestions == ("name",)
    assert caught.value.parameter == "nmae" and "listZones" in str(caught.value)
    assert len(fake.calls) == before


def test_missing_required_parameters_fail_before_any_request(fake, api):
    before = len(fake.calls)
    with pytest.raises(ParameterError, match="missing required parameters serviceofferingid, templateid"):
        api.deployVirtualMachine(zoneid="z")
    with pytest.raises(ParameterError, match="missing required parameter zoneid"):
        api.deployVirtualMachine(zoneid=None, serviceofferingid="s", templateid="t")
    assert len(fake.calls) == before


def test_parameter_names_match_case_insensitively_and_go_out_as_spelled(fake, api):
    api.listVirtualMachines(ZONEID="z1", ListAll=True)
    params = last(fake).params
    assert params["zoneId"] == "z1" and params["listall"] == "true"
    assert "ZONEID" not in params and "ListAll" not in params
    with pytest.raises(ParameterError, match="given twice"):
        api.listVirtualMachines(zoneid="a", zoneId="b")


def test_validate_false_sends_what_the_caller_says(fake, api):
    fake.on("deployVirtualMachine", {"jobid": fake.add_job({"virtualmachine": {"id": "v"}})})
    api.call("deployVirtualMachine", {"zoneid": "z", "bogus": 1}, validate=False)
    sent = next(c.params for c in fake.calls if c.command == "deployVirtualMachine")
    assert sent["bogus"] == "1" and sent["zoneid"] == "z" and "templateid" not in sent


def test_positional_arguments_are_refused(api):
    with pytest.raises(TypeError, match="by name"):
        api.listZones("zone0")


# --- type coercion -------------------------------------------------------------------------


def test_types_are_coerced_for_the_wire(fake, api):
    fake.on("typesProbe", {"success": True})
    moment = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
    api.typesProbe(
        flag=False, count32=7, count64=2**40, count16=-3, ratio=0.5, ratio2=2, day=dt.date(2030, 1, 2),
        moment=moment, ref=ref, names=["a", "b", 3], blob="x",
    )
    p = last(fake).params
    assert p["flag"] == "false" and p["count32"] == "7" and p["count64"] == str(2**40) and p["count16"] == "-3"
    assert p["ratio"] == "0.5" and p["ratio2"] == "2"
    assert p["day"] == "2030-01-02" and p["moment"] == "2030-01-02T03:04:05+0000"
    assert p["ref"] == str(ref) and p["names"] == "a,b,3" and p["blob"] == "x"


def test_strings_go_out_verbatim_for_any_type(fake, api):
    fake.on("typesProbe", {"success": True})
    api.typesProbe(flag="TRUE", count32="not-a-number", ref="NOT-A-UUID", day="2030-01-02 10:00:00")
    p = last(fake).params
    assert (p["flag"], p["count32"], p["ref"], p["day"]) == ("TRUE", "not-a-number", "NOT-A-UUID", "2030-01-02 10:00:00")


def test_sets_are_sorted_for_a_stable_signature(fake, api):
    fake.on("typesProbe", {"success": True})
    api.typesProbe(names={"c", "a", "b"})
    assert last(fake).params["names"] == "a,b,c"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"flag": 1}, "flag \\(boolean\\) expects a bool"),
        ({"count32": True}, "count32 \\(integer\\) expects an int"),
        ({"count32": 1.5}, "expects an int"),
        ({"count32": 2**31}, "out of range"),
        ({"count16": 40000}, "out of range"),
        ({"ratio": "x" and [1]}, "expects a number"),
        ({"names": []}, "is empty; pass None"),
        ({"names": ["a,b"]}, "contains a comma"),
        ({"names": [{"a": 1}]}, "list items"),
        ({"day": 5}, "expects a datetime.date"),
        ({"moment": dt.date(2030, 1, 1)}, "expects a datetime.datetime"),
        ({"ref": 1.5}, "expects a UUID"),
        ({"blob": {"a": 1}}, "expects a str"),
    ],
)
def test_unusable_values_are_rejected_before_sending(fake, api, params, message):
    before = len(fake.calls)
    with pytest.raises(ParameterError, match=message):
        api.typesProbe(**params)
    assert len(fake.calls) == before


def test_maps_in_both_conventions(fake, api):
    fake.on("createTags", {"jobid": fake.add_job()})
    api.createTags(resourceids=["r1", "r2"], resourcetype="UserVm", tags={"env": "ci", "team": "qa"})
    p = next(c.params for c in fake.calls if c.command == "createTags")
    assert p["resourceids"] == "r1,r2"
    assert (p["tags[0].key"], p["tags[0].value"], p["tags[1].key"], p["tags[1].value"]) == ("env", "ci", "team", "qa")
    jobid = fake.add_job({"virtualmachine": {"id": "v"}})
    fake.on("deployVirtualMachine", {"jobid": jobid})
    api.deployVirtualMachine(
        zoneid="z", serviceofferingid="s", templateid="t",
        details={"cpuNumber": 2, "memory": 1024},
        iptonetworklist=[{"ip": "10.0.0.5", "networkid": "n1"}, {"ip": "10.0.1.5", "networkid": "n2"}],
    )
    p = next(c.params for c in fake.calls if c.command == "deployVirtualMachine")
    assert p["details[0].cpuNumber"] == "2" and p["details[0].memory"] == "1024"
    assert p["iptonetworklist[1].ip"] == "10.0.1.5" and p["iptonetworklist[1].networkid"] == "n2"


def test_map_values_already_in_wire_form_are_accepted(fake, api):
    api.listZones(**{"tags[0].key": "env", "tags[0].value": "ci"})
    p = last(fake).params
    assert (p["tags[0].key"], p["tags[0].value"]) == ("env", "ci")
    with pytest.raises(ParameterError):
        api.listZones(**{"nosuch[0].key": "x"})


def test_bad_map_values(api):
    with pytest.raises(ParameterError, match="dict"):
        api.listZones(tags="env=ci")
    with pytest.raises(ParameterError, match="non-empty"):
        api.listZones(tags={})


# --- envelopes and records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, inner, expected",
    [
        ("listZones", {"count": 2, "zone": [{"id": 1}, {"id": 2}]}, [{"id": 1}, {"id": 2}]),
        ("listZones", {}, []),
        ("listZones", {"count": 3}, []),  # a page past the end
        ("listAsyncJobs", {"count": 1, "asyncjobs": [{"jobid": "j"}]}, [{"jobid": "j"}]),
        ("createNetwork", {"network": {"id": "n"}}, {"id": "n"}),
        ("deleteVolume", {"success": True}, {"success": True}),
        ("getVMPassword", {"password": {"encryptedpassword": "x"}}, {"encryptedpassword": "x"}),
    ],
)
def test_envelopes_are_unwrapped(fake, api, command, inner, expected):
    params = {"listZones": {}, "listAsyncJobs": {}, "createNetwork": {"name": "n", "zoneid": "z"}, "deleteVolume": {"id": "v"}, "getVMPassword": {"id": "v"}}[command]
    fake.on(command, inner)
    result = api.call(command, params)
    assert result == expected
    assert isinstance(result, list) or isinstance(result, Record)


def test_unwrap_rules_without_a_spec():
    assert unwrap_result(None, {"count": 1, "template": [{"id": "t"}]}) == [{"id": "t"}]
    assert unwrap_result(None, {"jobid": "j", "id": "v"}) == {"jobid": "j", "id": "v"}
    assert unwrap_result(None, "text") == "text"


def test_results_are_records_at_every_depth(fake, api):
    fake.on("listVirtualMachines", {"count": 1, "virtualmachine": [{"id": "v", "nic": [{"ipaddress": "10.1.1.2"}], "details": {"a": "b"}}]})
    [vm] = api.listVirtualMachines()
    assert isinstance(vm, Record) and vm.id == vm["id"] == "v"
    assert vm.nic[0].ipaddress == "10.1.1.2" and vm.details.a == "b"
    with pytest.raises(AttributeError, match="no field 'name'"):
        vm.name  # noqa: B018
    vm.name = "set"
    assert vm["name"] == "set"


def test_record_repr_masks_secrets_and_pickles():
    user = Record(id="u", secretkey="TOPSECRETKEY", apikey="APIKEY-OF-U", nested=Record(password="pw123456"))
    text = repr(user) + str(user)
    # API keys are credentials too (any account's: issue 11); the record itself keeps them
    assert "TOPSECRETKEY" not in text and "pw123456" not in text and "APIKEY-OF-U" not in text and "'u'" in text
    assert user.apikey == "APIKEY-OF-U"
    copy = pickle.loads(pickle.dumps(user))
    assert copy == user and isinstance(copy, Record) and copy.nested.password == "pw123456"
    assert isinstance(user.copy(), Record)


# --- pagination ---------------------------------------------------------------------------------


def test_list_all_walks_more_than_500_items(fake, api):
    fake.zones = [{"id": str(i), "name": f"z{i}"} for i in range(1234)]
    zones = api.list_all("listZones")
    assert [z.id for z in zones] == [str(i) for i in range(1234)]
    pages = [c.params for c in fake.calls if c.command == "listZones"]
    assert [(p["page"], p["pagesize"]) for p in pages] == [("1", "500"), ("2", "500"), ("3", "500")]


def test_iter_all_fetches_pages_lazily_and_honours_filters(fake, api):
    fake.zones = [{"id": str(i)} for i in range(30)]
    iterator = api.iter_all("list_zones", pagesize=10, name="x")
    first = next(iterator)
    assert first.id == "0" and fake.count("listZones") == 1
    assert len(list(iterator)) == 29 and fake.count("listZones") == 3
    assert fake.calls[-1].params["name"] == "x"


def test_list_all_of_an_empty_list_and_bad_arguments(fake, api):
    fake.zones = []
    assert api.list_all("listZones") == []
    with pytest.raises(ParameterError, match="1 to 500"):
        api.list_all("listZones", pagesize=501)
    with pytest.raises(ParameterError, match="page"):
        api.list_all("listZones", page=2)
    with pytest.raises(ParameterError, match="list APIs only"):
        api.list_all("createNetwork")


def test_list_all_stops_when_a_page_comes_back_short(fake, api):
    # count claims more than there is (items deleted meanwhile): no endless loop.
    fake.on("listZones", lambda r: {"count": 900, "zone": [{"id": "only"}]} if r.params["page"] == "1" else {"count": 900})
    assert [z.id for z in api.list_all("listZones")] == ["only"]


# --- marvin2 package surface --------------------------------------------------------------------


def test_marvin2_connect_and_reexports(fake):
    api = marvin2.connect(fake.url, api_key="KEY", secret_key="SECRET")
    assert isinstance(api, marvin2.API) and marvin2.Record is Record
    assert marvin2.CloudStackError is client.CloudStackError
    assert api.version == "4.18.0.0" and api.spec is not None
    api.close()
    with pytest.raises(marvin2.MarvinError, match="closed"):
        api.listZones()


def test_bad_connect_arguments_are_clear(fake):
    with pytest.raises(ValueError, match="secret_key is missing"):
        marvin2.connect(fake.url, api_key="KEY")
    with pytest.raises(ValueError, match="password is missing"):
        marvin2.connect(fake.url, username="admin")
    with pytest.raises(ValueError, match="http:// or https://"):
        marvin2.connect("127.0.0.1:8080", api_key="KEY", secret_key="SECRET")
    with pytest.raises(ValueError, match="endpoint"):
        marvin2.connect()
    with pytest.raises(ValueError, match="timeout"):
        marvin2.connect(fake.url, api_key="KEY", secret_key="SECRET", timeout="soon")
