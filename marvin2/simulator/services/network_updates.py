"""Renaming security groups and changing network ACL lists (updateSecurityGroup, updateNetworkACLList)."""
from __future__ import annotations

from marvin2.simulator import errors

DEFAULT_GROUP = "default"


def rename_security_group(store, group: dict, new_name: str | None) -> dict:
    """SecurityGroupManagerImpl.updateSecurityGroup: no name keeps the group; 'default' is reserved both ways."""
    if new_name is None:
        return group
    if not new_name.strip():
        raise errors.invalid_value("Security group name cannot be empty")
    if new_name == group["name"]:
        return group
    if new_name.lower() == DEFAULT_GROUP:
        raise errors.invalid_value(f"The security group name {DEFAULT_GROUP} is reserved")
    if group["name"].lower() == DEFAULT_GROUP:
        raise errors.invalid_value("The default security group cannot be renamed")
    return store.update("securitygroup", group["id"], name=new_name)


def check_acl_list_access(ctx, acl: dict) -> None:
    """A global list (no VPC) only for the root admin; a VPC's list for whoever may act on the VPC."""
    if not acl.get("vpcid"):
        if not ctx.caller.is_root_admin:
            raise errors.permission_denied("Must be Root Admin to update a global ACL.")
        return
    vpc = ctx.store.get("vpc", acl["vpcid"]) or {}
    ctx.check_access({**vpc, "id": acl["vpcid"]}, "VPC")


def update_acl_list(store, acl: dict, *, name: str | None, description: str | None, for_display: bool | None) -> dict:
    changes = {}
    if name and name.strip():
        changes["name"] = name
    if description and description.strip():
        changes["description"] = description
    if for_display is not None:
        changes["fordisplay"] = for_display
    return store.update("networkacllist", acl["id"], **changes) if changes else acl
