"""The integration port (integration.api.port) and HTTPS (https.enable), driven by raw requests, by marvin2's
client and by the independent PyPI client ``cs``: signing, sessions, a VM deploy and errors on each."""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from cs import CloudStack, CloudStackApiException

import marvin2
from marvin2.client import CloudStackError, TransportError
from marvin2.legacy_config import import_legacy
from marvin2.simulator import start_simulator, tls

LEGACY_DATA = Path(__file__).resolve().parents[1] / "config" / "data"


# --- certificates for the tests: a client CA and a client certificate ---------------------------------------


def write_client_pair(folder: Path) -> tuple[Path, Path, Path]:
    """(client CA file, client certificate, client key) generated with ``cryptography``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test client CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tester")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "client-ca.pem", folder / "client-cert.pem", folder / "client-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tls.ThrowawayPair:
    return tls.write_throwaway_pair(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_sim(pair):
    simulator = start_simulator(port=0, profile="instant", tls=tls.server_context(pair.cert_file, pair.key_file))
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def integration_sim():
    simulator = start_simulator(port=0, profile="instant", integration_port=0)
    yield simulator
    simulator.stop()


def deploy_with_marvin2(api) -> dict:
    zone = api.listZones()[0]
    template = api.listTemplates(templatefilter="featured", zoneid=zone.id)[0]
    offering = [o for o in api.listServiceOfferings() if o.name == "Small Instance"][0]
    return api.deployVirtualMachine(zoneid=zone.id, templateid=template.id, serviceofferingid=offering.id)


def deploy_with_cs(client: CloudStack) -> dict:
    zone = client.listZones()["zone"][0]
    template = client.listTemplates(templatefilter="featured", zoneid=zone["id"])["template"][0]
    offering = [o for o in client.listServiceOfferings()["serviceoffering"] if o["name"] == "Small Instance"][0]
    return client.deployVirtualMachine(zoneid=zone["id"], templateid=template["id"], serviceofferingid=offering["id"],
                                       fetch_result=True)["virtualmachine"]


# --- HTTPS -------------------------------------------------------------------------------------------------


def test_throwaway_pair_is_a_ca_and_a_server_certificate(pair):
    from cryptography import x509

    ca = x509.load_pem_x509_certificate(pair.ca_file.read_bytes())
    server = x509.load_pem_x509_certificate(pair.cert_file.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert server.issuer == ca.subject
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert (pair.key_file.stat().st_mode & 0o777) == 0o600


def test_https_endpoint_and_raw_request_with_the_ca(https_sim, pair):
    assert https_sim.endpoint.startswith("https://127.0.0.1:")
    reply = requests.post(https_sim.endpoint, data={"command": "login", "username": "admin", "password": "password",
                                                    "response": "json"}, verify=str(pair.ca_file), timeout=10)
    assert reply.status_code == 200 and reply.json()["loginresponse"]["type"] == "1"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https_sim.endpoint, params={"command": "listZones", "response": "json"}, timeout=10)
    # plain HTTP to the HTTPS port gets no answer, and does not hang the server
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(https_sim.endpoint.replace("https://", "http://"), timeout=5)


def test_marvin2_client_over_https_with_ca_bundle_signs_deploys_and_errors(https_sim, pair):
    api = marvin2.connect(https_sim.endpoint, api_key=https_sim.admin_api_key, secret_key=https_sim.admin_secret_key,
                          ca_bundle=str(pair.ca_file))
    try:
        vm = deploy_with_marvin2(api)
        assert vm.state == "Running"
        with pytest.raises(CloudStackError) as caught:
            api.listZones(id="00000000-0000-0000-0000-000000000000")
        assert caught.value.errorcode == 431
    finally:
        api.close()


def test_marvin2_client_session_over_https(https_sim, pair):
    api = marvin2.connect(https_sim.endpoint, username="admin", password="password", ca_bundle=str(pair.ca_file))
    try:
        assert [z.name for z in api.listZones()] == ["Sandbox-simulator"]
    finally:
        api.close()


def test_marvin2_client_verify_settings_against_the_simulator(https_sim):
    # verify=True (the default) with no ca_bundle: the throwaway CA is not trusted, the first call fails.
    with pytest.raises(TransportError) as caught:
        marvin2.connect(https_sim.endpoint, api_key=https_sim.admin_api_key, secret_key=https_sim.admin_secret_key,
                        retries=0)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert https_sim.admin_secret_key not in str(caught.value)
    lax = marvin2.connect(https_sim.endpoint, api_key=https_sim.admin_api_key, secret_key=https_sim.admin_secret_key,
                          verify=False)
    try:
        assert len(lax.listZones()) == 1
    finally:
        lax.close()


def test_cs_client_over_https(https_sim, pair):
    client = CloudStack(endpoint=https_sim.endpoint, key=https_sim.admin_api_key, secret=https_sim.admin_secret_key,
                        verify=str(pair.ca_file), poll_interval=0.05, job_timeout=30)
    assert deploy_with_cs(client)["state"] == "Running"
    with pytest.raises(CloudStackApiException) as caught:
        client.listHostz()
    assert caught.value.error["errorcode"] == 401


def test_client_certificates_end_to_end(pair, tmp_path):
    client_ca, client_cert, client_key = write_client_pair(tmp_path)
    context = tls.server_context(pair.cert_file, pair.key_file, client_ca_file=client_ca)
    with start_simulator(port=0, profile="instant", seed=None, tls=context) as sim:
        api = marvin2.connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key,
                              ca_bundle=str(pair.ca_file), client_cert=str(client_cert), client_key=str(client_key))
        try:
            assert api.listZones() == []
        finally:
            api.close()
        with pytest.raises(TransportError) as caught:      # no client certificate: the handshake is refused
            marvin2.connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key,
                            ca_bundle=str(pair.ca_file), retries=0)
        # TLS 1.3 reports the refusal as "certificate required" or as the server closing the handshake
        assert "TLS failure" in str(caught.value)
        cs_client = CloudStack(endpoint=sim.endpoint, key=sim.admin_api_key, secret=sim.admin_secret_key,
                               verify=str(pair.ca_file), cert=str(client_cert), cert_key=str(client_key))
        assert cs_client.listZones() == {}


def test_tls_settings_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="nope.pem does not exist"):
        tls.server_context(tmp_path / "nope.pem", tmp_path / "key.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match="garbage.pem"):
        tls.server_context(garbage, garbage)


# --- the integration port ------------------------------------------------------------------------------------


def test_integration_port_is_off_by_default(sim):
    assert sim.integration_port is None and sim.integration_endpoint is None


def test_integration_port_listens_on_loopback_only():
    with start_simulator(host="0.0.0.0", port=0, seed=None, integration_port=0) as simulator:
        assert simulator.integration_httpd.server_address[0] == "127.0.0.1"
        assert simulator.integration_endpoint == f"http://127.0.0.1:{simulator.integration_port}/client/api"


def test_unsigned_requests_run_as_root_admin(integration_sim):
    reply = requests.get(integration_sim.integration_endpoint, params={"command": "listHosts", "response": "json"},
                         timeout=10)
    assert reply.status_code == 200 and reply.json()["listhostsresponse"]["count"] >= 1
    # the same unsigned request on the API port is refused
    reply = requests.get(integration_sim.endpoint, params={"command": "listHosts", "response": "json"}, timeout=10)
    assert reply.status_code == 401


def test_integration_port_request_rules(integration_sim):
    endpoint = integration_sim.integration_endpoint
    zone = requests.get(endpoint, params={"command": "listZones", "response": "json"}, timeout=10).json()
    name = zone["listzonesresponse"]["zone"][0]["name"]
    # query string only, and the FIRST of a repeated name (ApiServer.handle's putIfAbsent); RESPONSE in any case
    reply = requests.get(f"{endpoint}?command=listZones&RESPONSE=json&name={name}&name=nope", timeout=10)
    assert reply.json()["listzonesresponse"]["count"] == 1
    reply = requests.get(endpoint, params={"response": "json"}, timeout=10)
    assert (reply.status_code, reply.json()) == (432, {"errorresponse": {
        "uuidList": [], "errorcode": 432, "cserrorcode": 9999, "errortext": "Invalid request, no command sent"}})
    reply = requests.get(endpoint, params={"command": "listZonez", "response": "json"}, timeout=10)
    assert (reply.status_code, reply.json()["errorresponse"]["errortext"]) == (432, "Unknown API command: listZonez")
    reply = requests.get(endpoint, params={"command": "login", "response": "json"}, timeout=10)
    assert (reply.status_code, reply.content) == (200, b"")
    reply = requests.get(endpoint, params={"command": "listZones", "response": "json", "name": "a\x02"}, timeout=10)
    assert reply.status_code == 431 and reply.json()["listzonesresponse"]["errortext"] == \
        "Received value containing illegal ASCII non-printable characters for parameter name"


def test_marvin2_client_without_credentials_on_the_integration_port(integration_sim):
    api = marvin2.connect(integration_sim.integration_endpoint)
    try:
        assert deploy_with_marvin2(api).state == "Running"
        with pytest.raises(CloudStackError) as caught:
            api.listZones(id="00000000-0000-0000-0000-000000000000")
        assert caught.value.errorcode == 431
    finally:
        api.close()


def test_cs_client_on_the_integration_port(integration_sim):
    # cs always signs; the integration port does not look at the signature.
    client = CloudStack(endpoint=integration_sim.integration_endpoint, key="anything", secret="anything",
                        poll_interval=0.05, job_timeout=30)
    assert deploy_with_cs(client)["state"] == "Running"
    with pytest.raises(CloudStackApiException) as caught:
        client.listZones(id="not-a-uuid")
    assert caught.value.error["errorcode"] == 431


def test_legacy_config_on_8096_drives_the_integration_port(tmp_path):
    """`marvin2 config import` of Marvin's advanced simulator config (port 8096, no credentials) and the plugin's
    config loader drive `--integration-port 8096` end to end. 8096 is one port for the whole machine: taken
    under a lock shared by every checkout's test run."""
    result = import_legacy(LEGACY_DATA / "advanced-simulator.cfg")
    assert result.config["management_servers"] == [{"url": "http://localhost:8096/client/api"}]
    config_file = tmp_path / "imported.yaml"
    config_file.write_text(yaml.safe_dump(result.config), encoding="utf-8")
    with open("/tmp/marvin2-integration-port-8096.lock", "w") as lock:
        deadline = time.monotonic() + 120
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < deadline, "port 8096 stayed locked by another test run for 120 s"
                time.sleep(0.2)
        try:
            simulator = start_simulator(port=0, profile="instant", integration_port=8096)
        except OSError as exc:
            raise AssertionError(f"port 8096 is taken by something else on this machine: {exc}") from None
        with simulator:
            api = marvin2.connect(config=str(config_file))
            try:
                [zone] = api.listZones()
                assert zone.name == result.config["zone"]
                assert api.listAccounts(name="admin")[0].name == "admin"    # root admin, no credentials
            finally:
                api.close()


# --- the command line ----------------------------------------------------------------------------------------


def test_cli_https_throwaway_pair_and_integration_port(tmp_path):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", "--profile", "instant",
                             "--https", "--tls-dir", str(tmp_path / "tls"), "--integration-port", "0",
                             "--ready-file", str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no ready file after 60 s"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["endpoint"].startswith("https://") and info["ca_file"] == str(tmp_path / "tls" / "ca.pem")
        api = marvin2.connect(info["endpoint"], api_key=info["api_key"], secret_key=info["secret_key"],
                              ca_bundle=info["ca_file"])
        try:
            assert len(api.listZones()) == 1
        finally:
            api.close()
        reply = requests.get(info["integration_endpoint"], params={"command": "listZones", "response": "json"},
                             timeout=10)
        assert reply.json()["listzonesresponse"]["count"] == 1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert f"https: CA file for clients (ca_bundle): {info['ca_file']}" in out
        assert f"integration_endpoint: {info['integration_endpoint']}" in out
        assert "WARNING: integration port open" in err and "NO credentials" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.parametrize("args, text", [
    (["--tls-cert", "c.pem", "--tls-key", "k.pem"], "--tls-cert goes with --https"),
    (["--https", "--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
    (["--integration-port", "70000"], "--integration-port 70000 is not a port number"),
])
def test_cli_option_errors(args, text):
    out = subprocess.run([sys.executable, "-m", "marvin2.cli", "simulator", "--port", "0", *args],
                         capture_output=True, text=True, timeout=60, env={**os.environ})
    assert out.returncode == 2 and text in out.stderr


def test_cli_default_port_is_8443_with_https():
    from marvin2.cli import build_parser
    from marvin2.commands.simulator import api_port

    parser = build_parser()
    assert api_port(parser.parse_args(["simulator"])) == 8080
    assert api_port(parser.parse_args(["simulator", "--https"])) == 8443
    assert api_port(parser.parse_args(["simulator", "--https", "--port", "9443"])) == 9443


def test_opening_the_integration_port_is_said_loudly(caplog):
    with caplog.at_level("WARNING", logger="marvin2.simulator"):
        with start_simulator(port=0, seed=None, integration_port=0) as simulator:
            endpoint = simulator.integration_endpoint
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(endpoint in text and "need no credentials" in text and "root admin" in text for text in warnings)
