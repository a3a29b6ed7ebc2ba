"""Instance groups (CloudStack's "vm groups"): named, per-account folders for VMs.

A group belongs to one account (a project's hidden account for project groups); its name is unique within the
account. A VM's membership is what its ``group`` (name) and ``groupid`` fields say: deploy stores the name the
caller asked for, and the group row of that name is created for the VM's account on first sight
(``adopt_vm_groups``), as CloudStack's ``addInstanceToGroup`` creates a missing group during deploy.
Renaming a group renames it on its VMs; deleting it takes them out of it (CloudStack drops the mappings).
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services import java_text

KIND = "instancegroup"




def _live_vms(store, **equal) -> list[dict]:
    return [vm for vm in store.find("virtualmachine", **equal) if not vm.get("removed")]


def create(store, owner: dict, name: str) -> dict:
    if store.find_one(KIND, accountid=owner["id"], name=name, removed=None) is not None:
        raise errors.invalid_value(f"Unable to create vm group, a group with name {name} already exists for account "
                                   f"{java_text.account(store, owner)}")
    return store.insert(KIND, {"name": name, "accountid": owner["id"], "domainid": owner["domainid"]})


def adopt_vm_groups(store) -> None:
    """Create the group rows that deployed VMs name but that do not exist yet, and point the VMs at them."""
    for vm in _live_vms(store):
        adopt_vm_group(store, vm)


def adopt_vm_group(store, vm: dict) -> None:
    """The group a VM names (deploy's or updateVirtualMachine's ``group``) as a row of its account, made on first
    use as UserVmManagerImpl.addInstanceToGroup does; no name takes the VM out of its group."""
    name = vm.get("group")
    if not name:
        if vm.get("groupid"):
            store.update("virtualmachine", vm["id"], groupid=None)
        return
    group = store.find_one(KIND, accountid=vm["accountid"], name=name, removed=None)
    if group is None:
        group = store.insert(KIND, {"name": name, "accountid": vm["accountid"], "domainid": vm["domainid"]})
    if vm.get("groupid") != group["id"]:
        store.update("virtualmachine", vm["id"], groupid=group["id"])


def get(store, group_id: str, not_found: str) -> dict:
    row = store.get(KIND, group_id)
    if row is None or row.get("removed"):
        raise errors.invalid_value(not_found)
    return row


def rename(store, group: dict, name: str | None) -> dict:
    if name is None:
        return group
    taken = store.find_one(KIND, accountid=group["accountid"], name=name, removed=None)
    if taken is not None and group["name"] != name:
        raise errors.invalid_value(f"Unable to update vm group, a group with name {name} already exists for account")
    for vm in _live_vms(store, groupid=group["id"]):
        store.update("virtualmachine", vm["id"], group=name)
    for vm in _live_vms(store, accountid=group["accountid"], group=group["name"]):
        store.update("virtualmachine", vm["id"], group=name, groupid=group["id"])
    return store.update(KIND, group["id"], name=name)


def delete(store, group: dict) -> None:
    for vm in _live_vms(store, accountid=group["accountid"]):
        if vm.get("groupid") == group["id"] or vm.get("group") == group["name"]:
            store.update("virtualmachine", vm["id"], group=None, groupid=None)
    store.delete(KIND, group["id"])


def release_account(store, account: dict) -> None:
    """An account's groups go with it."""
    store.delete_where(KIND, accountid=account["id"])
