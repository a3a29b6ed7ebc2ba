"""Session login: POST only, cookies plus sessionkey parameter, re-login on expiry."""
from __future__ import annotations

import pytest

import marvin2.client as client
from marvin2.client import CloudStackError


@pytest.fixture
def session_api(fake):
    api = client.connect(fake.url, username="admin", password="password", domain="/")
    yield api
    api.close()


def test_login_is_a_post_and_later_calls_carry_cookie_and_parameter(fake, session_api):
    [login] = [c for c in fake.calls if c.command == "login"]
    assert login.method == "POST"
    assert login.form["username"] == "admin" and login.form["domain"] == "/"
    assert "password" not in login.query, "the password never goes in the URL"
    session_api.listZones()
    call = fake.calls[-1]
    assert call.command == "listZones"
    assert call.params["sessionkey"] == call.cookies["sessionkey"]
    assert call.cookies.get("JSESSIONID")
    assert "signature" not in call.params and "apiKey" not in call.params


def test_session_expiry_logs_in_again_once_and_retries_once(fake, session_api):
    session_api.listZones()
    fake.expire_sessions()
    zones = session_api.listZones()
    assert len(zones) == 2
    assert fake.commands()[-3:] == ["listZones", "login", "listZones"]


def test_a_create_is_repeated_after_relogin_because_401_means_not_executed(fake, session_api):
    fake.on("createNetwork", lambda request: {"network": {"id": "n1", "name": request.params["name"]}})
    fake.expire_sessions()
    network = session_api.createNetwork(name="net", zoneid="z1")
    assert network.id == "n1"
    assert fake.commands()[-3:] == ["createNetwork", "login", "createNetwork"]


def test_a_second_401_is_raised_not_looped(fake, session_api):
    from fakemgmt import error

    def always_401(request):
        raise error("listZones", 401, "unable to verify user credentials and/or request signature", None)

    fake.on("listZones", always_401)
    with pytest.raises(CloudStackError) as caught:
        session_api.listZones()
    assert caught.value.errorcode == 401
    assert fake.commands()[-3:] == ["listZones", "login", "listZones"]


def test_bad_password_is_a_531_without_the_password(fake):
    with pytest.raises(CloudStackError) as caught:
        client.connect(fake.url, username="admin", password="not-the-password")
    error = caught.value
    assert error.errorcode == 531 and error.command == "login"
    assert "not-the-password" not in str(error) + repr(error) + repr(error.params)
    assert error.params["password"] == "********"


def test_api_keys_are_preferred_when_both_are_configured(fake):
    api = client.connect(fake.url, api_key="KEY", secret_key="SECRET", username="admin", password="password")
    try:
        api.listZones()
    finally:
        api.close()
    assert "login" not in fake.commands()
    assert all("signature" in c.params for c in fake.calls if c.command != "logout")


def test_close_logs_out(fake):
    api = client.connect(fake.url, username="admin", password="password")
    api.close()
    assert fake.commands()[-1] == "logout"
    assert not fake.sessions


def test_get_login_is_refused_by_a_real_server(fake):
    # The fake behaves like a real server (405 for a GET login); this pins
    # down that our client never depends on GET for login.
    import requests

    answer = requests.get(fake.url, params={"command": "login", "username": "admin", "password": "password", "response": "json"}, timeout=5)
    assert answer.status_code == 405
