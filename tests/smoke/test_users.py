"""Users of an account: create, update, disable/enable, delete."""
import pytest

from marvin2.client import CloudStackError
from marvin2.pytest_plugin.session import connect_api

from .helpers import ids, listed, login_domain

pytestmark = pytest.mark.tags("users", "accounts", "smoke")


@pytest.mark.tags("quick-test")
def test_create_user_in_an_account(make, cloud):
    keys = make.account()
    user = make.user(keys.account, timezone="Europe/Paris")
    assert user.account == keys.name
    assert user.accountid == keys.id
    assert user.state == "enabled"
    assert user.timezone == "Europe/Paris"
    assert sorted(u.username for u in cloud.listUsers(account=keys.name, domainid=keys.domainid)) == \
        sorted([keys.user.username, user.username])


def test_update_user(make, cloud):
    user = make.user(make.account().account)
    updated = cloud.updateUser(id=user.id, email="new@marvin2.test", firstname="Updated", lastname="User")
    assert (updated.email, updated.firstname, updated.lastname) == ("new@marvin2.test", "Updated", "User")


def test_disable_and_enable_user(make, cloud):
    keys = make.account()
    api = make.api_for(keys)
    assert cloud.disableUser(id=keys.user.id).state == "disabled"
    with pytest.raises(CloudStackError) as refused:
        api.listZones()
    assert refused.value.errorcode == 401
    assert cloud.enableUser(id=keys.user.id).state == "enabled"
    assert api.listZones()


def test_delete_user(make, cloud):
    keys = make.account()
    user = make.user(keys.account)
    cloud.deleteUser(id=user.id)
    assert user.id not in ids(listed(cloud, "listUsers", id=user.id))
    assert keys.user.id in ids(cloud.listUsers(id=keys.user.id)), "the account's other user stays"


def test_user_changes_own_password_and_logs_in(make, request, domain):
    keys = make.account(password="Old-pass-1")
    api = make.api_for(keys)
    api.updateUser(id=keys.user.id, password="New-pass-2", currentpassword="Old-pass-1")
    session = connect_api(request.config, username=keys.user.username, password="New-pass-2",
                          domain=login_domain(domain.path))
    try:
        assert session.listZones()
    finally:
        session.close()


@pytest.mark.tags("negative", "isolation")
def test_user_cannot_update_another_user(make, user_api):
    other = make.account(purpose="other")
    with pytest.raises(CloudStackError) as refused:
        user_api.updateUser(id=other.user.id, firstname="hijacked")
    assert refused.value.errorcode == 531
