"""codegen: typed stubs/modules from a spec, deterministic, usable; the apis and codegen commands."""
from __future__ import annotations

import ast
import importlib.util
import inspect
import random

import pytest

from marvin2.cli import main
from marvin2.client import Record, Spec
from marvin2.client.codegen import generate

from conftest import CAPTURE_418, read_capture


@pytest.fixture(scope="module")
def stub_418(spec_418) -> str:
    return generate(spec_418, "pyi")


@pytest.fixture(scope="module")
def module_418(spec_418) -> str:
    return generate(spec_418, "module")


def _class_methods(text: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(text)
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_stub_declares_every_api_with_its_parameters(spec_418, stub_418):
    methods = _class_methods(stub_418)
    assert set(methods) == set(spec_418.names)
    deploy = methods["deployVirtualMachine"]
    kwonly = [a.arg for a in deploy.args.kwonlyargs]
    assert kwonly[:3] == ["serviceofferingid", "templateid", "zoneid"], "required parameters first"
    assert {"userdata", "networkids", "details", "wait", "job_timeout"} <= set(kwonly)
    defaults = dict(zip(kwonly, deploy.args.kw_defaults))
    assert defaults["zoneid"] is None, "required parameters have no default"
    assert isinstance(defaults["name"], ast.Constant) and defaults["name"].value is None
    assert ast.unparse(deploy.returns) == "Record"
    assert ast.unparse(methods["listZones"].returns) == "list[Record]"
    doc = ast.get_docstring(deploy)
    assert doc.startswith("deployVirtualMachine")  # the capture's descriptions are removed (tests/data)
    assert "zoneid (uuid, required)" in doc and "Async: waits for the job" in doc
    assert "list_zones = listZones" in stub_418


def test_parameter_annotations_follow_the_types(stub_418):
    listvms = _class_methods(stub_418)["listVirtualMachines"]
    annotations = {a.arg: ast.unparse(a.annotation) for a in listvms.args.kwonlyargs}
    assert annotations["listall"] == "bool | str | None"
    assert annotations["zoneid"] == "str | UUID | None"
    assert annotations["ids"] == "Sequence[str | int | UUID] | str | None"
    assert annotations["tags"] == "Mapping[str, Any] | Sequence[Mapping[str, Any]] | None"
    assert annotations["page"] == "int | str | None"


def test_output_is_deterministic(stub_418, module_418):
    raw = read_capture(CAPTURE_418)
    rng = random.Random(3)
    rng.shuffle(raw["api"])
    for entry in raw["api"]:
        rng.shuffle(entry["params"])
        rng.shuffle(entry["response"])
    shuffled = Spec.from_document(raw, version="4.18.0.0")
    assert generate(shuffled, "pyi") == stub_418
    assert generate(shuffled, "module") == module_418


def test_both_captures_generate_code_that_compiles(spec_415, module_418):
    compile(module_418, "cloudstack_api.py", "exec")
    compile(generate(spec_415, "module"), "cloudstack_api_415.py", "exec")
    assert "CloudStack 4.15.1.0" in generate(spec_415, "pyi")


def test_docstrings_survive_quotes_and_backslashes():
    spec = Spec([{"name": "oddApi", "description": 'say """hi""" with C:\\path\\new', "params": [{"name": "p", "type": "string", "description": "a \\d+ regex"}]}])
    text = generate(spec, "module")
    namespace: dict = {}
    exec(compile(text, "odd.py", "exec"), namespace)
    doc = namespace["CloudStackAPI"].oddApi.__doc__
    assert 'say """hi""" with C:\\path\\new' in doc and "a \\d+ regex" in doc


def test_bad_format_and_class_name(spec_418):
    with pytest.raises(ValueError, match="format"):
        generate(spec_418, "json")
    with pytest.raises(ValueError, match="identifier"):
        generate(spec_418, "pyi", class_name="not valid")


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_module_works_against_a_server(fake, tmp_path):
    spec = Spec.from_document({"api": fake.apis}, version="4.18.0.0")
    path = tmp_path / "fake_cloud_api.py"
    path.write_text(generate(spec, "module"))
    module = _import(path, "fake_cloud_api")
    signature = inspect.signature(module.CloudStackAPI.listZones)
    assert "name" in signature.parameters and signature.parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
    api = module.connect(fake.url, api_key="KEY", secret_key="SECRET")
    try:
        assert isinstance(api, module.CloudStackAPI)
        zones = api.list_zones(name="zone0")
        assert isinstance(zones, list) and isinstance(zones[0], Record)
        assert fake.calls[-1].params["name"] == "zone0" and "available" not in fake.calls[-1].params
        jobid = fake.add_job({"virtualmachine": {"id": "v"}})
        fake.on("deployVirtualMachine", {"jobid": jobid})
        assert api.deployVirtualMachine(zoneid="z", serviceofferingid="s", templateid="t").id == "v"
        assert api.deployVirtualMachine(zoneid="z", serviceofferingid="s", templateid="t", wait=False).jobid == jobid
    finally:
        api.close()


# --- commands ------------------------------------------------------------------------------


def test_codegen_command_writes_stub_and_module(tmp_path, stub_418):
    stub = tmp_path / "typings" / "cloudstack_api.pyi"
    assert main(["codegen", "--spec", str(CAPTURE_418), "--out", str(stub)]) == 0
    assert stub.read_text() == stub_418
    module = tmp_path / "cloudstack_api.py"
    assert main(["codegen", "--spec", str(CAPTURE_418), "--out", str(module)]) == 0
    assert "return self.call(" in module.read_text()
    forced = tmp_path / "forced.txt"
    assert main(["codegen", "--spec", str(CAPTURE_418), "--out", str(forced), "--format", "pyi", "--class-name", "Api418"]) == 0
    assert "class Api418(API):" in forced.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_codegen_from_a_server(fake, tmp_path, capsys):
    out = tmp_path / "live.pyi"
    assert main(["codegen", "--endpoint", fake.url, "--api-key", "KEY", "--secret-key", "SECRET", "--out", str(out)]) == 0
    assert "def listZones(" in out.read_text() and "SPEC_VERSION: str = '4.18.0.0'" in out.read_text()


def test_apis_show_and_search_offline(capsys):
    assert main(["apis", "show", "list_zones", "--spec", str(CAPTURE_418)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("listZones") and "Response fields:" in out and "capacitytotal" in out
    assert main(["apis", "show", "listZone", "--spec", str(CAPTURE_418)]) == 1
    assert "did you mean listZones" in capsys.readouterr().err
    assert main(["apis", "search", "vmsnapshot", "--spec", str(CAPTURE_418)]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines if line and not line.startswith("mentioned")]
    assert {"createVMSnapshot", "deleteVMSnapshot", "listVMSnapshot", "revertToVMSnapshot"} <= set(names)
    assert main(["apis", "search", "nothing-like-this", "--spec", str(CAPTURE_418)]) == 1


def test_apis_sync_refreshes_the_cache(fake, private_cache, capsys, monkeypatch):
    monkeypatch.setenv("MARVIN2_SECRET_KEY", "SECRET")
    argv = ["apis", "sync", "--endpoint", fake.url, "--api-key", "KEY"]
    assert main(argv) == 0
    assert main(argv) == 0
    assert fake.count("listApis") == 2, "sync always fetches"
    out = capsys.readouterr().out
    assert f"{len(fake.apis)} APIs of CloudStack 4.18.0.0 from {fake.url}" in out
    [cached] = private_cache.glob("spec-*.json")
    assert str(cached) in out
    assert "SECRET" not in out
    assert main(["apis", "show", "listZones", "--endpoint", fake.url, "--api-key", "KEY"]) == 0
    assert fake.count("listApis") == 2, "show reads the cache"


def test_apis_without_a_source_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("MARVIN2_ENDPOINT", raising=False)
    with pytest.raises(SystemExit, match="no server given"):
        main(["apis", "show", "listZones"])
