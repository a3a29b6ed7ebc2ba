"""`marvin2 config import`: legacy Marvin JSON -> marvin2 config + datacenter layout."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from marvin2.cli import main
from marvin2.config import ConfigError, load_config
from marvin2.datacenter import load_layout
from marvin2.legacy_config import convert, import_legacy, read_legacy

DATA = Path(__file__).resolve().parent / "data"


def run_import(capsys, *argv) -> tuple[int, str, str]:
    code = main(["config", "import", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


# --- reading ---------------------------------------------------------------------------


def test_comment_lines_are_skipped():
    data = read_legacy(DATA / "advanced-simulator.cfg")
    assert set(data) == {"zones", "dbSvr", "logger", "globalConfig", "mgtSvr", "TestData"}


def test_invalid_json_names_the_line(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text('# comment\n{\n  "zones": [,]\n}\n')
    with pytest.raises(ConfigError) as excinfo:
        read_legacy(bad)
    assert "line 3" in str(excinfo.value) and "invalid JSON" in str(excinfo.value)


# --- advanced simulator config --------------------------------------------------------------


def test_advanced_simulator_config():
    result = import_legacy(DATA / "advanced-simulator.cfg")
    config = result.config
    assert config["management_servers"] == [{"url": "http://localhost:8096/client/api"}]
    assert config["zone"] == "Sandbox-simulator"
    assert config["hypervisor"] == "Simulator"
    assert config["zone_network_type"] == "Advanced"
    assert set(config["capabilities"]) == {"vpc", "live_migration", "simulator"}
    assert any("8096" in w and "unauthenticated" in w for w in result.warnings)
    carried = "\n".join(result.not_carried)
    assert "dbSvr" in carried and "white-box" in carried
    assert "logger" in carried and "TestData" in carried
    assert result.environment == {}


def test_advanced_simulator_layout():
    layout = import_legacy(DATA / "advanced-simulator.cfg").layout
    assert layout["global_settings"] == {
        "expunge.delay": "20", "expunge.interval": "20", "ping.interval": "10", "network.gc.interval": "20",
    }
    (zone,) = layout["zones"]
    assert zone["network_type"] == "Advanced" and zone["guest_cidr"] == "10.1.1.0/24"
    (pnet,) = zone["physical_networks"]
    assert pnet["providers"] == ["VirtualRouter", "VpcVirtualRouter", "InternalLbVm"]
    assert pnet["traffic_types"][1] == {"type": "Management", "labels": {"kvm": "cloudbr0", "xen": "xenbr0"}}
    assert zone["public_ip_ranges"][0]["vlan"] == "50"
    (pod,) = zone["pods"]
    assert [c["name"] for c in pod["clusters"]] == ["C0", "C1"]
    urls = [h["url"] for c in pod["clusters"] for h in c["hosts"]]
    assert urls == ["http://sim/c0/h0", "http://sim/c0/h1", "http://sim/c1/h0", "http://sim/c1/h1"]
    assert [s["name"] for c in pod["clusters"] for s in c["primary_storage"]] == ["PS0", "PS1"]
    assert zone["secondary_storage"] == [{"url": "nfs://10.147.28.6:/export/home/sandbox/secondary", "provider": "NFS"}]


def test_cli_writes_loadable_config_and_layout(tmp_path, capsys):
    out = tmp_path / "adv.yaml"
    code, stdout, err = run_import(capsys, DATA / "advanced-simulator.cfg", "-o", out)
    assert code == 0, err
    layout_path = tmp_path / "adv.datacenter.yaml"
    assert out.exists() and layout_path.exists()
    assert "8096" in err and "not carried over" in err and "dbSvr" in err
    config = load_config(out, environ={})
    assert config.management_servers[0].is_integration_port
    assert config.zone == "Sandbox-simulator" and config.has("vpc")
    layout = load_layout(layout_path, environ={})
    assert layout.zones[0].name == "Sandbox-simulator"
    assert sum(len(c.hosts) for p in layout.zones[0].pods for c in p.clusters) == 4
    assert layout.global_settings["expunge.delay"] == "20"
    assert out.read_text().startswith("# marvin2 config imported from advanced-simulator.cfg")


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "adv.yaml"
    out.write_text("keep me")
    code, _, err = run_import(capsys, DATA / "advanced-simulator.cfg", "-o", out)
    assert code == 1 and "already exists" in err
    assert out.read_text() == "keep me"
    code, _, err = run_import(capsys, DATA / "advanced-simulator.cfg", "-o", out, "--force")
    assert code == 0, err


def test_cli_prints_config_without_output(capsys):
    code, stdout, err = run_import(capsys, DATA / "basic-sg.cfg")
    assert code == 0
    assert yaml.safe_load(stdout)["zone"] == "Sandbox-basic"
    assert "layout not written" in err


def test_cli_missing_file(capsys, tmp_path):
    code, _, err = run_import(capsys, tmp_path / "nope.cfg")
    assert code == 1 and "file not found" in err


# --- dual zone, secrets --------------------------------------------------------------------------


def test_dual_zone_secrets_become_env_references(tmp_path, capsys):
    out = tmp_path / "dual.yaml"
    code, _, err = run_import(capsys, DATA / "advdualzone.cfg", "-o", out)
    assert code == 0, err
    written = out.read_text() + (tmp_path / "dual.datacenter.yaml").read_text()
    assert "LEGACYSECRETKEY" not in written and "LEGACYSECRETKEY" not in err
    assert "CS_SECRET_KEY" in err and "CS_API_KEY" in err
    with pytest.raises(ConfigError, match="CS_SECRET_KEY is not set"):
        load_config(out, environ={})
    config = load_config(out, environ={"CS_API_KEY": "a", "CS_SECRET_KEY": "s"})
    one, two = config.management_servers
    assert one.url == "http://10.0.0.10:8080/client/api" and one.uses_api_keys
    assert two.url == "https://10.0.0.11:8443/client/api"
    assert config.zone == "zim1" and config.has("multiple_zones")
    assert "certCAPath /etc/marvin/ca.pem" in err  # not on this machine: reported, not written
    layout = load_layout(tmp_path / "dual.datacenter.yaml", environ={})
    assert [z.name for z in layout.zones] == ["zim1", "zim2"]
    for zone in layout.zones:
        assert len(zone.pods) == 1 and len(zone.pods[0].clusters) == 2
        assert sum(len(c.hosts) for c in zone.pods[0].clusters) == 4


def test_inline_secrets_copies_values():
    result = convert(read_legacy(DATA / "advdualzone.cfg"), inline_secrets=True)
    assert result.config["management_servers"][0]["secret_key"] == "LEGACYSECRETKEY"
    assert result.environment == {}


def test_shared_keys_share_one_variable():
    result = convert(read_legacy(DATA / "advdualzone.cfg"))
    servers = result.config["management_servers"]
    assert servers[0]["secret_key"] == servers[1]["secret_key"] == "${CS_SECRET_KEY}"
    legacy = read_legacy(DATA / "advdualzone.cfg")
    legacy["mgtSvr"][1]["securityKey"] = "OTHER"
    servers = convert(legacy).config["management_servers"]
    assert servers[1]["secret_key"] == "${CS_SECRET_KEY_2}"


def test_real_host_passwords_become_variables():
    legacy = read_legacy(DATA / "advanced-simulator.cfg")
    legacy["zones"][0]["pods"][0]["clusters"][0]["hosts"][0] = {"url": "http://10.1.1.5", "username": "root", "password": "hostpw"}
    result = convert(legacy)
    host = result.layout["zones"][0]["pods"][0]["clusters"][0]["hosts"][0]
    assert host["password"] == "${CS_HOST_PASSWORD}"
    assert "CS_HOST_PASSWORD" in result.environment
    sim_host = result.layout["zones"][0]["pods"][0]["clusters"][0]["hosts"][1]
    assert sim_host["password"] == "password"  # simulator dummies are kept


# --- basic SG -----------------------------------------------------------------------------------


def test_basic_sg(tmp_path, capsys):
    out = tmp_path / "basic.yaml"
    code, _, err = run_import(capsys, DATA / "basic-sg.cfg", "-o", out)
    assert code == 0, err
    config = load_config(out, environ={"CS_PASSWORD": "pw"})
    assert config.zone_network_type == "Basic" and config.has("security_groups") and not config.has("vpc")
    assert config.management_servers[0].uses_login
    layout = load_layout(tmp_path / "basic.datacenter.yaml", environ={})
    zone = layout.zones[0]
    assert zone.security_groups and zone.guest_network.network_offering == "DefaultSharedNetworkOfferingWithSGService"
    assert zone.public_ip_ranges == ()
    assert zone.pods[0].guest_ip_ranges[0].start_ip == "172.16.20.101"
    assert zone.physical_networks[0].providers == ("VirtualRouter", "SecurityGroupProvider")


def test_unknown_legacy_things_are_reported():
    legacy = read_legacy(DATA / "basic-sg.cfg")
    legacy["jenkins"] = {}
    legacy["zones"][0]["vmwaredc"] = {"name": "dc"}
    legacy["zones"][0]["physical_networks"][0]["providers"].append({"name": "Netscaler", "devices": []})
    result = convert(legacy)
    carried = "\n".join(result.not_carried)
    assert "jenkins: not a setting" in carried
    assert "zones[0].vmwaredc" in carried
    assert "providers[2] Netscaler" in carried
