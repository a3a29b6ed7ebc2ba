"""SSH key pairs (all sync): create (answers the private key once), register, list, delete."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import keys as _rsa
from marvin2.simulator.services.common import (
    list_owned,
    owner_fields,
    owner_for_create,
    record_event,
)
from marvin2.simulator.context import SUCCESS
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object

_FIELDS = {"id": "key pair id", "name": "key pair name", "fingerprint": "MD5 fingerprint of the public key",
           "account": "owner", "domainid": "owner domain id", "domain": "owner domain",
           "projectid": "owning project", "project": "its name", "hasannotations": ("boolean", "has comments")}
declare_object("keypair", {**_FIELDS, "privatekey": "the private key (createSSHKeyPair only)"})
declare_object("sshkeypair", _FIELDS)

_OWNER_PARAMS = [P("account"), P("domainid"), P("projectid", entity="project")]


def render_keypair(ctx, row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "fingerprint": row["fingerprint"], "hasannotations": False,
            **owner_fields(ctx, row)}


def _check_new_name(ctx, owner: dict, name: str) -> None:
    if ctx.store.find_one("sshkeypair", accountid=owner["id"], name=name) is not None:
        raise errors.invalid_value(f"A key pair with name '{name}' already exists.")


def _insert(ctx, owner: dict, name: str, public_key: str, fingerprint: str) -> dict:
    row = ctx.store.insert("sshkeypair", {"name": name, "publickey": public_key, "fingerprint": fingerprint,
                                          **ctx.owner_row_fields(owner)})
    record_event(ctx, "REGISTER.SSH.KEYPAIR", f"registered SSH key pair {name}", resource_id=row["id"],
                 resource_type="SSHKeyPair", account=owner)
    return row


@api("createSSHKeyPair", response="keypair", related="registerSSHKeyPair,listSSHKeyPairs",
     description="Creates an RSA key pair; the private key is in this answer only.",
     params=[P("name", "key pair name"), *_OWNER_PARAMS])
def create_ssh_key_pair(ctx):
    owner = owner_for_create(ctx)
    name = ctx.get("name")
    _check_new_name(ctx, owner, name)
    key = _rsa.generate(2048)
    public_key = _rsa.public_openssh(key)
    row = _insert(ctx, owner, name, public_key, _rsa.fingerprint(public_key))
    out = render_keypair(ctx, row)
    out["privatekey"] = _rsa.private_pem(key)
    return out


@api("registerSSHKeyPair", response="keypair", related="createSSHKeyPair,listSSHKeyPairs",
     description="Registers an existing public key (OpenSSH format) under a name.",
     params=[P("name", "key pair name"), P("publickey", "the public key"),
             *_OWNER_PARAMS])
def register_ssh_key_pair(ctx):
    owner = owner_for_create(ctx)
    name = ctx.get("name")
    _check_new_name(ctx, owner, name)
    public_key = ctx.get("publickey").strip()
    try:
        fingerprint = _rsa.fingerprint(public_key)
    except ValueError:
        raise errors.invalid_value("Public key is invalid") from None
    if ctx.store.find_one("sshkeypair", accountid=owner["id"], fingerprint=fingerprint) is not None:
        raise errors.invalid_value(f"A key pair with the same public key already exists for account {owner['name']}")
    return render_keypair(ctx, _insert(ctx, owner, name, public_key, fingerprint))


@api("listSSHKeyPairs", response="sshkeypair", related="createSSHKeyPair,registerSSHKeyPair",
     description="Lists the SSH key pairs the caller may see.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="sshkeypair"), P("name"),
             P("fingerprint", "MD5 fingerprint"), P("projectid", entity="project")])
def list_ssh_key_pairs(ctx):
    return list_owned(ctx, "sshkeypair", lambda r: render_keypair(ctx, r), filters={"fingerprint": "fingerprint"},
                      keyword_fields=("name",))


@api("deleteSSHKeyPair", response="success",
     description="Deletes an SSH key pair by name (VMs keep the key they were given).",
     params=[P("name", "key pair name"), *_OWNER_PARAMS])
def delete_ssh_key_pair(ctx):
    owner = owner_for_create(ctx)
    name = ctx.get("name")
    row = ctx.store.find_one("sshkeypair", accountid=owner["id"], name=name)
    if row is None:
        raise errors.invalid_value(f"A key pair with name '{name}' does not exist for account {owner['name']} in "
                                   f"specified domain id")
    ctx.store.delete("sshkeypair", row["id"])
    record_event(ctx, "DELETE.SSH.KEYPAIR", f"deleted SSH key pair {name}", resource_id=row["id"],
                 resource_type="SSHKeyPair", account=owner)
    return SUCCESS
