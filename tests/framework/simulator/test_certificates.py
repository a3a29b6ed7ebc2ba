"""uploadCustomCertificate as a real 4.18 server handles it: every check in the job (431 failures),
an X.509 certificate and a PKCS#8 RSA key required for the site certificate, chain certificates with
an alias and an index. Certificates are made at test time with ``cryptography``."""
from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SUFFIX = "sim.example.org"
VALIDATION_FAILED = "Failed to pass certificate validation check"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pkcs8(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


@pytest.fixture(scope="module")
def pems() -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, site_key = _key(), _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sim test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=7))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    site = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"*.{SUFFIX}")]))
            .issuer_name(ca_name).public_key(site_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=7)).sign(ca_key, hashes.SHA256()))
    pkcs1 = site_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()).decode("ascii")
    return {"ca": ca.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "site": site.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "key": _pkcs8(site_key), "pkcs1": pkcs1, "foreign": _pkcs8(_key())}


def _upload(admin, **params) -> dict:
    status, body = admin.call("uploadCustomCertificate", method="POST", domainsuffix=SUFFIX, **params)
    assert status == 200, body                      # every semantic check happens in the job
    assert set(body["uploadcustomcertificateresponse"]) == {"jobid"}
    return admin.wait_job(body["uploadcustomcertificateresponse"]["jobid"])


def _refused(admin, **params) -> str:
    job = _upload(admin, **params)
    assert (job["jobstatus"], job["jobresultcode"], job["jobresult"]["errorcode"]) == (2, 431, 431), job
    return job["jobresult"]["errortext"]


def test_root_then_site_certificate_are_accepted(admin, pems):
    root = _upload(admin, certificate=pems["ca"], id=1, name="root")
    assert root["jobstatus"] == 1 and "successfully updated" in root["jobresult"]["customcertificate"]["message"]
    site = _upload(admin, certificate=pems["site"], privatekey=pems["key"])
    assert site["jobstatus"] == 1 and site["jobresultcode"] == 0
    assert pems["key"].split("\n")[1] not in str(site)          # the key never comes back


def test_site_certificate_needs_a_real_certificate_and_a_pkcs8_rsa_key(admin, pems):
    garbage = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----"
    assert _refused(admin, certificate=garbage, privatekey=pems["key"]) == VALIDATION_FAILED
    assert _refused(admin, certificate=pems["site"], privatekey="-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                                 "-----END PRIVATE KEY-----") == VALIDATION_FAILED
    # A PKCS#1 ("RSA PRIVATE KEY") key is not PKCS#8: the server's key factory refuses it.
    assert _refused(admin, certificate=pems["site"], privatekey=pems["pkcs1"]) == VALIDATION_FAILED


def test_a_key_of_another_certificate_is_not_detected(admin, pems):
    # Like the server's Java key store, the simulator does not match the key against the certificate.
    assert _upload(admin, certificate=pems["site"], privatekey=pems["foreign"])["jobstatus"] == 1


def test_chain_and_site_parameter_rules(admin, pems):
    assert _refused(admin, certificate=pems["ca"], id=1) == "alias can't be empty, if it's a certification chain"
    assert _refused(admin, certificate=pems["ca"], name="root") == \
        "index can't be empty, if it's a certifciation chain"
    assert _refused(admin, certificate=pems["site"], privatekey=pems["key"], name="site") == \
        "Can't change the alias for private key certification"


def test_missing_certificate_is_an_immediate_error(admin):
    status, body = admin.call("uploadCustomCertificate", method="POST", domainsuffix=SUFFIX)
    assert status == 431
    assert "missing parameter certificate" in body["uploadcustomcertificateresponse"]["errortext"]
