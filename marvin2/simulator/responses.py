"""Turn a handler result into the inside of a response envelope."""
from __future__ import annotations

from typing import Any

from marvin2.simulator import errors
from marvin2.simulator.context import ListResult, Raw, Success
from marvin2.simulator.declare import Api


def drop_nones(value: Any) -> Any:
    """Null fields are omitted in CloudStack responses (recursively)."""
    if isinstance(value, dict):
        return {k: drop_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nones(v) for v in value]
    return value


def render_result(declared: Api, result: Any) -> Any:
    if isinstance(result, ListResult):
        if not result.items:
            # "{}" when nothing matched; {"count": N} when the page is past the end.
            return {"count": result.count} if result.count else {}
        return {"count": result.count, declared.response: drop_nones(result.items)}
    if isinstance(result, Success):
        inner: dict[str, Any] = {"success": True}
        if result.displaytext:
            inner["displaytext"] = result.displaytext
        return inner
    if isinstance(result, Raw):
        return drop_nones(result.inner)
    if isinstance(result, dict):
        return {declared.response: drop_nones(result)}
    raise errors.internal_error(f"handler of {declared.name} returned an unsupported result {type(result).__name__}")
