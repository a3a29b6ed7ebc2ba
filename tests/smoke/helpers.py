"""Plain helpers of the smoke pack (no fixtures here: those are in conftest.py and the plugin)."""
from __future__ import annotations

import base64
from typing import Any

import pytest

from marvin2.resources import lookup
from marvin2.resources.waiters import wait_until  # noqa: F401 - re-exported for the pack's modules

GIB = 1024 ** 3


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


def login_domain(path: str) -> str:
    """The login ``domain`` of a domain path: ROOT -> "/", ROOT/a/b -> "/a/b"."""
    parts = path.split("/")[1:] if path.upper().startswith("ROOT") else path.strip("/").split("/")
    return "/" + "/".join(p for p in parts if p)


def listed(api: Any, command: str, **params: Any) -> list:
    """The items of a list API; [] when the server says the filtered entity does not exist or is not
    the caller's (431, or 531 from the lists that check the owner first)."""
    return lookup.listed(api, command, refusals=(431, 531), **params)


def skip_unless_downloadable(config: Any, url_key: str, what: str) -> None:
    """Skip unless registered images can download: the simulator, ``internet_access``, or a test_data URL."""
    if not (config.has("internet_access") or config.has("simulator") or (config.test_data or {}).get(url_key)):
        pytest.skip(f"registered {what} cannot download: the config has neither the `internet_access` "
                    f"capability nor a test_data {url_key}")
