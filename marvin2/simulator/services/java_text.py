"""How CloudStack 4.20 prints its objects inside error texts, for the services that quote them."""
from __future__ import annotations

import json

from marvin2.simulator.apis._common import account_number


def account(store, row: dict) -> str:
    """AccountVO.toString: ``Account [{"uuid":"...","accountName":"...","id":N}]``."""
    fields = {"uuid": row["id"], "accountName": row["name"], "id": account_number(store, row)}
    return f"Account [{json.dumps(fields, separators=(',', ':'))}]"
