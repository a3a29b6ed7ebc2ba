"""SSH key pairs made by tests.

deleteSSHKeyPair names a key pair by ``name`` and owner, not by id, so the
kind's delete looks the pair up by id first (as the admin who cleans up, it
must say whose pair it is). Servers before 4.17 give key pairs no id at all:
``create_ssh_keypair`` then cannot report the pair to ``on_created`` and
says so by returning a record without ``id``; the caller undoes it by name
and owner (``OWNER_FIELDS`` of the create's parameters).
"""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import Created, OnCreated, call, unwrap_result
from marvin2.resources.errors import AlreadyGone
from marvin2.resources.kinds import ResourceKind, find_by_id, register
from marvin2.resources.naming import unique_name

OWNER_FIELDS = ("account", "domainid", "projectid")


def keypair_owner(record: Any) -> dict:
    """The owner parameters deleteSSHKeyPair needs for ``record`` (a project's, else an account's pair)."""
    if record.get("projectid"):
        return {"projectid": record["projectid"]}
    return {key: record[key] for key in ("account", "domainid") if record.get(key)}


def delete_ssh_keypair(api: Any, keypair_id: str, *, timeout: float | None = None) -> None:
    record = find_by_id(api, SSH_KEYPAIR, keypair_id)
    if record is None:
        raise AlreadyGone(f"SSH key pair {keypair_id} does not exist")
    call(api, "deleteSSHKeyPair", name=record["name"], **keypair_owner(record))


SSH_KEYPAIR = register(ResourceKind(
    name="ssh_keypair", label="SSH key pair", list_api="listSSHKeyPairs", delete=delete_ssh_keypair, rank=45,
))


def create_ssh_keypair(
    api: Any, *, name: str | None = None, publickey: str | None = None, purpose: str = "key",
    run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """createSSHKeyPair (the answer holds the private key), or registerSSHKeyPair with ``publickey``."""
    name = name or unique_name(purpose, run_id)
    if publickey:
        answer = call(api, "registerSSHKeyPair", name=name, publickey=publickey, **params)
        command = "registerSSHKeyPair"
    else:
        answer = call(api, "createSSHKeyPair", name=name, **params)
        command = "createSSHKeyPair"
    record = unwrap_result(answer, "keypair", "sshkeypair")
    if record.get("id") and on_created is not None:
        on_created(Created(SSH_KEYPAIR.name, str(record["id"]), command, name, record))
    return record
