"""Isolation: one account + user + API keys per xdist worker (or per module).

``--account-scope worker`` (default): the account lives for the worker's
session; ``--account-scope module``: one per test module. Either way it is
deleted at the end of its scope (deleting an account also removes what it
owns), and ``user_api`` acts as its user.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from marvin2.pytest_plugin.fixtures_tracking import ResourceTracker, delete_timeout
from marvin2.pytest_plugin.options import get_option
from marvin2.pytest_plugin.session import connect_api
from marvin2.resources import accounts

_PURPOSE = re.compile(r"[^A-Za-z0-9]+")


def account_scope(fixture_name: str, config: pytest.Config) -> str:
    """pytest scope of the account fixtures, from ``--account-scope``."""
    return "module" if get_option(config, "marvin_account_scope") == "module" else "session"


@pytest.fixture(scope=account_scope)
def test_account(request: pytest.FixtureRequest, cloud: Any, domain: Any, run_context: Any, marvin2_config: Any):
    """An isolated user account with API keys (``AccountKeys``: ``.account``, ``.user``, ``.api_key``, ``.name``)."""
    if request.scope == "module":
        node_id = request.node.nodeid
        purpose = _PURPOSE.sub("-", request.module.__name__.rsplit(".", 1)[-1])[:20]
    else:
        node_id = f"session:{run_context.worker_id}"
        purpose = run_context.worker_id
    tracker = ResourceTracker(request.config, node_id, cloud, delete_timeout=delete_timeout(marvin2_config))
    # Registered before creating: if registerUserKeys fails after createAccount
    # worked, the account is still deleted.
    request.addfinalizer(tracker.finish)
    return accounts.create_account_with_keys(
        cloud, domainid=domain["id"], purpose=purpose, run_id=run_context.run_id,
        on_created=tracker.on_created_by("admin"))


@pytest.fixture(scope=account_scope)
def user_api(request: pytest.FixtureRequest, test_account: Any):
    """An API client acting as the ``test_account`` user (made with ``connect_api``)."""
    api = connect_api(request.config, api_key=test_account.api_key, secret_key=test_account.secret_key)
    yield api
    api.close()


@pytest.fixture
def user_api_full_spec(request: pytest.FixtureRequest, cloud: Any, test_account: Any):
    """The ``test_account`` user with the ADMIN's API list, to SEND admin-only APIs and see the server
    refuse them (``user_api`` refuses them before sending: the user's listApis lacks them)."""
    api = connect_api(request.config, api_key=test_account.api_key, secret_key=test_account.secret_key,
                      spec=cloud.spec, use_cache=False)
    yield api
    api.close()
