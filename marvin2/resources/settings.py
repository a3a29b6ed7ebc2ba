"""Reading and changing CloudStack settings (``listConfigurations`` / ``updateConfiguration``).

A setting has a global value and may have one per scope (``accountid``,
``domainid``, ``zoneid``, ``clusterid``, ``storageid``, ``imagestoreuuid``):
every function takes the scope as keyword arguments, none meaning global.
"""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import call


def setting_value(api: Any, name: str, **scope: Any) -> str | None:
    """The current value of setting ``name`` (at ``scope``), None when the server has no such setting.

    listConfigurations' ``name`` filter matches substrings, so the exact name is picked out.
    """
    for item in call(api, "listConfigurations", name=name, **scope) or []:
        if item.get("name") == name:
            return item.get("value")
    return None


def change_setting(api: Any, name: str, value: Any, **scope: Any) -> tuple[Any, str | None]:
    """updateConfiguration; returns ``(the server's answer, the value before)`` for :func:`restore_setting`."""
    old = setting_value(api, name, **scope)
    answer = call(api, "updateConfiguration", name=name, value=value, **scope)
    return answer, old


def restore_setting(api: Any, name: str, old: str | None, **scope: Any) -> bool:
    """Put ``old`` back unless the setting already has it; True when a change was needed.

    A setting that had no value (None) gets the empty value, which the server
    treats as unset.
    """
    if setting_value(api, name, **scope) == old:
        return False
    call(api, "updateConfiguration", name=name, value="" if old is None else old, **scope)
    return True
