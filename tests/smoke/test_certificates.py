"""uploadCustomCertificate: a root CA, then the site certificate with its key,
for the console proxy and secondary storage VMs (``domainsuffix``).

The CA and the site certificate are made at test time with ``cryptography``:
nothing secret is stored in the repository.
"""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from marvin2.client import CloudStackError

pytestmark = [pytest.mark.tags("certificates", "system-vms", "smoke", "disruptive"), pytest.mark.serial]

DOMAIN_SUFFIX = "marvin2.test"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "marvin2 smoke tests")])


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.fixture(scope="module")
def chain():
    """(CA PEM, site certificate PEM, site key as PKCS#8 PEM)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, site_key = _key(), _key()
    ca = (x509.CertificateBuilder().subject_name(_name("marvin2 test CA")).issuer_name(_name("marvin2 test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    site = (x509.CertificateBuilder().subject_name(_name(f"*.{DOMAIN_SUFFIX}")).issuer_name(ca.subject)
            .public_key(site_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"*.{DOMAIN_SUFFIX}")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_pem = site_key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()).decode("ascii")
    return _pem(ca), _pem(site), key_pem


def _message(answer):
    inner = answer.get("customcertificate", answer) if isinstance(answer, dict) else answer
    return str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)


@pytest.mark.tags("quick-test")
def test_upload_root_ca_then_site_certificate(cloud, chain):
    ca_pem, site_pem, key_pem = chain
    root = cloud.uploadCustomCertificate(id=1, name="root", certificate=ca_pem, domainsuffix=DOMAIN_SUFFIX)
    assert "successfully" in _message(root).lower()

    # the server certificate comes with its key, and no id/name (those are for chain certificates)
    site = cloud.uploadCustomCertificate(certificate=site_pem, privatekey=key_pem, domainsuffix=DOMAIN_SUFFIX)
    assert "successfully" in _message(site).lower()


@pytest.mark.tags("negative")
def test_site_certificate_takes_no_alias(cloud, chain):
    _, site_pem, key_pem = chain
    with pytest.raises(CloudStackError) as refused:
        cloud.uploadCustomCertificate(name="site", certificate=site_pem, privatekey=key_pem,
                                      domainsuffix=DOMAIN_SUFFIX)
    assert refused.value.errorcode == 431
    assert "BEGIN PRIVATE KEY" not in str(refused.value)


@pytest.mark.tags("negative")
def test_chain_certificate_needs_an_alias(cloud, chain):
    ca_pem = chain[0]
    with pytest.raises(CloudStackError) as refused:
        cloud.uploadCustomCertificate(id=1, certificate=ca_pem, domainsuffix=DOMAIN_SUFFIX)
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_garbage_certificate_is_refused(cloud, chain):
    _, _, key_pem = chain
    with pytest.raises(CloudStackError) as refused:
        cloud.uploadCustomCertificate(certificate="-----BEGIN CERTIFICATE-----\nnot a certificate\n"
                                      "-----END CERTIFICATE-----", privatekey=key_pem, domainsuffix=DOMAIN_SUFFIX)
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative", "roles")
def test_users_may_not_upload_certificates(user_api, user_api_full_spec, chain):
    ca_pem = chain[0]
    assert "uploadCustomCertificate" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.uploadCustomCertificate(id=1, name="root", certificate=ca_pem, domainsuffix=DOMAIN_SUFFIX)
    assert refused.value.errorcode == 432
