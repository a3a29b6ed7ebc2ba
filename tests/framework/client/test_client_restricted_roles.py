"""connect() for accounts whose role denies the APIs the client itself uses.

listCapabilities only tells the server version (the spec-cache key): a role
that denies it leaves the version unknown and the spec is fetched uncached.
listApis is what the client is built from: a role that denies it gets a clear
MarvinError saying so and how to proceed (spec=...), never a bare 432.
"""
from __future__ import annotations

import logging
import pickle

import pytest

import marvin2
from marvin2.client import CloudStackError, MarvinError, Spec
from marvin2.client.connect import ListApisDenied

from fakemgmt import error


def deny(fake, command: str, account: str = "restricted") -> None:
    """The fake answers ``command`` as a real server does for an API the caller's role denies."""

    def refuse(request):
        raise error(command, 432, f"The API [{command}] does not exist or is not available for the account {account}.")

    fake.on(command, refuse)


def test_denied_list_capabilities_connects_without_the_cache(fake, connect_fake, private_cache, caplog):
    deny(fake, "listCapabilities")
    with caplog.at_level(logging.DEBUG, logger="marvin2.client"):
        api = connect_fake()
    assert api.spec.version is None
    assert "listZones" in api.spec
    assert [z.name for z in api.listZones()] == ["zone0", "zone1"]
    assert fake.count("listCapabilities") == 1 and fake.count("listApis") == 1
    # Without a version there is no safe cache key: nothing is written, the next connect asks again.
    assert not list(private_cache.glob("spec-*.json"))
    connect_fake()
    assert fake.count("listApis") == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "marvin2.client" and r.levelno == logging.DEBUG]
    assert any("listCapabilities is not available" in m and "version is unknown" in m for m in messages), messages
    assert not [r for r in caplog.records if r.name == "marvin2.client" and r.levelno >= logging.WARNING]


def test_top_level_connect_with_denied_list_capabilities(fake):
    deny(fake, "listCapabilities")
    api = marvin2.connect(fake.url, api_key=fake.api_key, secret_key=fake.secret_key)
    try:
        assert api.spec.version is None and "deployVirtualMachine" in api.spec
    finally:
        api.close()


def test_other_list_capabilities_errors_are_not_hidden(fake, connect_fake):
    def broken(request):
        raise error("listCapabilities", 530, "Internal error executing command")

    fake.on("listCapabilities", broken)
    with pytest.raises(CloudStackError) as caught:
        connect_fake(retries=0)
    assert caught.value.errorcode == 530 and caught.value.command == "listCapabilities"
    assert fake.count("listApis") == 0


@pytest.mark.parametrize("capabilities_denied", [False, True])
def test_denied_list_apis_is_a_clear_error(fake, connect_fake, private_cache, capabilities_denied):
    deny(fake, "listApis")
    if capabilities_denied:
        deny(fake, "listCapabilities")
    with pytest.raises(ListApisDenied) as caught:
        connect_fake()
    problem = caught.value
    assert isinstance(problem, MarvinError) and not isinstance(problem, CloudStackError)
    text = str(problem)
    assert fake.url in text
    assert "role does not allow listApis" in text
    assert "cannot know which APIs the server offers" in text
    assert "spec=" in text and "admin" in text
    assert "The API [listApis] does not exist or is not available for the account restricted." in text
    assert fake.secret_key not in text and fake.secret_key not in repr(problem)
    assert problem.cause.errorcode == 432 and problem.endpoint == fake.url
    assert not list(private_cache.glob("spec-*.json"))
    # The advice works: the spec of a connection allowed to read listApis (here: the capture of this fake).
    fetched = Spec.from_document({"count": len(fake.apis), "api": fake.apis})
    api = connect_fake(spec=fetched)
    assert fake.count("listApis") == 1, "with spec= the client must not ask listApis again"
    assert [z.name for z in api.listZones()] == ["zone0", "zone1"]


def test_denied_list_apis_via_the_top_level_connect(fake):
    deny(fake, "listApis")
    with pytest.raises(MarvinError, match="does not allow listApis"):
        marvin2.connect(fake.url, api_key=fake.api_key, secret_key=fake.secret_key)


def test_the_error_survives_pickling(fake, connect_fake):
    # xdist workers send exceptions to the controller pickled.
    deny(fake, "listApis")
    with pytest.raises(ListApisDenied) as caught:
        connect_fake()
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is ListApisDenied and str(copy) == str(caught.value)
    assert copy.cause.errorcode == 432


def test_an_unknown_command_432_elsewhere_is_untouched(fake, connect_fake):
    # Only the client's own start-up calls are softened; a 432 of a user's call is the server's answer.
    api = connect_fake()
    deny(fake, "listZones")
    with pytest.raises(CloudStackError) as caught:
        api.listZones()
    assert caught.value.errorcode == 432


# --- the same against the embedded simulator, with real custom roles ---------------------------------------


@pytest.fixture(scope="module")
def simulator():
    from marvin2.simulator import start_simulator

    sim = start_simulator(port=0, db=":memory:", profile="instant")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def admin(simulator):
    api = marvin2.connect(simulator.endpoint, api_key=simulator.admin_api_key, secret_key=simulator.admin_secret_key)
    yield api
    api.close()


def _account_with_rules(admin, rules: list[tuple[str, str]]) -> tuple[str, str]:
    """Keys of a new user account whose custom User role has ``rules`` (rule, allow/deny), in order."""
    import uuid

    name = "restricted-" + uuid.uuid4().hex[:8]
    role = admin.createRole(name=name, type="User", description="restricted")
    for rule, permission in rules:
        admin.createRolePermission(roleid=role.id, rule=rule, permission=permission)
    account = admin.createAccount(username=name, password="password", email=f"{name}@example.com", firstname="R",
                                  lastname="R", roleid=role.id)
    keys = admin.registerUserKeys(id=account.user[0].id)
    return keys.apikey, keys.secretkey


def test_simulator_role_without_list_capabilities(admin, simulator):
    api_key, secret_key = _account_with_rules(admin, [("listCapabilities", "deny"), ("list*", "allow"), ("*", "deny")])
    api = marvin2.connect(simulator.endpoint, api_key=api_key, secret_key=secret_key)
    try:
        assert api.spec.version is None
        assert [z.name for z in api.listZones()] == ["Sandbox-simulator"]
        assert "deployVirtualMachine" not in api.spec  # listApis follows the role
    finally:
        api.close()


def test_simulator_role_without_list_apis(admin, simulator):
    api_key, secret_key = _account_with_rules(admin, [("listApis", "deny"), ("list*", "allow"), ("*", "deny")])
    with pytest.raises(ListApisDenied, match="role does not allow listApis") as caught:
        marvin2.connect(simulator.endpoint, api_key=api_key, secret_key=secret_key)
    assert secret_key not in str(caught.value)
    # The way out the message gives: the admin's spec.
    api = marvin2.connect(simulator.endpoint, api_key=api_key, secret_key=secret_key, spec=admin.spec)
    try:
        assert [z.name for z in api.listZones()] == ["Sandbox-simulator"]
    finally:
        api.close()
