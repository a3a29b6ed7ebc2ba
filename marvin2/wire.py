"""The CloudStack wire format, shared by the client and the simulator.

Everything here is pure (no I/O, no third-party imports) so that both sides of
the protocol agree byte for byte: signing, parameter encoding, envelopes,
dates. See ../shared/cloudstack/API-FACTS.md for the facts this follows.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import re
from typing import Any, Iterable, Mapping

__all__ = [
    "SIGNATURE_ERROR_TEXT",
    "java_urlencode",
    "signing_string",
    "sign",
    "verify_signature",
    "format_tzdate",
    "parse_tzdate",
    "format_date",
    "now_text",
    "encode_value",
    "encode_params",
    "decode_map_param",
    "response_key",
    "error_envelope",
    "unwrap_envelope",
    "SECRET_PARAM_NAMES",
    "mask_secrets",
    "dumps",
]

# The one text a real server answers for every credential failure.
SIGNATURE_ERROR_TEXT = "unable to verify user credentials and/or request signature"

# Java's URLEncoder leaves only these unencoded (space becomes '+', which
# CloudStack then rewrites to %20, so we emit %20 directly).
_JAVA_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")


def java_urlencode(value: str) -> str:
    """Encode like Java's ``URLEncoder.encode(v, "UTF-8")`` with '+' -> '%20'.

    Unlike ``urllib.parse.quote`` this encodes '~' as '%7E'.
    """
    out = []
    for byte in value.encode("utf-8"):
        if byte in _JAVA_SAFE:
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def signing_string(params: Mapping[str, Any]) -> str:
    """The lower-cased, sorted ``name=value`` string that gets signed.

    Sorted case-sensitively by name as sent (before lower-casing), every
    parameter but ``signature`` included.
    """
    pairs = sorted((k, v) for k, v in params.items() if k != "signature")
    joined = "&".join(f"{k}={java_urlencode(str(v))}" for k, v in pairs)
    return joined.lower()


def sign(params: Mapping[str, Any], secret_key: str) -> str:
    """HMAC-SHA1 signature (base64 with padding) of a request's parameters."""
    digest = hmac.new(secret_key.encode("utf-8"), signing_string(params).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(params: Mapping[str, Any], secret_key: str, signature: str) -> bool:
    """Constant-time comparison of ``signature`` with the expected one."""
    return hmac.compare_digest(sign(params, secret_key).encode(), (signature or "").encode())


# --- dates -------------------------------------------------------------------

_TZ_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def format_tzdate(moment: _dt.datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ss+0000`` (older servers reject the ``Z`` form)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_tzdate(text: str) -> _dt.datetime:
    """Parse ``2030-01-01T00:00:00+0000`` (also accepts ``Z`` and ``+00:00``)."""
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+0000"
    cleaned = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", cleaned)
    return _dt.datetime.strptime(cleaned, _TZ_FORMAT)


def format_date(moment: _dt.date) -> str:
    """The ``date`` parameter type: ``yyyy-MM-dd``."""
    return moment.strftime("%Y-%m-%d")


def now_text() -> str:
    """A response timestamp as the server writes it."""
    return format_tzdate(_dt.datetime.now(_dt.timezone.utc))


# --- parameter encoding ----------------------------------------------------------

# Map parameters that use the key/value pair convention (tags[0].key=k&tags[0].value=v);
# every other map uses one field per key (details[0].cpunumber=2).
KEY_VALUE_MAPS = frozenset({"tags", "details@addImageStore", "details@addImageStoreS3", "details@addSecondaryStorage"})


def encode_value(value: Any) -> str:
    """Encode a scalar or list value as CloudStack expects on the wire."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        return format_tzdate(value)
    if isinstance(value, _dt.date):
        return format_date(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [encode_value(v) for v in value]
        return ",".join(i for i in items if i != "")
    return str(value)


def _map_entries(name: str, value: Any, key_value: bool) -> Iterable[tuple[str, str]]:
    # A dict {k: v} or a list of dicts; a list of dicts is sent entry by entry.
    if isinstance(value, Mapping):
        if key_value:
            entries = [{"key": k, "value": v} for k, v in value.items()]
        else:
            entries = [dict(value)]
    else:
        entries = [dict(v) for v in value]
    for index, entry in enumerate(entries):
        for field, field_value in entry.items():
            # None means "not given" (deleteTags with a key only), never the text "None".
            if field_value is not None:
                yield f"{name}[{index}].{field}", encode_value(field_value)


def encode_params(params: Mapping[str, Any], *, command: str = "", map_names: Iterable[str] = ()) -> dict[str, str]:
    """Flatten Python values into wire parameters.

    ``None`` values are dropped. Dicts (and lists of dicts) become map
    parameters; ``tags`` and a few ``details`` use the key/value convention.
    ``map_names`` lists parameters known (from the spec) to be maps.
    """
    known_maps = set(map_names)
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        is_map = isinstance(value, Mapping) or (
            isinstance(value, (list, tuple)) and value and all(isinstance(v, Mapping) for v in value)
        )
        if is_map or (name in known_maps and not isinstance(value, str)):
            key_value = name in KEY_VALUE_MAPS or f"{name}@{command}" in KEY_VALUE_MAPS
            out.update(_map_entries(name, value, key_value))
        else:
            out[name] = encode_value(value)
    return out


_MAP_KEY = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d+)\]\.(?P<field>.+)$")


def decode_map_param(params: Mapping[str, str], name: str) -> list[dict[str, str]]:
    """Collect ``name[i].field=value`` parameters into a list of dicts, ordered by i.

    Parameter names match case-insensitively, as on a real server. Raises
    ``ValueError`` naming the offending key when an entry is malformed.
    """
    wanted = name.lower()
    entries: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        if not key.lower().startswith(wanted + "["):
            continue
        match = _MAP_KEY.match(key)
        if not match or match.group("name").lower() != wanted:
            raise ValueError(f"malformed map parameter {key!r}: expected {name}[index].field")
        entries.setdefault(int(match.group("index")), {})[match.group("field")] = value
    return [entries[i] for i in sorted(entries)]


# --- envelopes ---------------------------------------------------------------------


def response_key(command: str) -> str:
    """The usual top-level key of a response; clients must not rely on it."""
    return command.lower() + "response"


def error_envelope(command: str | None, errorcode: int, errortext: str, cserrorcode: int | None = 9999) -> dict:
    """The error body a real server sends (``errorresponse`` for unknown commands)."""
    inner: dict[str, Any] = {"uuidList": [], "errorcode": errorcode}
    if cserrorcode is not None:
        inner["cserrorcode"] = cserrorcode
    inner["errortext"] = errortext
    return {response_key(command) if command else "errorresponse": inner}


def unwrap_envelope(body: Mapping[str, Any]) -> tuple[str, Any]:
    """Return ``(top_level_key, inner)`` of a JSON response (its single key)."""
    if not isinstance(body, Mapping) or len(body) != 1:
        raise ValueError(f"expected a single top-level key in the response, got {list(body)[:5] if isinstance(body, Mapping) else type(body).__name__}")
    key = next(iter(body))
    return key, body[key]


# --- secrets -----------------------------------------------------------------------

# Parameter names whose values must never reach a log, report or exception text.
# Every credential a request or an answer can carry, of any account: API keys
# too (registerUserKeys/getUserKeys/listUsers answers hold a user's pair), and
# the passwords and keys of integrations (LDAP bind, VPN pre-shared key, ...).
SECRET_PARAM_NAMES = frozenset({
    "signature", "secretkey", "password", "currentpassword", "newpassword", "sessionkey", "privatekey",
    "apikey", "userapikey", "usersecretkey", "accesskey", "encryptedpassword", "bindpass", "presharedkey",
    "dockerregistrypassword", "pingcifspassword", "vsmpassword", "truststorepass",
})
_MASK = "********"


def mask_secrets(params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with secret values replaced by a mask."""
    return {k: (_MASK if k.lower() in SECRET_PARAM_NAMES else v) for k, v in params.items()}


def dumps(body: Any) -> bytes:
    """Compact JSON as the server sends it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
