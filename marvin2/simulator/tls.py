"""HTTPS for the simulator: a server certificate given by the user, or a throwaway CA and certificate.

A management server with ``https.enable=true`` serves the API over TLS (8443 upstream). The simulator does
the same with ``tls_cert``/``tls_key`` files, or writes a throwaway pair: a CA (``ca.pem``, what a client
passes as its ``ca_bundle``) and a server certificate it signed for ``127.0.0.1``/``localhost``/the bind
address. Optionally it asks clients for a certificate signed by a given CA (``tls_client_ca``), to test a
client's ``client_cert``/``client_key`` settings end to end.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ThrowawayPair:
    """Files of a generated certificate pair (PEM): the CA, the server certificate and its key."""
    ca_file: Path
    cert_file: Path
    key_file: Path


def server_context(cert_file: str | os.PathLike, key_file: str | os.PathLike,
                   client_ca_file: str | os.PathLike | None = None) -> ssl.SSLContext:
    """A server-side TLS context; with ``client_ca_file`` a client certificate signed by that CA is required."""
    for label, path in (("certificate", cert_file), ("key", key_file), ("client CA", client_ca_file)):
        if path is not None and not Path(path).is_file():
            raise ValueError(f"TLS {label} file {path} does not exist")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert_file), str(key_file))
    except ssl.SSLError as exc:
        raise ValueError(f"TLS certificate {cert_file} / key {key_file} cannot be used: {exc}") from None
    if client_ca_file is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(client_ca_file))
    return context


def write_throwaway_pair(directory: str | os.PathLike, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                         days: int = 30) -> ThrowawayPair:
    """Generate a CA and a server certificate it signed (names and addresses ``hosts``) into ``directory``.

    Needs the ``cryptography`` package (``pip install cryptography``); the key file is readable only by
    its owner."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise ValueError("a throwaway HTTPS certificate needs the 'cryptography' package "
                         "(pip install cryptography), or pass --tls-cert and --tls-key") from None
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "marvin2 simulator throwaway CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_cert = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                   .issuer_name(ca_name).public_key(server_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    pair = ThrowawayPair(folder / "ca.pem", folder / "server-cert.pem", folder / "server-key.pem")
    pair.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pair.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    descriptor = os.open(pair.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    return pair
