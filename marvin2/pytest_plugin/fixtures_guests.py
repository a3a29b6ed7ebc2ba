"""SSH into guest VMs, for ``required_hardware`` tests (``marvin2.resources.ssh`` under pytest).

    def test_hostname(ssh_to_guest, ...):
        shell = ssh_to_guest(ip.ipaddress, 2222, timeout=600, password=vm.password)
        status, out, err = shell.run("hostname")     # the session is closed after the test

Credentials come from the config's ``test_data`` (``ssh_username``, default
root; ``ssh_password``; ``ssh_private_key``); ``password=`` logs in with that
password instead (one CloudStack generated for the VM).
"""
from __future__ import annotations

from typing import Any, Callable

import pytest

from marvin2.resources.cleanup import CleanupStack
from marvin2.resources.ssh import GuestShell, SshSettings, ssh_connect


@pytest.fixture(scope="session")
def ssh_settings(marvin2_config: Any) -> SshSettings:
    """Who to log in to guests as (from test_data; the password is never shown)."""
    return SshSettings.from_test_data(getattr(marvin2_config, "test_data", None))


@pytest.fixture
def ssh_to_guest(ssh_settings: SshSettings, cleanup_stack: CleanupStack) -> Callable[..., GuestShell]:
    """``ssh_to_guest(host, port=22, *, timeout=300, password=None)`` -> GuestShell, retried until
    ``timeout`` (a new guest needs time to boot) and closed after the test."""

    def connect(host: str, port: int = 22, *, timeout: float = 300.0, password: str | None = None) -> GuestShell:
        settings = ssh_settings if password is None else ssh_settings.with_password(password)
        shell = ssh_connect(host, port, settings, timeout=timeout)
        cleanup_stack.push(shell.close, description=f"close SSH to {host}:{port}")
        return shell

    return connect
