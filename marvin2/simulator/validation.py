"""Turn a request's raw parameters into typed values, as a real server's dispatcher does.

CloudStack 4.20's dispatch chain, step by step (ParamUnpackWorker, ParamProcessWorker, BaseListCmd):

- ``unpack``: names are lower-cased; a name containing ``[`` must read ``name[int].field`` (else 430);
- ``validate``: the command's fields one at a time in the server's order (the facts table's), each checked for
  presence and converted as Java converts it (``Integer.valueOf``, ``Boolean.valueOf``, uuid translation,
  string length with the Java field name, the three date forms); the first bad field decides the error;
- ``check_list_paging``: BaseListCmd's page/pagesize pairing rule.

Unknown parameters are ignored (a real server only logs them).
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Mapping

from marvin2.simulator import errors
from marvin2.simulator.declare import Api, Param

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INT_RANGES = {"short": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# Java's Integer/Long/Short.valueOf: an optional sign and digits, nothing else (no blanks, no "1.0", no "1_000").
_JAVA_INTEGER = re.compile(r"^[+-]?[0-9]+$")
# Java's Float/Double.valueOf (which trims blanks first): decimal or exponent forms, an optional f/d suffix, NaN, Infinity.
_JAVA_FLOAT = re.compile(r"^[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)$")
# A value containing an ASCII control character other than LF and CR is refused (ApiServer.CONTROL_CHARACTERS).
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")
# The tzdate forms DateUtil.parseTZDateString accepts (ISO offset / instant, +hhmm, optional fraction).
_TZDATE = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$")
_NEW_INPUT_DATE = re.compile(r"^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)$")     # BaseCmd.newInputDateFormat
_INPUT_DATE_PREFIX = re.compile(r"^(\d+)-(\d+)-(\d+)")                      # "yyyy-MM-dd", parsed from the start

# Parameter names the unpack step leaves alone (Java: a name whose first character is "[" is not an array).
_MALFORMED_HINT = ("; if specifying an object array, please use parameter[index].field=XXX, "
                   "e.g. userGroupList[0].group=httpGroup")


def lower_params(raw: Mapping[str, str]) -> dict[str, str]:
    """Parameter names lower-cased for dispatch (the first spelling wins on a clash)."""
    out: dict[str, str] = {}
    for name, value in raw.items():
        out.setdefault(name.lower(), value)
    return out


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def check_control_characters(raw: Mapping[str, str]) -> None:
    """431 for a value holding an ASCII control character other than LF/CR (any parameter, known or not)."""
    for name, value in raw.items():
        if name != "activationrule" and value and _CONTROL.search(value):
            raise errors.param_error(
                f"Received value containing illegal ASCII non-printable characters for parameter {name}")


def unpack(raw: Mapping[str, str]) -> tuple[dict[str, str], dict[str, dict[int, dict[str, str]]]]:
    """ParamUnpackWorker: ``(scalars by lower-case name, maps by lower-case name -> index -> field -> value)``.

    430 for a name with ``[`` that is not ``name[int].field`` (known parameter or not)."""
    scalars: dict[str, str] = {}
    maps: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in raw.items():
        start, last_start = key.find("["), key.rfind("[")
        if start != last_start:
            raise errors.malformed_parameter(key + _MALFORMED_HINT)
        if start > 0:
            end, last_end = key.find("]"), key.rfind("]")
            if end < start or end != last_end or key.find(".") < end:
                raise errors.malformed_parameter(key + _MALFORMED_HINT)
            index_text = key[start + 1:end]
            if not _JAVA_INTEGER.match(index_text) or not _INT_RANGES["integer"][0] <= int(index_text) <= _INT_RANGES["integer"][1]:
                raise errors.malformed_parameter(key + _MALFORMED_HINT)
            name = key[:start].lower()
            maps.setdefault(name, {}).setdefault(int(index_text), {})[key[key.find(".") + 1:]] = value
        else:
            scalars.setdefault(key.lower(), value)
    return scalars, maps


def validate(declared: Api, raw: Mapping[str, str], store, root_admin: bool = False) -> dict[str, Any]:
    """Typed parameters keyed by lower-case name, checked one by one in the server's order for this kind of
    caller (a root admin's command class may differ); raises ``ApiError`` on bad input, as the server words it."""
    scalars, maps = unpack(raw)
    command = declared.envelope_key[:-len("response")] if declared.envelope_key.endswith("response") else declared.envelope_key
    out: dict[str, Any] = {}
    for param in declared.params_for(root_admin):
        key = param.key
        if param.type == "map":
            if key in maps:
                out[key] = [maps[key][i] for i in sorted(maps[key])]
            elif key in scalars:            # "tags=x": Java cannot store a text in a map field
                raise errors.bad_value(command, param.name, scalars[key])
            elif param.required:
                raise errors.missing_parameter(command, param.name)
            continue
        if key in maps:                     # "name[0].x=..." for a non-map field: the field gets the map
            text = str(maps[key])
        else:
            text = scalars.get(key)
        if text is None:
            if param.required:
                raise errors.missing_parameter(command, param.name)
            continue
        if param.required and text == "":
            raise errors.required_but_empty(param.name)
        if not declared.check_types:
            out[key] = text
            continue
        value = _convert(command, param, text, store)
        if value is not _ABSENT:
            out[key] = value
    return out


_ABSENT = object()     # what Java leaves null: the handler sees the parameter as not sent


def _java_length(text: str) -> int:
    """Length in UTF-16 code units, as Java's String.length() counts."""
    return len(text.encode("utf-16-le")) // 2


def _convert(command: str, param: Param, text: str, store) -> Any:
    kind = param.type
    if kind == "string":
        if _java_length(text) > param.length:
            raise errors.param_error(f"Unable to execute API command {command} due to invalid value. Value greater than "
                                     f"max allowed length {param.length} for param: {param.java_field}")
        # An empty optional string reaches the command as "" on a real server; the handlers here treat it as
        # not sent (they would otherwise each have to tell "" from absent).
        return text if text != "" else _ABSENT
    if kind == "object":
        return text
    if kind in _INT_RANGES:
        if kind == "integer" and not text.strip():
            return _ABSENT          # ParamProcessWorker skips a blank INTEGER (LONG and SHORT are parsed as sent)
        if not _JAVA_INTEGER.match(text):
            raise errors.bad_value(command, param.name, text)
        number = int(text)
        low, high = _INT_RANGES[kind]
        if not low <= number <= high:
            raise errors.bad_value(command, param.name, text)
        return number
    if kind in ("float", "double"):
        if not text.strip():
            return _ABSENT
        if not _JAVA_FLOAT.match(text.strip()):
            raise errors.bad_value(command, param.name, text)
        return float(text.strip().rstrip("fFdD").replace("Infinity", "inf"))
    if kind == "boolean":
        # Java's Boolean.valueOf: "true" in any letter case is true, anything else false, never an error.
        return text.lower() == "true"
    if kind == "uuid":
        return _translate_uuid(command, param, text, store)
    if kind in ("date", "tzdate"):
        return _parse_date(command, text)
    if kind == "list":
        # StringTokenizer on ",": empty tokens dropped, no trimming, no length check.
        items = [item for item in text.split(",") if item]
        return items if items else _ABSENT
    raise errors.internal_error(f"parameter {param.name} of {command} has unsupported type {kind}")


class UncheckedId(str):
    """A uuid parameter's value that names no row yet passed the API layer (``-1``, an unknown internal id):
    the handler sees a plain string; if it trips over the missing row, the pipeline answers as a service
    does for an id it cannot find (``Unable to find <kind> by id <value>``)."""

    kind: str = ""

    @classmethod
    def of(cls, text: str, param: Param) -> "UncheckedId":
        value = cls(text)
        value.kind = param.target_kind or param.key.removesuffix("id") or "item"
        return value


def unchecked_ids(params: Mapping[str, Any]) -> list["UncheckedId"]:
    """The parameter values that are an ``UncheckedId``, in the server's order."""
    return [value for value in params.values() if isinstance(value, UncheckedId)]


def _translate_uuid(command: str, param: Param, text: str, store) -> Any:
    """ParamProcessWorker.translateUuidToInternalId, on the simulator's uuid-keyed rows."""
    if text == "-1":
        return UncheckedId.of(text, param)    # a legacy "all"/"none" marker every uuid parameter lets through
    pre_3x = not param.since        # parameters older than 3.0 also take the numeric internal id
    if not is_uuid(text):
        if not pre_3x:
            return _ABSENT          # a non-uuid value of a newer parameter is dropped, not refused
        if _JAVA_INTEGER.match(text) and _INT_RANGES["long"][0] <= int(text) <= _INT_RANGES["long"][1]:
            number = int(text)
            if number < 1:
                raise errors.param_error(f"Unable to execute API command {command} due to invalid value. "
                                         f"Invalid value provided for API arg: {param.name}")
            target = param.target_kind
            row = store.get_by_internal_id(target, number) if target else None
            # An internal id with no row goes on to the handler, which answers as the service layer would.
            return row["id"] if row is not None else UncheckedId.of(text, param)
        raise errors.unknown_uuid(command, param.name, text)
    text = text.lower()             # the database matches uuids in any letter case
    target = param.target_kind
    if target and store.get(target, text) is None:
        raise errors.unknown_uuid(command, param.name, text)
    return text


def _parse_date(command: str, text: str) -> _dt.date:
    """DateUtil.parseTZDateString, then lenient ``yyyy-MM-dd HH:mm:ss`` or ``yyyy-MM-dd`` (read from the start)."""
    match = _TZDATE.match(text)
    if match:
        offset = match.group(5)
        offset = "+00:00" if offset == "Z" else offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
        try:
            moment = _dt.datetime.fromisoformat(
                f"{match.group(1)}T{match.group(2)}:{match.group(3)}:{match.group(4) or '00'}{offset}")
            return moment.astimezone(_dt.timezone.utc).date()
        except ValueError:
            pass
    match = _NEW_INPUT_DATE.match(text) or _INPUT_DATE_PREFIX.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups()[:3])
        try:
            # SimpleDateFormat is lenient: month 13 is January of the next year, day 32 the 1st of the next month.
            first = _dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            return first + _dt.timedelta(days=day - 1)
        except (ValueError, OverflowError):
            pass
    raise errors.param_error(f"Unable to parse date {text} for command {command}, please pass dates in the format "
                             "mentioned in the api documentation")


def is_list_command(declared: Api) -> bool:
    """A BaseListCmd: takes both ``page`` and ``pagesize``."""
    return "page" in declared.by_param and "pagesize" in declared.by_param


def check_list_paging(declared: Api, raw: Mapping[str, str]) -> None:
    """BaseListCmd.validateSpecificParameters: ``page`` and ``pagesize`` go together (except ``pagesize=-1``)."""
    if not is_list_command(declared):
        return
    scalars, _ = unpack(raw)
    page, pagesize = scalars.get("page"), scalars.get("pagesize")
    if page is None and pagesize is not None and pagesize != "-1":
        raise errors.param_error('"page" parameter is required when "pagesize" is specified')
    if pagesize is None and page is not None:
        raise errors.param_error('"pagesize" parameter is required when "page" is specified')


def map_as_dict(entries: list[dict[str, str]]) -> dict[str, str]:
    """Key/value convention (``tags[0].key=k&tags[0].value=v``) → ``{k: v}``; 431 when an entry lacks ``key``."""
    out: dict[str, str] = {}
    for index, entry in enumerate(entries):
        lowered = {k.lower(): v for k, v in entry.items()}
        if "key" not in lowered:
            raise errors.param_error(f"map entry {index} has no 'key' field (expected name[{index}].key=...&name[{index}].value=...)")
        out[lowered["key"]] = lowered.get("value", "")
    return out


# projectid=-1 means "every project the caller can see" on the list APIs that scope their rows with
# AccountManagerImpl.buildACLSearchParameters (a real server's API layer lets "-1" through any uuid parameter
# and those lists act on it). These lists look the project up instead, so -1 stays an unknown id there.
ALL_PROJECTS = "-1"
_NO_ALL_PROJECTS = frozenset({"listVlanIpRanges", "listResourceLimits", "listProjectAccounts"})


def accepts_all_projects(declared: Api, param: Param) -> bool:
    """May ``param`` of ``declared`` be ``-1`` (all projects)? Optional ``projectid`` of a list API."""
    return (param.key == "projectid" and not param.required and declared.name.startswith("list")
            and declared.name not in _NO_ALL_PROJECTS)
