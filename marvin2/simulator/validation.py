"""Turn a request's raw parameters into typed values, as a real server's dispatcher does.

Runs before the handler (and before an async job is queued), answering with
the exact texts of a real server: missing parameter, invalid value, unknown
uuid, over-long string, malformed map. Unknown parameters are ignored.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Mapping

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.declare import Api, Param

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INT_RANGES = {"short": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def lower_params(raw: Mapping[str, str]) -> dict[str, str]:
    """Parameter names lower-cased for dispatch (the first spelling wins on a clash)."""
    out: dict[str, str] = {}
    for name, value in raw.items():
        out.setdefault(name.lower(), value)
    return out


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def validate(declared: Api, raw: Mapping[str, str], store, root_admin: bool = False) -> dict[str, Any]:
    """Typed parameters keyed by lower-case name, checked one by one in the server's order for this kind of
    caller (a root admin's command class may differ); raises ``ApiError`` (431) on bad input."""
    lowered = lower_params(raw)
    out: dict[str, Any] = {}
    for param in declared.params_for(root_admin):
        if param.type == "map":
            value = _map_value(declared, param, raw)
            if value:
                out[param.key] = value
            elif param.required:
                raise errors.missing_parameter(declared.name, param.name)
            continue
        text = lowered.get(param.key)
        if text is None or text == "":
            if param.required:
                raise errors.missing_parameter(declared.name, param.name)
            continue
        if not declared.check_types:
            out[param.key] = text
            continue
        out[param.key] = _convert(declared, param, text, store)
    return out


def _convert(declared: Api, param: Param, text: str, store) -> Any:
    kind = param.type
    if kind in ("string", "object"):
        if len(text) > param.length:
            raise errors.param_error(f"Value greater than max allowed length {param.length} for param: {param.name}")
        return text
    if kind in _INT_RANGES:
        try:
            number = int(text.strip())
        except ValueError:
            raise errors.bad_value(declared.name, param.name, text) from None
        low, high = _INT_RANGES[kind]
        if not low <= number <= high:
            raise errors.bad_value(declared.name, param.name, text)
        return number
    if kind in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise errors.bad_value(declared.name, param.name, text) from None
    if kind == "boolean":
        # Java's Boolean.valueOf: only "true" (any case) is true, anything
        # else is false and never an error (clients send listall=1 and work).
        return text.strip().lower() == "true"
    if kind == "uuid":
        return _check_uuid(declared, param, text.strip(), store)
    if kind == "date":
        try:
            return _dt.datetime.strptime(text.strip()[:10], "%Y-%m-%d").date()
        except ValueError:
            raise errors.bad_value(declared.name, param.name, text) from None
    if kind == "tzdate":
        try:
            return wire.parse_tzdate(text)
        except ValueError:
            raise errors.bad_value(declared.name, param.name, text) from None
    if kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if len(text) > max(param.length, 4096):
            raise errors.param_error(f"Value greater than max allowed length {param.length} for param: {param.name}")
        return items
    raise errors.internal_error(f"parameter {param.name} of {declared.name} has unsupported type {kind}")


# projectid=-1 means "every project the caller can see" on the list APIs that scope their rows with
# AccountManagerImpl.buildACLSearchParameters (a real server's API layer lets "-1" through any uuid parameter
# and those lists act on it). These lists look the project up instead, so -1 stays an unknown id there.
ALL_PROJECTS = "-1"
_NO_ALL_PROJECTS = frozenset({"listVlanIpRanges", "listResourceLimits", "listProjectAccounts"})


def accepts_all_projects(declared: Api, param: Param) -> bool:
    """May ``param`` of ``declared`` be ``-1`` (all projects)? Optional ``projectid`` of a list API."""
    return (param.key == "projectid" and not param.required and declared.name.startswith("list")
            and declared.name not in _NO_ALL_PROJECTS)


def _check_uuid(declared: Api, param: Param, text: str, store) -> str:
    if text == ALL_PROJECTS and accepts_all_projects(declared, param):
        return text
    if not is_uuid(text):
        raise errors.unknown_uuid(declared.name, param.name, text)
    text = text.lower()
    target = param.target_kind
    if target and store.get(target, text) is None:
        raise errors.unknown_uuid(declared.name, param.name, text)
    return text


def _map_value(declared: Api, param: Param, raw: Mapping[str, str]) -> list[dict[str, str]]:
    # A plain "tags=x" (no [i].field) is as malformed as "tags[x]=y".
    for name in raw:
        if name.lower() == param.key:
            raise errors.param_error(
                f"Unable to execute API command {declared.name.lower()} due to malformed map parameter {name}: "
                f"expected {param.name}[index].field=value"
            )
    try:
        entries = wire.decode_map_param(raw, param.name)
    except ValueError as exc:
        raise errors.param_error(
            f"Unable to execute API command {declared.name.lower()} due to invalid value for parameter {param.name}: {exc}"
        ) from None
    return entries


def map_as_dict(entries: list[dict[str, str]]) -> dict[str, str]:
    """Key/value convention (``tags[0].key=k&tags[0].value=v``) → ``{k: v}``; 431 when an entry lacks ``key``."""
    out: dict[str, str] = {}
    for index, entry in enumerate(entries):
        lowered = {k.lower(): v for k, v in entry.items()}
        if "key" not in lowered:
            raise errors.param_error(f"map entry {index} has no 'key' field (expected name[{index}].key=...&name[{index}].value=...)")
        out[lowered["key"]] = lowered.get("value", "")
    return out
