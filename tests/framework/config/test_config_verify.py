"""verify-config: the comparison (pure) and the command against the embedded simulator."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from marvin2.cli import main
from marvin2.config import JOB_FAMILIES, parse_config
from marvin2.verify import DRIFT, OK, UNKNOWN, CloudFacts, compare, format_table, gather_facts, has_drift

REPO = Path(__file__).resolve().parents[3]
LISTAPIS = REPO / "tests" / "data" / "listApis-4.18.0.0.json.gz"  # facts only (tools/derive_test_captures.py)


def config(text: str):
    return parse_config("simulator: {}\n" + text, environ={})


def facts(**overrides) -> CloudFacts:
    zone = {"id": "z1", "name": "zone1", "networktype": "Advanced", "securitygroupsenabled": False, "localstorageenabled": True}
    base = dict(
        zones=[zone],
        zone=zone,
        hypervisors=["KVM"],
        capabilities={"cloudstackversion": "4.18.0.0", "supportELB": "false", "dynamicrolesenabled": True,
                      "kvmsnapshotenabled": False, "kubernetesserviceenabled": False},
        api_names=frozenset({"createVPC", "createProject", "listZones"}),
        routing_hosts=3,
    )
    base.update(overrides)
    return CloudFacts(**base)


def by_item(checks):
    return {c.item: c for c in checks}


def test_matching_config_has_no_drift():
    cfg = config("zone: zone1\nhypervisor: KVM\nzone_network_type: Advanced\n"
                 "capabilities: [vpc, projects, local_storage, live_migration, dynamic_roles, ssh_to_guests]\n")
    checks = compare(cfg, facts())
    assert not has_drift(checks), format_table(checks)
    rows = by_item(checks)
    assert rows["zone"].status == OK and rows["hypervisor"].status == OK
    assert rows["capability ssh_to_guests"].status == UNKNOWN  # claimed, cannot be discovered
    assert "capability eip" not in rows                          # not claimed, not discoverable: no row
    assert rows["cloudstack version"].observed == "4.18.0.0"


def test_drift_both_ways():
    cfg = config("zone: zone1\nhypervisor: XenServer\nzone_network_type: Basic\ncapabilities: [security_groups, elb]\n")
    rows = by_item(compare(cfg, facts()))
    assert rows["hypervisor"].status == DRIFT and rows["hypervisor"].observed == "KVM"
    assert rows["zone_network_type"].status == DRIFT
    assert rows["capability security_groups"].status == DRIFT and "would fail" in rows["capability security_groups"].note
    assert rows["capability elb"].status == DRIFT                 # supportELB "false" (a string)
    assert rows["capability vpc"].status == DRIFT and "skipped needlessly" in rows["capability vpc"].note
    assert rows["capability dynamic_roles"].status == DRIFT


def test_missing_zone_is_drift_and_zone_checks_unknown():
    cfg = config("zone: elsewhere\nzone_network_type: Advanced\ncapabilities: [vpc]\n")
    f = facts(zone=None, hypervisors=None, routing_hosts=None)
    rows = by_item(compare(cfg, f))
    assert rows["zone"].status == DRIFT and rows["zone"].observed == "zone1"
    assert rows["zone_network_type"].status == UNKNOWN
    assert rows["capability vpc"].status == UNKNOWN  # needs the zone type


def test_unanswered_questions_are_unknown_not_drift():
    cfg = config("zone: zone1\ncapabilities: [projects]\n")
    f = facts(api_names=None, capabilities=None, errors={"apis": "listApis: boom"})
    checks = compare(cfg, f)
    rows = by_item(checks)
    assert rows["capability projects"].status == UNKNOWN
    assert rows["cloudstack version"].status == UNKNOWN


def test_gather_facts_keeps_errors():
    class HalfCloud:
        def call(self, command, params):
            if command == "listZones":
                return [{"id": "z", "name": "only", "networktype": "Basic", "securitygroupsenabled": True}]
            if command == "listHypervisors":
                assert params == {"zoneid": "z"}
                return [{"name": "Simulator"}]
            if command == "listCapabilities":
                return {"capability": {"cloudstackversion": "4.15.1.0"}}
            raise RuntimeError(f"no {command}")

    f = gather_facts(HalfCloud(), None)
    assert f.zone["name"] == "only" and f.hypervisors == ["Simulator"]
    assert f.capabilities == {"cloudstackversion": "4.15.1.0"}
    assert f.api_names is None and "listApis: no listApis" in f.errors["apis"]
    assert f.routing_hosts is None


def test_table_layout():
    table = format_table(compare(config("zone: zone1\n"), facts()))
    lines = table.splitlines()
    assert lines[0].split() == ["CHECK", "CONFIG", "CLOUD", "RESULT", "NOTE"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert any(line.startswith("zone ") and line.split()[-1] == "ok" for line in lines)


# --- timeouts as the client sees them ------------------------------------------------------------


def test_client_timeouts_agree_with_job_timeout():
    from marvin2.client.jobs import JobTimeouts

    cfg = config("timeouts: {job: 100, deploy: 200, snapshot: 300, iso: 400, restart: 500, volume: 600, createVolume: 700}\n")
    client = JobTimeouts(cfg.client_timeouts())
    apis = [a for a in json.loads(gzip.decompress(LISTAPIS.read_bytes()))["api"] if a.get("isasync")]
    assert len(apis) > 100
    for api in apis:
        assert client.for_command(api["name"]) == cfg.job_timeout(api["name"]), api["name"]
    assert cfg.job_timeout("createVolume") == 700 and cfg.job_timeout("attachVolume") == 600
    assert set(JOB_FAMILIES) <= set(cfg.timeouts)


# --- the command against the embedded simulator -------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_verify_config_against_the_simulator_drift(tmp_path, capsys):
    path = write_config(tmp_path, "simulator: {profile: instant}\nzone: Sandbox-simulator\nhypervisor: KVM\n"
                                  "zone_network_type: Basic\ncapabilities: [simulator, security_groups]\n")
    code = main(["verify-config", "--config", str(path)])
    out = capsys.readouterr().out
    assert code == 1, out
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines() if "  " in line}
    assert lines["zone"].split()[-1] == "ok"
    assert "DRIFT" in lines["zone_network_type"] and "Advanced" in lines["zone_network_type"]
    assert "DRIFT" in lines["hypervisor"] and "Simulator" in lines["hypervisor"]
    assert lines["capability simulator"].split()[-1] == "ok"
    assert "DRIFT" in lines["capability security_groups"]
    assert "difference(s) between the config and the cloud" in out


def test_verify_config_basic_seed_matches(tmp_path, capsys):
    path = write_config(tmp_path, "simulator: {profile: instant, seed: basic}\nhypervisor: Simulator\n"
                                  "zone_network_type: Basic\ncapabilities: [simulator, security_groups]\n")
    main(["verify-config", "--config", str(path)])
    out = capsys.readouterr().out
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines() if "  " in line}
    assert lines["zone_network_type"].split()[-1] == "ok", out
    assert lines["capability security_groups"].split()[-1] == "ok", out
    assert lines["hypervisor"].split()[-1] == "ok", out


def test_verify_config_unreachable_cloud(tmp_path, capsys):
    path = write_config(tmp_path, "management_servers: [{url: 'http://127.0.0.1:9/client/api', api_key: a, secret_key: s}]\n"
                                  "timeouts: {connect: 1, read: 1}\n")
    assert main(["verify-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the cloud at http://127.0.0.1:9/client/api" in err and "connection refused" in err


def test_verify_config_invalid_config(tmp_path, capsys):
    path = write_config(tmp_path, "simulatr: {}\n")
    assert main(["verify-config", "--config", str(path)]) == 2
    assert "did you mean 'simulator'" in capsys.readouterr().err


def test_default_config_matches_the_default_simulator(capsys):
    # configs/simulator.yaml is the framework's default: its claims must be what the simulator offers.
    code = main(["verify-config", "--config", str(Path(__file__).resolve().parents[3] / "configs" / "simulator.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "the config matches the cloud" in out


def test_verify_config_checks_test_data_and_tells_a_401_from_a_dead_server(tmp_path, capsys):
    from marvin2.simulator import start_simulator

    sim = start_simulator(port=0, profile="instant")
    try:
        base = (f"management_servers: [{{url: '{sim.endpoint}', api_key: '{sim.admin_api_key}', secret_key: SECRET}}]\n"
                "zone: Sandbox-simulator\nhypervisor: Simulator\ncapabilities: [vpc, projects, dynamic_roles]\n")
        missing = write_config(tmp_path, base.replace("SECRET", sim.admin_secret_key)
                               + "test_data: {template: Ubuntu 99.04, service_offering: Small Instance}\n")
        assert main(["verify-config", "--config", str(missing)]) == 1
        out = capsys.readouterr().out
        template_row = next(line for line in out.splitlines() if "test_data template" in line)
        assert "Ubuntu 99.04" in template_row and "missing" in template_row and "DRIFT" in template_row
        offering_row = next(line for line in out.splitlines() if "test_data service_offering" in line)
        assert "ok" in offering_row
        assert "the config matches the cloud" not in out

        wrong_key = write_config(tmp_path, base.replace("SECRET", "not-the-secret"))
        assert main(["verify-config", "--config", str(wrong_key)]) == 2
        err = capsys.readouterr().err
        assert "answered, but: the server refused the credentials (401)" in err and f"'{sim.admin_api_key[:4]}...'" in err
        assert sim.admin_api_key not in err and "cannot reach" not in err
    finally:
        sim.stop()
