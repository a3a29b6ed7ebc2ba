"""moveUser (thin: the rules are in services/user_moves.py)."""
from __future__ import annotations

from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import P, api
from marvin2.simulator.services import user_moves


@api("moveUser", response="success", related="listUsers",
     description="Moves a user to another account of its domain; it keeps its id and API keys.",
     params=[P("id", "the user", entity="user"), P("account", "target account name (same domain)"),
             P("accountid", "target account id", entity="")])
def move_user(ctx):
    user = ctx.store.get("user", ctx.get("id"))
    moved = user_moves.move(ctx, user, ctx.get("account"), ctx.get("accountid"))
    ctx.event("USER.MOVE", f"moving User {moved['username']} to a new account")
    return SUCCESS
