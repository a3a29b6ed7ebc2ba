"""How CloudStack 4.20 names rows in its messages: ``toString()`` of its VO classes prints a label and some
fields in JSON style (``VPC {"id":3,"uuid":"…","name":"…"}``). The internal ``id`` is a small number the
simulator hands out once per row (kept in the store's meta area), so a message names a row the same way every
time."""
from __future__ import annotations

import json
from typing import Any

from marvin2.simulator.services import common


def internal_id(store, kind: str, row_id: str) -> int:
    key = f"no.{kind}.{row_id}"
    number = store.get_meta(key)
    if number is None:
        number = common.next_number(store, kind)
        store.set_meta(key, number)
    return int(number)


def ref(store, label: str, kind: str, row: dict, *, name: bool = True, **fields: Any) -> str:
    """``<label> {"id":N,"uuid":"…"[,"name":"…"][,field:value…]}``."""
    parts = [f'"id":{internal_id(store, kind, row["id"])}', f'"uuid":"{row["id"]}"']
    if name and row.get("name") is not None:
        parts.append(f'"name":"{row["name"]}"')
    for key, value in fields.items():
        parts.append(f'"{key}":' + (f'"{value}"' if isinstance(value, str) else ("null" if value is None else str(value))))
    return f"{label} {{{','.join(parts)}}}"


def account(store, row: dict) -> str:
    """AccountVO.toString: ``Account [{"uuid":"...","accountName":"...","id":N}]``."""
    fields = {"uuid": row["id"], "accountName": row["name"], "id": common.account_number(store, row)}
    return f"Account [{json.dumps(fields, separators=(',', ':'))}]"
