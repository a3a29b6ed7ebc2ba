"""The CA framework: the root provider, its CA certificate, certificates issued for names or a CSR and
verifiable against the CA, host certificates provisioned, serials revoked; CAManagerImpl's errors.
``cryptography`` is a test dependency (pyproject [test]); the simulator itself does not need it."""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def _ca(admin):
    pem = admin.ok("listCaCertificate")["cacertificates"]["certificate"]
    return x509.load_pem_x509_certificate(pem.encode())


def _signed_by(cert, ca) -> bool:
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    return cert.issuer == ca.subject


def test_root_provider_and_its_ca(admin):
    providers = admin.items("listCAProviders", "caprovider")
    assert providers == [{"name": "root", "description": "CloudStack's Root CA provider plugin"}]
    assert admin.items("listCAProviders", "caprovider", name="nope") == []
    ca = _ca(admin)
    assert ca.subject.rfc4514_string() == "CN=ca.cloudstack.apache.org"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert _ca(admin).serial_number == ca.serial_number                     # one CA, kept
    assert admin.ok("listCaCertificate", provider="ROOT")["cacertificates"]["certificate"]


def test_issue_for_domains_and_addresses(admin):
    issued = admin.job_ok("issueCertificate", domain="agent.example.org,alt.example.org", ipaddress="10.0.0.5",
                          duration=10)["certificates"]
    cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
    key = serialization.load_pem_private_key(issued["privatekey"].encode(), password=None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert _signed_by(cert, _ca(admin))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "agent.example.org"
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["agent.example.org", "alt.example.org"]
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    assert 9 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 10
    assert issued["cacertificates"].startswith("-----BEGIN CERTIFICATE-----")


def test_issue_for_a_csr(admin):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.example.org")]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("csr.example.org")]), critical=False)
           .sign(key, hashes.SHA256()))
    issued = admin.job_ok("issueCertificate", csr=csr.public_bytes(serialization.Encoding.PEM).decode())["certificates"]
    assert "privatekey" not in issued                                      # the caller keeps its key
    cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert _signed_by(cert, _ca(admin))


def test_provision_host_certificate_and_revoke(admin, sim):
    host = admin.items("listHosts", "host", type="Routing")[0]
    job = admin.job("provisionCertificate", hostid=host["id"])
    assert job["jobstatus"] == 1 and job["jobresult"]["success"] is True, job
    row = sim.store.get("hostcertificate", host["id"])
    cert = x509.load_pem_x509_certificate(row["certificate"].encode())
    assert _signed_by(cert, _ca(admin))
    assert host["name"] in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName)

    serial = format(cert.serial_number, "x")
    assert admin.job_ok("revokeCertificate", serial=serial, cn=host["name"]) == {"success": True}
    again = admin.job("revokeCertificate", serial=serial)
    assert again["jobstatus"] == 2 and "already revoked" in again["jobresult"]["errortext"]


def test_errors(admin, user):
    assert admin.error("issueCertificate", 431) == "Please provide the domains or the CSR, none of them are provided"
    assert admin.error("issueCertificate", 530, domain="x.org", provider="vault") == "CA provider plugin 'vault' not found"
    assert admin.error("listCaCertificate", 530, provider="vault") == "CA provider plugin 'vault' not found"
    assert "serial" in admin.error("revokeCertificate", 431)
    assert "not a hexadecimal number" in admin.error("revokeCertificate", 431, serial="xyz")
    assert "hostid" in admin.error("provisionCertificate", 431)
    bad_csr = admin.job("issueCertificate", csr="not a csr")
    assert bad_csr["jobstatus"] == 2 and "Unable to read/process CSR" in bad_csr["jobresult"]["errortext"]
    assert "does not exist or is not available" in user.error("issueCertificate", 432, domain="x.org")
    assert user.ok("listCaCertificate")["cacertificates"]["certificate"]      # every role may fetch the CA
