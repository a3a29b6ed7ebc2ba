"""The config model: loading, validation errors, ${ENV} interpolation, secrets, examples."""
from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from marvin2.config import (
    CAPABILITIES,
    Config,
    ConfigError,
    ManagementServer,
    SimulatorSettings,
    load_config,
    parse_config,
)

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"


def write(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# --- the shipped configs ----------------------------------------------------------------


def test_default_simulator_config_loads():
    config = load_config(CONFIGS / "simulator.yaml", environ={})
    assert config.simulator == SimulatorSettings(profile="fast", seed="default", db=":memory:")
    assert config.management_servers == []
    assert config.zone == "Sandbox-simulator"
    assert config.hypervisor == "Simulator"
    assert config.zone_network_type == "Advanced"
    assert config.has("vpc") and config.has("simulator")
    assert not config.has("security_groups")
    assert config.test_data["template"] == "CentOS 5.6 (64-bit) no GUI (Simulator)"
    assert config.source == (CONFIGS / "simulator.yaml").resolve()
    assert {"connect", "read", "job", "deploy", "snapshot", "template"} <= set(config.timeouts)


def test_advanced_kvm_example_loads_with_env():
    env = {"CS_API_KEY": "AKEY", "CS_SECRET_KEY": "very-secret-value"}
    config = load_config(CONFIGS / "advanced-kvm.example.yaml", environ=env)
    assert len(config.management_servers) == 2
    first = config.management_servers[0]
    assert first.url == "https://cloudstack.example.org:8443/client/api"
    assert first.api_key == "AKEY" and first.secret_key == "very-secret-value"
    assert first.uses_api_keys and not first.uses_login
    assert config.hypervisor == "KVM" and config.zone_network_type == "Advanced"
    assert config.timeouts["deploy"] == 1200 and config.timeouts["job"] == 900
    assert "very-secret-value" not in repr(config)


def test_advanced_kvm_example_fails_without_env():
    with pytest.raises(ConfigError) as excinfo:
        load_config(CONFIGS / "advanced-kvm.example.yaml", environ={})
    text = str(excinfo.value)
    assert "advanced-kvm.example.yaml" in text
    assert "management_servers[0].secret_key" in text
    assert "CS_SECRET_KEY" in text and "CS_API_KEY" in text


def test_basic_sg_example_loads_with_env():
    env = {"CS_USERNAME": "admin", "CS_PASSWORD": "pa55word", "CS_ZONE": "ZoneB"}
    config = load_config(CONFIGS / "basic-sg.example.yaml", environ=env)
    server = config.management_servers[0]
    assert server.uses_login and server.username == "admin" and server.domain == "/"
    assert config.zone == "ZoneB"
    assert config.zone_network_type == "Basic" and config.has("security_groups")
    assert "pa55word" not in repr(config) and "pa55word" not in str(config.to_display())


# --- management servers ---------------------------------------------------------------


def test_full_server_with_tls(tmp_path):
    ca = write(tmp_path, "ca", "ca.pem")
    write(tmp_path, "cert", "client.pem")
    write(tmp_path, "key", "client.key")
    path = write(tmp_path, """
        management_servers:
          - url: https://ms1:8443/client/api
            api_key: K
            secret_key: S
            ca_bundle: ca.pem
            client_cert: client.pem
            client_key: client.key
          - url: https://ms2:8443
            username: admin
            password: ${PW:-fallback}
            domain: /sub
            verify: false
    """)
    config = load_config(path, environ={})
    one, two = config.management_servers
    assert one.ca_bundle == str(ca.resolve()) and one.client_key.endswith("client.key")
    assert one.verify is True
    assert two.url == "https://ms2:8443/client/api"  # the usual API path is added
    assert two.password == "fallback" and two.domain == "/sub" and two.verify is False


def test_single_server_mapping_is_accepted(tmp_path):
    path = write(tmp_path, """
        management_servers: {url: "http://h:8080/client/api", api_key: K, secret_key: S}
    """)
    assert load_config(path, environ={}).management_servers[0].api_key == "K"


def test_integration_port_needs_no_credentials(tmp_path):
    path = write(tmp_path, "management_servers: [{url: 'http://localhost:8096/client/api'}]\n")
    server = load_config(path, environ={}).management_servers[0]
    assert server.is_integration_port and not server.uses_api_keys and not server.uses_login


def test_credentials_are_required_elsewhere(tmp_path):
    path = write(tmp_path, "management_servers: [{url: 'http://localhost:8080/client/api'}]\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    assert "management_servers[0]" in str(excinfo.value)
    assert "credentials required" in str(excinfo.value)


def test_half_credentials_and_mixed_credentials(tmp_path):
    path = write(tmp_path, """
        management_servers:
          - {url: "http://a:8080/client/api", api_key: K}
          - {url: "http://b:8080/client/api", username: u}
          - {url: "http://c:8080/client/api", api_key: K, secret_key: S, username: u, password: p}
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    found = problems_of(excinfo)
    assert any("management_servers[0].secret_key: required with api_key" in p for p in found)
    assert any("management_servers[1].password: required with username" in p for p in found)
    assert any("management_servers[2]: give either" in p for p in found)


def test_bad_url_names_the_key_path_and_line(tmp_path):
    path = write(tmp_path, """
        management_servers:
          - url: http://ok:8080/client/api
            api_key: K
            secret_key: S
          - url: ftp://nope/x
            api_key: K
            secret_key: S
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    text = str(excinfo.value)
    assert str(path) in text
    assert "line 6: management_servers[1].url: expected an http(s) URL" in text
    assert "ftp://nope/x" in text


def test_missing_ca_bundle_file(tmp_path):
    path = write(tmp_path, """
        management_servers:
          - {url: "https://a/client/api", api_key: K, secret_key: S, ca_bundle: nowhere.pem}
    """)
    with pytest.raises(ConfigError, match=r"management_servers\[0\]\.ca_bundle: file not found"):
        load_config(path, environ={})


# --- unknown keys, several problems at once ---------------------------------------------------


def test_unknown_keys_suggest_the_closest(tmp_path):
    path = write(tmp_path, """
        simulator: {profil: fast}
        zone: z
        capabilites: [vpc]
        timeouts: {deply: 10}
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    found = problems_of(excinfo)
    assert len(found) == 3, found
    assert any("simulator.profil: unknown key; did you mean 'profile'?" in p for p in found)
    assert any("capabilites: unknown key; did you mean 'capabilities'?" in p for p in found)
    assert any("timeouts.deply: unknown key; did you mean 'deploy'?" in p for p in found)
    assert str(excinfo.value).startswith(f"{path.resolve()}: 3 problems:")


def test_unknown_capability_names_the_closest_known(tmp_path):
    path = write(tmp_path, "simulator: {}\ncapabilities: [vpc, securitygroups, ssh_to_guest]\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    found = problems_of(excinfo)
    assert any("capabilities[1]: unknown capability 'securitygroups'; did you mean 'security_groups'?" in p for p in found)
    assert any("capabilities[2]: unknown capability 'ssh_to_guest'; did you mean 'ssh_to_guests'?" in p for p in found)


def test_capabilities_as_mapping(tmp_path):
    path = write(tmp_path, "simulator: {}\ncapabilities: {vpc: true, ssh_to_guests: false, vcp: false}\n")
    with pytest.raises(ConfigError, match="capabilities.vcp: unknown capability 'vcp'; did you mean 'vpc'"):
        load_config(path, environ={})
    path = write(tmp_path, "simulator: {}\ncapabilities: {vpc: true, ssh_to_guests: false}\n")
    assert load_config(path, environ={}).capabilities == frozenset({"vpc"})


def test_has_rejects_unknown_names():
    config = parse_config("simulator: {}\ncapabilities: [vpc]\n", environ={})
    assert config.has("vpc") is True
    assert config.has("ssh_to_guests") is False
    with pytest.raises(ConfigError, match="did you mean 'vpc'"):
        config.has("vcp")


def test_enumerations_are_case_insensitive_and_canonical(tmp_path):
    config = parse_config("simulator: {profile: Instant}\nhypervisor: kvm\nzone_network_type: basic\n", environ={})
    assert (config.simulator.profile, config.hypervisor, config.zone_network_type) == ("instant", "KVM", "Basic")
    with pytest.raises(ConfigError, match="hypervisor: expected one of .*did you mean 'XenServer'"):
        parse_config("simulator: {}\nhypervisor: xenserv\n", environ={})


def test_neither_nor_both_sources(tmp_path):
    with pytest.raises(ConfigError, match="expected `management_servers` .* or `simulator`"):
        parse_config("zone: z\n", environ={})
    with pytest.raises(ConfigError, match="not both"):
        parse_config("simulator: {}\nmanagement_servers: [{url: 'http://h:8096'}]\n", environ={})


def test_wrong_types_are_reported(tmp_path):
    path = write(tmp_path, """
        simulator: fast
        zone: [a, b]
        timeouts: {job: -1, connect: soon}
        test_data: {template: {name: x}}
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    found = problems_of(excinfo)
    assert any("simulator: expected a mapping" in p for p in found)
    assert any("zone: expected a string, got a list" in p for p in found)
    assert any("timeouts.job: expected a positive number of seconds, got -1" in p for p in found)
    assert any("timeouts.connect: expected a positive number" in p for p in found)
    assert any("test_data.template: expected a string" in p for p in found)


def test_duplicate_keys_are_errors(tmp_path):
    path = write(tmp_path, "simulator: {}\nzone: a\nzone: b\n")
    with pytest.raises(ConfigError, match="line 3: zone: duplicate key"):
        load_config(path, environ={})


def test_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, "simulator: {\nzone: [\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    assert "invalid YAML" in str(excinfo.value) and str(path.resolve()) in str(excinfo.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="file not found"):
        load_config("/nonexistent/marvin2.yaml")


# --- ${ENV} interpolation ---------------------------------------------------------------------


def test_env_interpolation_forms(tmp_path):
    path = write(tmp_path, """
        management_servers:
          - url: http://${HOST}:${PORT:-8080}/client/api
            api_key: ${KEY}
            secret_key: pre-${SECRET}-$${literal}
        zone: ${ZONE:-}
        timeouts: {job: "${JOB:-45}"}
    """)
    config = load_config(path, environ={"HOST": "ms", "KEY": "k", "SECRET": "s"})
    server = config.management_servers[0]
    assert server.url == "http://ms:8080/client/api"
    assert server.secret_key == "pre-s-${literal}"
    assert config.zone == ""
    assert config.timeouts["job"] == 45.0


def test_interpolated_booleans_and_numbers(tmp_path):
    path = write(tmp_path, """
        management_servers: [{url: "https://h/client/api", api_key: k, secret_key: s, verify: "${VERIFY}"}]
        timeouts: {read: "${READ}"}
    """)
    config = load_config(path, environ={"VERIFY": "false", "READ": "7.5"})
    assert config.management_servers[0].verify is False
    assert config.timeouts["read"] == 7.5


def test_unset_variable_names_file_key_and_variable(tmp_path):
    path = write(tmp_path, "management_servers:\n  - url: http://h:8080\n    api_key: k\n    secret_key: ${MY_SECRET}\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    text = str(excinfo.value)
    assert str(path.resolve()) in text
    assert "line 4: management_servers[0].secret_key" in text
    assert "MY_SECRET is not set" in text


def test_malformed_reference(tmp_path):
    with pytest.raises(ConfigError, match=r"zone: malformed variable reference '\$\{1BAD\}'"):
        parse_config("simulator: {}\nzone: ${1BAD}\n", environ={})


# --- secrets never shown -----------------------------------------------------------------------


def test_secrets_are_masked_everywhere():
    server = ManagementServer(url="http://h:8080/client/api", api_key="k", secret_key="TOPSECRET1", username=None)
    login = ManagementServer(url="http://h:8080/client/api", username="u", password="TOPSECRET2")
    config = Config(source=Path("x.yaml"), management_servers=[server, login], test_data={"ssh_password": "TOPSECRET3"})
    for text in (repr(server), str(login), repr(config), str(config), str(config.to_display())):
        assert "TOPSECRET" not in text
    assert "********" in repr(server)


def test_error_texts_never_show_secret_values(tmp_path):
    path = write(tmp_path, """
        management_servers:
          - {url: "http://h:8080", api_key: k, secret_key: [TOPSECRET], unknown_thing: 1}
    """)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={})
    assert "TOPSECRET" not in str(excinfo.value)
    assert "management_servers[0].secret_key: expected a string, got a list (value hidden)" in str(excinfo.value)


def test_config_is_frozen():
    config = parse_config("simulator: {}\n", environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.zone = "other"


# --- simulator settings, timeouts -------------------------------------------------------------


def test_simulator_seed_forms(tmp_path):
    seed = write(tmp_path, "zones: []\n", "seed.yaml")
    assert parse_config("simulator: {seed: empty}\n", environ={}).simulator.seed is None
    assert parse_config("simulator: {seed: null}\n", environ={}).simulator.seed is None
    path = write(tmp_path, "simulator: {seed: seed.yaml, db: state.db}\n")
    settings = load_config(path, environ={}).simulator
    assert settings.seed == str(seed.resolve())
    assert settings.db == str((tmp_path / "state.db").resolve())
    path = write(tmp_path, "simulator: {seed: missing.yaml}\n")
    with pytest.raises(ConfigError, match="simulator.seed: file not found"):
        load_config(path, environ={})


def test_job_timeout_resolution():
    config = parse_config(
        """
        simulator: {}
        timeouts: {job: 100, snapshot: 200, stop: 300, restart: 400, deployVirtualMachine: 500}
        """.replace("\n        ", "\n"),
        environ={},
    )
    assert config.job_timeout("deployVirtualMachine") == 500   # exact API name
    assert config.job_timeout("createVMSnapshot") == 200       # noun family
    assert config.job_timeout("revertSnapshot") == 200
    assert config.job_timeout("stopVirtualMachine") == 300     # verb family
    assert config.job_timeout("restartNetwork") == 400         # explicit verb beats defaulted noun
    assert config.job_timeout("createVolume") == 100           # family defaults to job
    assert config.job_timeout("associateIpAddress") == 100
    assert config.timeouts["volume"] == 100


def test_with_simulator_endpoint_keeps_settings():
    config = parse_config("simulator: {profile: instant}\nzone: z\n", environ={})
    bound = config.with_simulator_endpoint("http://127.0.0.1:1234/client/api", "AK", "SK")
    assert bound.management_servers[0].url == "http://127.0.0.1:1234/client/api"
    assert bound.simulator.profile == "instant" and bound.zone == "z"
    assert config.management_servers == []
    assert "SK" not in repr(bound.management_servers[0]).replace("ManagementServer", "")


def test_every_capability_has_a_description():
    assert all(isinstance(v, str) and v for v in CAPABILITIES.values())


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    env = {name: "placeholder" for name in ("CS_API_KEY", "CS_SECRET_KEY", "CS_USERNAME", "CS_PASSWORD")}
    config = load_config(path, environ=env)
    assert config.simulator is not None or config.management_servers


def test_shipped_layouts_load():
    from marvin2.datacenter import load_layout

    layouts = sorted((CONFIGS / "datacenter").glob("*.yaml"))
    assert len(layouts) >= 2
    for path in layouts:
        layout = load_layout(path, environ={})
        assert layout.zones and all(zone.pods for zone in layout.zones)


def test_simulator_fault_rules_are_read_and_checked(tmp_path):
    from marvin2.config import ConfigError, load_config

    good = tmp_path / "good.yaml"
    good.write_text("simulator:\n  faults:\n    - {command: listZones, errorrate: 0.5}\n  fault_seed: 3\n", encoding="utf-8")
    settings = load_config(good).simulator
    assert settings.faults == ({"command": "listZones", "errorrate": 0.5},) and settings.fault_seed == 3

    bad = tmp_path / "bad.yaml"
    bad.write_text("simulator:\n  faults: [listZones]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"simulator\.faults\[0\]|simulator.faults.0"):
        load_config(bad)
