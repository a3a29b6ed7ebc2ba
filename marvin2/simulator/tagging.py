"""Resource tags shared by every module: which resource types can be tagged,
the ``tags`` array of response objects, and the generic ``tags`` list filter (any pair matches).

A module makes its rows taggable with ``register_taggable("UserVm", "virtualmachine")``
(CloudStack's resource type name, then the store kind). Tag rows live in the
``resourcetag`` kind: ``{key, value, resourceid, resourcetype, accountid, domainid}``.
"""
from __future__ import annotations

from typing import Any

# CloudStack resource type (lower-case) -> (proper spelling, store kind)
TAGGABLE: dict[str, tuple[str, str]] = {}


def register_taggable(resource_type: str, kind: str) -> None:
    TAGGABLE[resource_type.lower()] = (resource_type, kind)


def taggable(resource_type: str) -> tuple[str, str] | None:
    return TAGGABLE.get(resource_type.lower())


def render_tag(ctx, tag: dict) -> dict:
    out = {"key": tag["key"], "value": tag["value"], "resourcetype": tag["resourcetype"], "resourceid": tag["resourceid"]}
    out.update(ctx.owner_fields(tag))
    if tag.get("customer"):
        out["customer"] = tag["customer"]
    return out


def render_tags(ctx, resource_id: str) -> list[dict]:
    return [render_tag(ctx, t) for t in ctx.store.find("resourcetag", resourceid=resource_id)]


def has_tags(ctx, resource_id: str, entries: list[dict[str, Any]]) -> bool:
    """True when the resource carries ANY ``{key, value}`` pair of a ``tags`` map parameter: CloudStack's
    list queries OR one (key = k AND value = v) condition per pair. A pair without a value matches the key."""
    from marvin2.simulator.validation import map_as_dict

    wanted = map_as_dict(entries)
    if not wanted:
        return True
    present = {t["key"]: t["value"] for t in ctx.store.find("resourcetag", resourceid=resource_id)}
    return any(k in present and (v == "" or present[k] == v) for k, v in wanted.items())


def delete_tags_of(store, resource_id: str) -> int:
    """Drop the tags of a removed resource (call this when deleting/expunging)."""
    return store.delete_where("resourcetag", resourceid=resource_id)
