"""API keys and session login: signed requests, key rotation, login/logout."""
import pytest

from marvin2.client import CloudStackError
from marvin2.pytest_plugin.session import connect_api

from .helpers import login_domain

pytestmark = pytest.mark.tags("api-keys", "users", "smoke")


@pytest.mark.tags("quick-test")
def test_keys_sign_requests_as_their_user(make, zone):
    keys = make.account()
    api = make.api_for(keys)
    assert zone.id in [z.id for z in api.listZones()]
    # listAccounts without listall shows the caller's own account
    assert [a.id for a in api.listAccounts()] == [keys.id]


def test_get_user_keys_and_find_user_by_key(make, cloud):
    keys = make.account()
    stored = cloud.getUserKeys(id=keys.user.id)
    assert stored.apikey == keys.api_key
    same_secret = stored.secretkey == keys.secret_key  # compared aside: a failure must not print secrets
    assert same_secret, "getUserKeys returns the secret key registerUserKeys gave"
    found = cloud.getUser(userapikey=keys.api_key)
    assert (found.id, found.account) == (keys.user.id, keys.name)


def test_new_keys_replace_the_old_ones(make, cloud, request):
    keys = make.account()
    old = make.api_for(keys)
    assert old.listZones()
    fresh = cloud.registerUserKeys(id=keys.user.id)
    assert fresh.apikey != keys.api_key
    new = connect_api(request.config, api_key=fresh.apikey, secret_key=fresh.secretkey)
    try:
        assert new.listZones()
    finally:
        new.close()
    with pytest.raises(CloudStackError) as refused:
        old.listZones()
    assert refused.value.errorcode == 401


@pytest.mark.tags("negative")
def test_wrong_secret_key_is_refused(make, request):
    keys = make.account()
    with pytest.raises(CloudStackError) as refused:
        bad = connect_api(request.config, api_key=keys.api_key, secret_key="not-the-secret-key")
        bad.listZones()
    assert refused.value.errorcode == 401
    assert "not-the-secret-key" not in str(refused.value)


def test_session_login_and_logout(make, request, domain, zone):
    keys = make.account(password="Marvin2-login")
    session = connect_api(request.config, username=keys.user.username, password="Marvin2-login",
                          domain=login_domain(domain.path))
    try:
        assert zone.id in [z.id for z in session.listZones()]
        assert [a.id for a in session.listAccounts()] == [keys.id]
    finally:
        session.close()  # logs out


@pytest.mark.tags("negative")
def test_login_with_a_wrong_password_is_refused(make, request, domain):
    keys = make.account(password="Marvin2-login")
    with pytest.raises(CloudStackError) as refused:
        session = connect_api(request.config, username=keys.user.username, password="wrong-password",
                              domain=login_domain(domain.path))
        session.listZones()
    assert refused.value.errorcode == 531
    assert "wrong-password" not in str(refused.value)


@pytest.mark.tags("negative")
def test_login_in_the_wrong_domain_is_refused(make, request, domain):
    keys = make.account(password="Marvin2-login")
    other = make.domain(parentdomainid=domain.id)
    with pytest.raises(CloudStackError) as refused:
        session = connect_api(request.config, username=keys.user.username, password="Marvin2-login",
                              domain=login_domain(other.path))
        session.listZones()
    assert refused.value.errorcode == 531
