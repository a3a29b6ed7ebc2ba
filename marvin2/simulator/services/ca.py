"""The CA framework with its root CA provider (CAManagerImpl, RootCAProvider): a throwaway root CA made on
first use, certificates issued for domains/addresses or for a CSR, host certificates provisioned, and a
revocation list.

X.509 work needs the ``cryptography`` package, which the simulator does not require: without it these
APIs answer a clear 530 and the rest of the simulator is unaffected (the import happens on first use).
The CA's key and certificate live in the simulator's store (a real server keeps them in hidden settings).
"""
from __future__ import annotations

import datetime as dt
import ipaddress

from marvin2.simulator import errors, facts

PROVIDERS = {"root": "CloudStack's Root CA provider plugin"}
_CA_KEY, _CA_CERT = "ca.root.privatekey", "ca.root.certificate"


def _crypto():
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise errors.internal_error("The simulator's CA needs the 'cryptography' Python package "
                                    "(pip install cryptography)") from None
    return x509, hashes, serialization, rsa, NameOID


def setting(config, name: str) -> str | None:
    known = facts.settings().get(name)
    return config(name, known.default if known else None)


def provider_name(config, provider: str | None) -> str:
    """CAManagerImpl.getCAProvider: the named provider (case-insensitive) or the configured one."""
    if not provider:
        configured = setting(config, "ca.framework.provider.plugin") or "root"
        if configured not in PROVIDERS:
            raise errors.internal_error("Failed to find default configured CA provider plugin")
        return configured
    name = provider.lower()
    if name not in PROVIDERS:
        raise errors.internal_error(f"CA provider plugin '{name}' not found")
    return name


def _int_setting(config, name: str, fallback: int) -> int:
    try:
        return int(setting(config, name) or fallback)
    except ValueError:
        return fallback


def _root(store, config):
    """The root CA's (key, certificate), made on first use (CN from ca.plugin.root.issuer.dn)."""
    x509, hashes, serialization, rsa, _ = _crypto()
    key_pem, cert_pem = store.get_meta(_CA_KEY), store.get_meta(_CA_CERT)
    if key_pem and cert_pem:
        return (serialization.load_pem_private_key(key_pem.encode(), password=None),
                x509.load_pem_x509_certificate(cert_pem.encode()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=_int_setting(config, "ca.framework.cert.keysize", 2048))
    issuer = x509.Name.from_rfc4514_string(setting(config, "ca.plugin.root.issuer.dn") or "CN=ca.cloudstack.apache.org")
    now = dt.datetime.now(dt.timezone.utc)
    days = _int_setting(config, "ca.framework.cacert.validity.period", 3650)
    cert = (x509.CertificateBuilder().subject_name(issuer).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    store.set_meta(_CA_KEY, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode())
    store.set_meta(_CA_CERT, cert.public_bytes(serialization.Encoding.PEM).decode())
    return key, cert


def ca_certificate_pem(store, config, provider: str | None) -> str:
    provider_name(config, provider)
    _root(store, config)
    return store.get_meta(_CA_CERT)


def _sans(x509, names: list[str], addresses: list[str]):
    entries = [x509.DNSName(n) for n in names if n]
    for address in addresses:
        if address:
            try:
                entries.append(x509.IPAddress(ipaddress.ip_address(address)))
            except ValueError:
                raise errors.invalid_value(f"Invalid IP address {address} for the certificate") from None
    return entries


def issue(store, config, *, csr: str | None, domains: list[str], addresses: list[str], validity_days: int | None,
          provider: str | None) -> dict:
    """A certificate signed by the root CA: ``certificate``, ``privatekey`` (when no CSR), ``cacertificates``."""
    provider_name(config, provider)
    if not csr and not domains:
        raise errors.invalid_value("No domains or CSR provided")
    x509, hashes, serialization, rsa, NameOID = _crypto()
    ca_key, ca_cert = _root(store, config)
    days = validity_days if validity_days is not None else _int_setting(config, "ca.framework.cert.validity.period", 365)
    private_pem = None
    if csr:
        try:
            request = x509.load_pem_x509_csr(csr.encode())
        except ValueError:
            raise errors.internal_error(f"Unable to read/process CSR: {csr[:64]}") from None
        subject, public_key = request.subject, request.public_key()
        try:
            requested = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = requested.get_values_for_type(x509.DNSName) + list(domains)
            ips = [str(a) for a in requested.get_values_for_type(x509.IPAddress)] + list(addresses)
        except x509.ExtensionNotFound:
            names, ips = list(domains), list(addresses)
    else:
        if not domains[0]:
            raise errors.internal_error("No domain name is specified, cannot generate certificate")
        key = rsa.generate_private_key(public_exponent=65537,
                                       key_size=_int_setting(config, "ca.framework.cert.keysize", 2048))
        subject, public_key, names, ips = (x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])]),
                                           key.public_key(), list(domains), list(addresses))
        private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
               .not_valid_after(now + dt.timedelta(days=days)))
    sans = _sans(x509, names, ips)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    store.insert("cacertificate", {"serial": format(cert.serial_number, "x"), "cn": subject.rfc4514_string(),
                                   "notafter": cert.not_valid_after_utc.isoformat()})
    return {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(), "privatekey": private_pem,
            "cacertificates": store.get_meta(_CA_CERT)}


def revoke(store, config, serial: str, cn: str | None, provider: str | None) -> bool:
    """Add a serial (hex) to the revocation list (CrlDao); True when it was revoked now."""
    try:
        number = int(serial, 16)
    except ValueError:
        raise errors.invalid_value(f"Certificate serial {serial} is not a hexadecimal number") from None
    key = format(number, "x")
    if store.find_one("crl", serial=key) is not None:
        raise errors.internal_error(f"Certificate with serial {serial} is already revoked")
    provider_name(config, provider)
    store.insert("crl", {"serial": key, "cn": cn or ""})
    return True


def is_revoked(store, serial_hex: str) -> bool:
    return store.find_one("crl", serial=format(int(serial_hex, 16), "x")) is not None


def provision_host(store, config, host: dict, provider: str | None) -> dict:
    """provisionCertificate: the host's agent gets a new key pair and a certificate for its name and address."""
    if host.get("state") != "Up":
        raise errors.internal_error(f"Failed to generate keystore and get CSR from the host/agent {host['name']}")
    names = [n for n in (host.get("name"), host.get("ipaddress")) if n]
    issued = issue(store, config, csr=None, domains=names, addresses=[host.get("ipaddress") or ""],
                   validity_days=None, provider=provider)
    x509 = _crypto()[0]
    cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
    row = {"id": host["id"], "serial": format(cert.serial_number, "x"), "certificate": issued["certificate"],
           "notafter": cert.not_valid_after_utc.isoformat()}
    if store.get("hostcertificate", host["id"]) is None:
        return store.insert("hostcertificate", row)
    return store.put("hostcertificate", row)
