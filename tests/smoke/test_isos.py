"""ISOs: register, attach to and detach from a VM, permissions, extract, delete."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError
from marvin2.pytest_plugin.fixtures_make import Make

from .helpers import ids, listed, only, skip_unless_downloadable

pytestmark = pytest.mark.tags("iso", "templates", "smoke", "advanced")


@pytest.fixture
def downloadable(marvin2_config):
    skip_unless_downloadable(marvin2_config, "iso_url", "ISOs")


def _ready(api, iso_id, timeout):
    return r.wait_for_iso_ready(api, iso_id, timeout=timeout)


@pytest.fixture
def ready_iso(downloadable, make: Make, user_api, job_timeout):
    return _ready(user_api, make.iso(isextractable=True, bootable=True).id, job_timeout)


@pytest.mark.tags("quick-test")
def test_register_iso(make, user_api, zone, test_account):
    iso = make.iso()
    assert iso.bootable is True
    assert iso.ispublic is False
    assert iso.zoneid == zone.id
    assert iso.account == test_account.name
    assert iso.id in ids(user_api.listIsos(isofilter="self", id=iso.id))


def test_attach_and_detach_iso(ready_iso, deploy_vm, user_api):
    vm = deploy_vm()
    attached = user_api.attachIso(id=ready_iso.id, virtualmachineid=vm.id)
    assert attached.isoid == ready_iso.id
    assert only(user_api.listVirtualMachines(id=vm.id)).isoid == ready_iso.id
    assert vm.id in ids(user_api.listVirtualMachines(isoid=ready_iso.id))

    detached = user_api.detachIso(virtualmachineid=vm.id)
    assert not detached.get("isoid")


@pytest.mark.tags("negative")
def test_second_iso_while_one_is_attached_is_refused(ready_iso, make, deploy_vm, user_api, job_timeout):
    second = _ready(user_api, make.iso(purpose="iso2").id, job_timeout)
    vm = deploy_vm()
    user_api.attachIso(id=ready_iso.id, virtualmachineid=vm.id)
    with pytest.raises(CloudStackError) as refused:
        user_api.attachIso(id=second.id, virtualmachineid=vm.id)
    assert refused.value.errorcode == 431
    assert only(user_api.listVirtualMachines(id=vm.id)).isoid == ready_iso.id
    user_api.detachIso(virtualmachineid=vm.id)


def test_public_iso_is_visible_to_other_accounts(ready_iso, make, user_api):
    # "executable" lists only ready ISOs: the ISO must have downloaded
    iso = ready_iso
    other = make.api_for(make.account(purpose="other"))
    assert iso.id not in ids(listed(other, "listIsos", isofilter="executable", id=iso.id))
    user_api.updateIsoPermissions(id=iso.id, ispublic=True)
    assert iso.id in ids(other.listIsos(isofilter="executable", id=iso.id))


def test_extract_iso(ready_iso, user_api):
    extracted = user_api.extractIso(id=ready_iso.id, mode="HTTP_DOWNLOAD")
    assert extracted.id == ready_iso.id
    assert extracted.url.startswith(("http://", "https://"))


def test_delete_iso(make, user_api):
    iso = make.iso()
    user_api.deleteIso(id=iso.id)
    assert iso.id not in ids(listed(user_api, "listIsos", isofilter="self", id=iso.id))
