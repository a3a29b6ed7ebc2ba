"""The standard-library RSA path of the simulator (used when ``cryptography`` is not installed) makes real keys."""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from marvin2.simulator.services import keys as _rsa


def test_stdlib_keys_load_in_openssl_and_decrypt_what_the_simulator_encrypts():
    key = _rsa._generate_here(1024)
    loaded = serialization.load_pem_private_key(_rsa.private_pem(key).encode(), password=None)
    public = _rsa.public_openssh(key)
    assert loaded.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                            serialization.PublicFormat.OpenSSH).decode() == public
    assert loaded.decrypt(_rsa.encrypt_for_public_key(public, b"s3cret"), padding.PKCS1v15()) == b"s3cret"
    assert len(_rsa.fingerprint(public).split(":")) == 16
