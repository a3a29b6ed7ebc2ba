"""updateSecurityGroup and updateNetworkACLList. The rules live in services/network_updates.py."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import check_owned
from marvin2.simulator.services.security_groups import render_group
from marvin2.simulator.services.vpcs import render_acl_list
from marvin2.simulator.context import Job
from marvin2.simulator.declare import P, api
from marvin2.simulator.services import network_updates as service


@api("updateSecurityGroup", response="securitygroup", description="Renames a security group.",
     params=[P("id", "the security group", entity="securitygroup"), P("name", "the new name"),
             P("customid", "a custom id (not supported by the simulator)")])
def update_security_group(ctx):
    if ctx.has("customid"):
        raise errors.internal_error("customid is not supported by the marvin2 simulator")
    group = ctx.store.get("securitygroup", ctx.get("id"))
    if ctx.get("name") is not None:
        check_owned(ctx, group, "security group")
    return render_group(ctx, service.rename_security_group(ctx.store, group, ctx.get("name")))


@api("updateNetworkACLList", response="networkacllist", instance_type="NetworkAclList",
     description="Renames a network ACL list, or changes its description or display flag.",
     params=[P("id", "the ACL list", entity="networkacllist"), P("name", "the new name"),
             P("description", "the new description"), P("fordisplay", "shown to end users"),
             P("customid", "a custom id (not supported by the simulator)")])
def update_network_acl_list(ctx):
    if ctx.has("customid"):
        raise errors.internal_error("customid is not supported by the marvin2 simulator")
    acl = ctx.store.get("networkacllist", ctx.get("id"))
    service.check_acl_list_access(ctx, acl)

    def run(jctx):
        updated = service.update_acl_list(jctx.store, jctx.store.get("networkacllist", acl["id"]),
                                          name=jctx.get("name"), description=jctx.get("description"),
                                          for_display=jctx.get("fordisplay"))
        jctx.event("NETWORK.ACL.UPDATE", f"updating network ACL list {acl['id']}")
        return render_acl_list(jctx, updated)

    return Job(run, instance_id=acl["id"])
