"""Fixtures for the client's tests: captures, fake management servers, TLS material."""
from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import ssl
from pathlib import Path

import pytest

import marvin2.client as client
from marvin2.client import Spec

from fakemgmt import FakeCloud

REPO_ROOT = Path(__file__).resolve().parents[3]
# Real listApis answers of CloudStack 4.18 and 4.15.1 with the descriptions
# removed (tools/derive_test_captures.py): every fact the client parses, quirks included.
CAPTURES = REPO_ROOT / "tests" / "data"
CAPTURE_418 = CAPTURES / "listApis-4.18.0.0.json.gz"
CAPTURE_415 = CAPTURES / "listApis-4.15.1.0.json.gz"


def read_capture(path: Path) -> dict:
    """The raw listApis document of a capture file (gzip JSON)."""
    return json.loads(gzip.decompress(path.read_bytes()))


@pytest.fixture(scope="session")
def spec_418() -> Spec:
    return Spec.from_file(CAPTURE_418)


@pytest.fixture(scope="session")
def spec_415() -> Spec:
    return Spec.from_file(CAPTURE_415)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch) -> Path:
    """Every test gets its own spec cache; nothing is written under ~/.cache."""
    directory = tmp_path / "spec-cache"
    monkeypatch.setenv("MARVIN2_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def fake():
    with FakeCloud() as cloud:
        yield cloud


@pytest.fixture
def connect_fake(fake):
    """connect() to the fake cloud with API keys; closes what it opened."""
    opened = []

    def make(cloud: FakeCloud | None = None, **options):
        cloud = cloud or fake
        options.setdefault("api_key", cloud.api_key)
        options.setdefault("secret_key", cloud.secret_key)
        api = client.connect(options.pop("endpoint", cloud.url), **options)
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()


# --- TLS material (self-signed CA, server and client certificates) -----------------


def _write_pem(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> dict[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def key_pem(k) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = key()
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("marvin2 test CA"))
        .issuer_name(name("marvin2 test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(common_name, usage, san=None):
        leaf_key = key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(common_name))
            .issuer_name(ca_cert.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return cert, leaf_key

    server_cert, server_key = leaf(
        "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    )
    client_cert, client_key = leaf("marvin2 client", ExtendedKeyUsageOID.CLIENT_AUTH)
    pem = serialization.Encoding.PEM
    return {
        "ca": _write_pem(directory / "ca.pem", ca_cert.public_bytes(pem)),
        "server_cert": _write_pem(directory / "server.pem", server_cert.public_bytes(pem)),
        "server_key": _write_pem(directory / "server.key", key_pem(server_key)),
        "client_cert": _write_pem(directory / "client.pem", client_cert.public_bytes(pem)),
        "client_key": _write_pem(directory / "client.key", key_pem(client_key)),
    }


def server_tls_context(tls_files: dict[str, str], *, require_client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["server_cert"], tls_files["server_key"])
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(tls_files["ca"])
    return context
