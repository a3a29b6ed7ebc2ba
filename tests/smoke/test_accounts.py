"""Accounts: create, list, update, disable/lock/enable, delete (with what they own)."""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import ids, listed, only

pytestmark = pytest.mark.tags("accounts", "smoke")


@pytest.mark.tags("quick-test")
def test_create_user_account(make, cloud, domain):
    keys = make.account()
    account = keys.account
    assert account.accounttype == 0
    assert account.state == "enabled"
    assert account.domainid == domain.id
    assert "User" in (account.get("roletype"), account.get("rolename"))
    user = only(account.user, "user")
    assert user.username == account.name
    assert user.state == "enabled"
    assert account.id in ids(cloud.listAccounts(name=account.name, domainid=domain.id))


def test_new_account_works_with_its_keys(make, zone):
    api = make.api_for(make.account())
    assert zone.id in ids(api.listZones())
    assert api.listVirtualMachines() == []


def test_rename_account(make, cloud):
    keys = make.account()
    renamed = cloud.updateAccount(id=keys.id, newname=keys.name + "-x")
    assert renamed.name == keys.name + "-x"
    assert only(cloud.listAccounts(id=keys.id)).name == keys.name + "-x"


def test_disable_then_enable(make, cloud):
    keys = make.account()
    api = make.api_for(keys)
    disabled = cloud.disableAccount(id=keys.id, lock=False)
    assert disabled.state == "disabled"
    with pytest.raises(CloudStackError) as refused:
        api.listVirtualMachines()
    assert refused.value.errorcode == 401, "a disabled account's keys no longer authenticate"

    enabled = cloud.enableAccount(id=keys.id)
    assert enabled.state == "enabled"
    assert api.listVirtualMachines() == []


def test_lock_account(make, cloud):
    keys = make.account()
    locked = cloud.disableAccount(id=keys.id, lock=True)
    assert locked.state == "locked"
    assert only(cloud.listAccounts(id=keys.id, state="locked")).id == keys.id


def test_delete_account_removes_its_resources(make, deploy_vm, cloud, job_timeout):
    keys = make.account()
    vm = deploy_vm(api=make.api_for(keys))
    cloud.deleteAccount(id=keys.id)
    assert keys.id not in ids(listed(cloud, "listAccounts", id=keys.id))
    r.wait_for_vm_expunged(cloud, vm.id, timeout=job_timeout)


@pytest.mark.tags("negative", "roles")
def test_users_may_not_create_accounts(user_api, user_api_full_spec, domain):
    assert "createAccount" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.createAccount(username="m2-refused", account="m2-refused", email="x@marvin2.test",
                                         firstname="m", lastname="2", password="password", accounttype=0,
                                         domainid=domain.id)
    assert refused.value.errorcode == 432


@pytest.mark.tags("negative")
def test_duplicate_account_name_is_refused(make, cloud, domain):
    keys = make.account()
    with pytest.raises(CloudStackError) as refused:
        cloud.createAccount(account=keys.name, username=keys.name + "-2", email="dup@marvin2.test", firstname="m",
                            lastname="2", password="password", accounttype=0, domainid=domain.id)
    assert refused.value.errorcode == 431
    assert len(cloud.listAccounts(name=keys.name, domainid=domain.id)) == 1


def test_admin_account(make, cloud):
    keys = make.account(accounttype=1)
    assert keys.account.accounttype == 1
    admin = make.api_for(keys)
    assert "createZone" in admin.spec, "an admin account sees admin APIs"
