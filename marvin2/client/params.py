"""Checking and encoding call parameters against the spec, before sending.

Names match case-insensitively and are sent as the spec spells them. A ``str``
value is always sent verbatim (the caller chose the wire text, which is how
negative tests send bad values on purpose); any other Python value is
converted according to the parameter's declared type, or rejected when it
cannot mean anything for that type (a dict for an integer, an empty list...).
"""
from __future__ import annotations

import datetime as _dt
import difflib
import re
import uuid as _uuid
from typing import Any, Callable, Mapping

from marvin2 import wire
from marvin2.client.errors import ParameterError
from marvin2.client.spec import ApiSpec, ParamSpec

__all__ = ["prepare_params", "encode_unchecked"]

_MAP_KEY = re.compile(r"^([^\[\]]+)\[\d+\]\.[^.]+")
_INT_RANGES = {
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def _kind(value: Any) -> str:
    return type(value).__name__


def _bad(api: ApiSpec, param: ParamSpec, value: Any, expected: str) -> ParameterError:
    return ParameterError(
        api.name,
        f"parameter {param.name} ({param.type}) expects {expected}, got {_kind(value)} {value!r:.60}",
        parameter=param.name,
    )


def _boolean(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    raise _bad(api, param, value, "a bool")


def _integer(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(api, param, value, "an int")
    low, high = _INT_RANGES.get(param.type, _INT_RANGES["long"])
    if not low <= value <= high:
        raise ParameterError(api.name, f"parameter {param.name} ({param.type}) is out of range: {value}", parameter=param.name)
    return str(value)


def _floating(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(api, param, value, "a number")
    return repr(float(value)) if isinstance(value, float) else str(value)


def _scalar_text(value: Any) -> str | None:
    """Wire text of a plain scalar, or None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, _uuid.UUID):
        return str(value)
    if isinstance(value, _dt.datetime):
        return wire.format_tzdate(value)
    if isinstance(value, _dt.date):
        return wire.format_date(value)
    return None


def _string(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    text = _scalar_text(value)
    if text is None:
        raise _bad(api, param, value, "a str")
    return text


def _uuid_value(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, _uuid.UUID):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an internal id; some servers still accept them
    raise _bad(api, param, value, "a UUID (str or uuid.UUID)")


def _list(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)  # deterministic order (and signature)
    if not isinstance(value, (list, tuple)):
        text = _scalar_text(value)
        if text is None:
            raise _bad(api, param, value, "a list")
        return text
    if not value:
        # An empty id list would silently turn a filter off (listX ids=[]
        # lists everything): make the caller say None instead.
        raise ParameterError(api.name, f"parameter {param.name} (list) is empty; pass None to leave it out", parameter=param.name)
    items = []
    for item in value:
        text = item if isinstance(item, str) else _scalar_text(item)
        if text is None:
            raise _bad(api, param, item, "list items that are str, numbers, bools or UUIDs")
        if "," in text:
            raise ParameterError(api.name, f"parameter {param.name} (list): item {text!r} contains a comma, which separates items on the wire", parameter=param.name)
        items.append(text)
    return wire.encode_value(items)


def _date(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, _dt.date):  # datetime included: wire picks the form
        return wire.encode_value(value)
    raise _bad(api, param, value, "a datetime.date")


def _tzdate(api: ApiSpec, param: ParamSpec, value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return wire.format_tzdate(value)
    raise _bad(api, param, value, "a datetime.datetime (naive means UTC)")


_CONVERTERS: dict[str, Callable[[ApiSpec, ParamSpec, Any], str]] = {
    "boolean": _boolean,
    "integer": _integer,
    "long": _integer,
    "short": _integer,
    "float": _floating,
    "double": _floating,
    "list": _list,
    "date": _date,
    "tzdate": _tzdate,
    "uuid": _uuid_value,
    "string": _string,
    "object": _string,
}


def _unknown(api: ApiSpec, given: str) -> ParameterError:
    names = [p.name for p in api.params]
    close = difflib.get_close_matches(given.lower(), [n.lower() for n in names], n=3, cutoff=0.6)
    suggestions = [api.param_index[c].name for c in close]
    listing = ", ".join(names) if len(names) <= 40 else ", ".join(names[:40]) + ", ..."
    return ParameterError(
        api.name,
        f"unknown parameter {given!r} (parameters: {listing or 'none'})",
        parameter=given,
        suggestions=suggestions,
    )


def prepare_params(api: ApiSpec, given: Mapping[str, Any]) -> dict[str, str]:
    """Check ``given`` against ``api`` and return the wire parameters.

    Raises ``ParameterError`` for an unknown name, a name given twice in
    different spellings, a missing required parameter or an unusable value.
    """
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    index = api.param_index
    for name, value in given.items():
        if not isinstance(name, str):
            raise ParameterError(api.name, f"parameter names must be str, got {name!r}")
        param = index.get(name.lower())
        if param is None:
            match = _MAP_KEY.match(name)
            base = index.get(match.group(1).lower()) if match else None
            if base is not None and base.type == "map":
                # Already in wire form (tags[0].key=...): trust the caller.
                if value is not None:
                    out[base.name + name[len(match.group(1)):]] = value if isinstance(value, str) else _string(api, base, value)
                    seen[base.name.lower()] = name
                continue
            raise _unknown(api, name)
        key = param.name.lower()
        if key in seen:
            raise ParameterError(api.name, f"parameter {param.name} given twice ({seen[key]!r} and {name!r})", parameter=param.name)
        seen[key] = name
        if value is None:
            continue
        if param.type == "map":
            if isinstance(value, str):
                raise _bad(api, param, value, "a dict or a list of dicts")
            if not value or not (isinstance(value, Mapping) or all(isinstance(v, Mapping) for v in value)):
                raise _bad(api, param, value, "a non-empty dict or list of dicts")
            out.update(wire.encode_params({param.name: value}, command=api.name, map_names=(param.name,)))
            continue
        if isinstance(value, str):
            out[param.name] = value
            continue
        converter = _CONVERTERS.get(param.type, _string)
        out[param.name] = converter(api, param, value)
    missing = [p for p in api.required if p.lower() not in seen or _absent(given, seen[p.lower()])]
    if missing:
        raise ParameterError(
            api.name,
            f"missing required parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            parameter=missing[0],
        )
    return out


def _absent(given: Mapping[str, Any], name: str) -> bool:
    return given.get(name) is None


def encode_unchecked(command: str, given: Mapping[str, Any]) -> dict[str, str]:
    """Encode without checking against a spec (``api.call(..., validate=False)``)."""
    return wire.encode_params(given, command=command)
