"""The listApis model against both real captures and odd inputs."""
from __future__ import annotations

import dataclasses
import json
import random

import pytest

from marvin2.client import Spec, SpecError
from marvin2.client.spec import is_read_only, snake_case

from conftest import CAPTURE_415, CAPTURE_418, read_capture


def _raw(path):
    return read_capture(path)


@pytest.mark.parametrize("path, count", [(CAPTURE_418, 705), (CAPTURE_415, 654)])
def test_every_api_of_both_captures_parses(path, count):
    raw = _raw(path)
    spec = Spec.from_document(raw)
    assert len(spec) == count == raw["count"]
    types = set()
    for api in spec:
        names = [p.name.lower() for p in api.params]
        assert len(names) == len(set(names)), f"{api.name} still has duplicated parameters"
        assert all(f.name for f in api.response), f"{api.name} kept an empty response entry"
        types.update(p.type for p in api.params)
    assert {"string", "uuid", "integer", "long", "short", "boolean", "date", "list", "map", "object"} <= types


def test_version_comes_from_the_capture_file_name(spec_418, spec_415):
    assert spec_418.version == "4.18.0.0"
    assert spec_415.version == "4.15.1.0"


def test_duplicated_parameters_are_merged(spec_418, spec_415):
    upload = spec_418["getUploadParamsForIso"]
    assert [p.name for p in upload.params].count("zoneid") == 1
    assert [p.name for p in upload.params].count("name") == 1
    assert {"zoneid", "name"} <= set(upload.required)
    vms = spec_415["listVirtualMachines"]
    assert [p.name for p in vms.params].count("hostid") == 1
    role = spec_418["updateRole"]
    assert [p.name for p in role.params].count("description") == 1


def test_required_flag_wins_when_one_copy_is_required():
    spec = Spec(
        [{"name": "doIt", "params": [{"name": "x", "type": "string", "required": False}, {"name": "x", "type": "string", "required": True}]}]
    )
    assert spec["doIt"].required == ("x",)


def test_empty_response_entries_and_nested_fields(spec_418):
    deploy = spec_418["deployVirtualMachine"]
    assert deploy.isasync
    fields = {f.name: f for f in deploy.response}
    assert "id" in fields and "nic" in fields
    assert fields["nic"].fields, "nested response fields (nic) are kept"
    assert all(f.name for f in fields["nic"].fields)


def test_order_does_not_matter():
    raw = _raw(CAPTURE_418)["api"][:60]
    shuffled = json.loads(json.dumps(raw))
    rng = random.Random(7)
    rng.shuffle(shuffled)
    for entry in shuffled:
        rng.shuffle(entry["params"])
        rng.shuffle(entry["response"])
    first, second = Spec(raw), Spec(shuffled)
    assert first.names == second.names
    for name in first.names:
        assert first[name] == second[name]


def test_float_and_double_types_are_kept():
    spec = Spec([{"name": "setRatio", "params": [{"name": "r", "type": "FLOAT"}, {"name": "d", "type": "double"}]}])
    assert {p.name: p.type for p in spec["setRatio"].params} == {"r": "float", "d": "double"}


def test_spec_is_immutable(spec_418):
    with pytest.raises(AttributeError):
        spec_418.version = "1"
    api = spec_418["listZones"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        api.name = "other"
    with pytest.raises(TypeError):
        api.param_index["x"] = None  # read-only mapping


def test_accepts_the_three_document_shapes():
    inner = {"count": 1, "api": [{"name": "listZones", "params": []}]}
    assert Spec.from_document(inner).names == ("listZones",)
    assert Spec.from_document({"listapisresponse": inner}).names == ("listZones",)
    cached = Spec.from_document(inner, version="4.18.0.0", endpoint="http://x/client/api").to_document()
    again = Spec.from_document(json.loads(json.dumps(cached)))
    assert (again.names, again.version, again.endpoint) == (("listZones",), "4.18.0.0", "http://x/client/api")


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "expected a JSON object"),
        ({"listapisresponse": {}}, "empty"),
        ({"listapisresponse": {"errorcode": 401, "errortext": "nope"}}, "server answered an error"),
        ({"api": "x"}, "expected an 'api' list"),
        ({"api": [{"params": []}]}, "entry #0 has no API name"),
        ({"api": ["listZones"]}, "entry #0 is a str"),
        ({"api": []}, "lists no API"),
    ],
)
def test_bad_documents_say_what_is_wrong(document, message):
    with pytest.raises(SpecError, match=message):
        Spec.from_document(document)


def test_bad_parameter_entry_names_the_api():
    spec = Spec([{"name": "brokenApi", "params": [{"type": "string"}]}])
    with pytest.raises(SpecError, match="brokenApi.*parameter #0 has no name"):
        spec["brokenApi"]


def test_from_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "listApis-9.9.9.9.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match=str(bad)):
        Spec.from_file(bad)
    with pytest.raises(SpecError, match="cannot read"):
        Spec.from_file(tmp_path / "missing.json")


def test_snake_case_aliases_resolve(spec_418):
    assert snake_case("listVPCOfferings") == "list_vpc_offerings"
    assert snake_case("createVMSnapshot") == "create_vm_snapshot"
    assert spec_418.resolve("list_zones").name == "listZones"
    assert spec_418.resolve("deploy_virtual_machine").name == "deployVirtualMachine"
    assert spec_418.resolve("listzones") is None  # command names are case-sensitive
    aliases = spec_418.snake_names()
    assert len(aliases) == len(set(aliases)) == len(spec_418), "snake_case aliases must not collide"


def test_suggestions_and_search(spec_418):
    assert spec_418.suggest("listzones")[0] == "listZones"
    assert "listVirtualMachines" in spec_418.suggest("listVirtualMachine")
    assert "deployVirtualMachine" in spec_418.suggest("deploy_virtual_machin")
    found = [a.name for a in spec_418.search("snapshot")]
    assert "createSnapshot" in found and "listVMSnapshot" in found
    assert found == sorted(found)


def test_read_only_classification():
    assert is_read_only("listZones") and is_read_only("getVMPassword") and is_read_only("queryAsyncJobResult")
    assert not is_read_only("deployVirtualMachine")
    assert not is_read_only("listener")  # the prefix must be followed by a capital
    assert not is_read_only("getaway")
    assert not is_read_only("createListing")
