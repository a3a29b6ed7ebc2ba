"""Plain helpers of the smoke pack (no fixtures here: those are in conftest.py)."""
from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marvin2.client import CloudStackError
from marvin2.resources.errors import is_gone_error

# Data and defaults the pack uses when the config's test_data names none.
# The URLs are the ones upstream Marvin registers from; a real cloud needs
# `internet_access` (or its own test_data template_url / iso_url) to download them.
DEFAULT_TEMPLATE_URL = "http://download.cloudstack.org/templates/builtin/centos56-x86_64.vhd.bz2"
DEFAULT_ISO_URL = "http://download.cloudstack.org/testing/marvin/dummy.iso"
TEMPLATE_FORMATS = {"kvm": "QCOW2", "xenserver": "VHD", "vmware": "OVA", "simulator": "VHD", "lxc": "TAR",
                    "hyperv": "VHD", "ovm3": "RAW"}

GIB = 1024 ** 3


# --- small pure helpers ---------------------------------------------------------------


def b64(text: str) -> str:
    """Base64 of a UTF-8 text (user data travels base64-encoded)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def only(items: list, what: str = "item") -> Any:
    """The single element of ``items``; a clear assertion error otherwise."""
    assert isinstance(items, list) and len(items) == 1, f"expected exactly one {what}, got {items!r}"
    return items[0]


def host_of(cloud: Any, vm_id: str) -> str | None:
    """The host a VM runs on, as the admin sees it (CloudStack shows host ids to admins only)."""
    found = cloud.listVirtualMachines(id=vm_id, listall=True) or []
    return found[0].get("hostid") if found else None


def ids(items: list | None) -> list[str]:
    return [item["id"] for item in items or []]


def quiet_call(api: Any, command: str, **params: Any) -> None:
    """Call an undo API; "does not exist" means someone (the test) did it already."""
    try:
        api.call(command, params)
    except CloudStackError as error:
        if not is_gone_error(error):
            raise


def login_domain(path: str) -> str:
    """The login ``domain`` of a domain path: ROOT -> "/", ROOT/a/b -> "/a/b"."""
    parts = path.split("/")[1:] if path.upper().startswith("ROOT") else path.strip("/").split("/")
    return "/" + "/".join(p for p in parts if p)


def setting_value(api: Any, name: str, **scope: Any) -> str | None:
    """The current value of a setting (at a scope: accountid=, zoneid=, ...)."""
    for item in api.listConfigurations(name=name, **scope) or []:
        if item.get("name") == name:  # the name filter is a substring match
            return item.get("value")
    return None


# --- waiting on something that has no state field -------------------------------------------


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` (growing interval, capped at 2 s) until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
        interval = min(2.0, interval * 1.6)



# --- SSH into guests (required_hardware tests) ---------------------------------------------


@dataclass(frozen=True)
class SshSettings:
    username: str
    password: str | None
    key_filename: str | None

    def __repr__(self) -> str:  # never show the password
        return f"SshSettings(username={self.username!r}, key_filename={self.key_filename!r})"


class GuestShell:
    """An SSH session into a guest; ``run`` returns (exit status, stdout, stderr)."""

    def __init__(self, client: Any, where: str):
        self.client = client
        self.where = where

    def run(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        stdin, stdout, stderr = self.client.exec_command(command, timeout=timeout)
        stdin.close()
        status = stdout.channel.recv_exit_status()
        return status, stdout.read().decode("utf-8", "replace"), stderr.read().decode("utf-8", "replace")

    def close(self) -> None:
        self.client.close()


def ssh_connect(host: str, port: int, settings: SshSettings, *, timeout: float = 300.0,
                connect_timeout: float = 10.0) -> GuestShell:
    """Connect to a guest, retrying until ``timeout`` (a new guest needs time to boot)."""
    import paramiko  # only the hardware tests need it

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(host, port=port, username=settings.username, password=settings.password,
                           key_filename=settings.key_filename, timeout=connect_timeout,
                           banner_timeout=connect_timeout, auth_timeout=connect_timeout,
                           look_for_keys=False, allow_agent=False)
            return GuestShell(client, f"{settings.username}@{host}:{port}")
        except (OSError, paramiko.SSHException, EOFError) as error:
            last_error = error
            client.close()
            time.sleep(5)
    raise AssertionError(f"could not SSH to {settings.username}@{host}:{port} within {timeout:g}s: {last_error}")


# --- lists that may answer "does not exist" ------------------------------------------------------


def listed(api: Any, command: str, **params: Any) -> list:
    """The items of a list API; [] when the server says the filtered entity does not exist.

    Real servers answer a list filtered by the uuid of a deleted (or foreign)
    entity either with an empty list or with 431 "entity does not exist".
    """
    try:
        return list(api.call(command, params) or [])
    except CloudStackError as error:
        if error.errorcode in (431, 531) or is_gone_error(error):
            return []
        raise
