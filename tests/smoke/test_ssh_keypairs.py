"""SSH key pairs: create, register a public key, fingerprints, reset a VM's key, delete."""
import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import listed, only

pytestmark = pytest.mark.tags("ssh-keys", "smoke")


def _public_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode("ascii")


def _fingerprint(public_key):
    """CloudStack's fingerprint: MD5 of the key blob, colon-separated hex."""
    digest = hashlib.md5(base64.b64decode(public_key.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


@pytest.mark.tags("quick-test")
def test_create_key_pair(make, user_api):
    pair = make.keypair()
    assert pair.privatekey.startswith("-----BEGIN")
    assert pair.fingerprint
    found = only(user_api.listSSHKeyPairs(name=pair.name))
    assert found.fingerprint == pair.fingerprint
    assert "privatekey" not in found, "the private key is shown once, at creation"


def test_register_a_public_key(make, user_api):
    public_key = _public_key()
    pair = make.keypair(publickey=public_key)
    assert pair.fingerprint == _fingerprint(public_key)
    assert only(user_api.listSSHKeyPairs(fingerprint=pair.fingerprint)).name == pair.name


def test_delete_key_pair(make, user_api):
    pair = make.keypair()
    user_api.deleteSSHKeyPair(name=pair.name)
    assert listed(user_api, "listSSHKeyPairs", name=pair.name) == []


@pytest.mark.tags("deploy-vm")
def test_reset_the_key_of_a_stopped_vm(make, deploy_vm, user_api):
    first, second = make.keypair(purpose="k1"), make.keypair(purpose="k2")
    vm = deploy_vm(keypair=first.name)
    r.stop_vm(user_api, vm.id)
    reset = user_api.resetSSHKeyForVirtualMachine(id=vm.id, keypair=second.name)
    names = reset.get("keypairs") or reset.get("keypair") or ""
    assert second.name in names and first.name not in names


@pytest.mark.tags("negative", "deploy-vm")
def test_reset_the_key_of_a_running_vm_is_refused(make, deploy_vm, user_api):
    pair = make.keypair()
    vm = deploy_vm()
    with pytest.raises(CloudStackError) as refused:
        user_api.resetSSHKeyForVirtualMachine(id=vm.id, keypair=pair.name)
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_duplicate_name_is_refused(make, user_api):
    pair = make.keypair()
    with pytest.raises(CloudStackError) as refused:
        user_api.createSSHKeyPair(name=pair.name)
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_invalid_public_key_is_refused(user_api, make):
    name = make.name("badkey")
    with pytest.raises(CloudStackError) as refused:
        user_api.registerSSHKeyPair(name=name, publickey="ssh-rsa not-a-key")
    assert refused.value.errorcode == 431
    assert listed(user_api, "listSSHKeyPairs", name=name) == []
