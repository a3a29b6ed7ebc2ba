"""Security groups: createSecurityGroup (sync), listSecurityGroups,
authorize/revokeSecurityGroupIngress/Egress (async), deleteSecurityGroup.

Every account has a ``default`` group; it is created the first time a
security group API (or a VM deploy through ``assign_security_groups``) looks
at the account, so accounts made by any module get one.

The VM services use ``services/security_groups.py`` (security-group zones):
``assign_security_groups(ctx, vm, owner, *, ids=None, names=None) -> list[dict]``
    Put a VM in the given groups (default: the owner's ``default`` group);
    431 for an unknown group name, 531 for a group of another account.
``release_security_groups(store, vm_id)``: on expunge.
``vm_security_groups(ctx, vm_id) -> list[dict]``: the ``securitygroup`` array of a VM response.

Kinds: ``securitygroup``, ``securitygrouprule`` (``ruletype`` ingress/egress),
``securitygroupvmmap``.
"""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import SUCCESS, Job
from marvin2.simulator.declare import ACCOUNT_SCOPE, PAGING, P, api, declare_object
from marvin2.simulator.services import common as _common
from marvin2.simulator.services import netcommon as nc
from marvin2.simulator.services.security_groups import (
    DEFAULT_GROUP,
    ensure_default_group,
    group_by_name,
    render_group,
)
from marvin2.simulator.tagging import delete_tags_of, register_taggable

register_taggable("SecurityGroup", "securitygroup")


declare_object("securitygroup", {
    "id": "group id", "name": "group name", "description": "description", "account": "owner account",
    "domainid": "owner domain id", "domain": "owner domain", "ingressrule": ("set", "ingress rules"),
    "egressrule": ("set", "egress rules"), "tags": ("set", "resource tags"),
    "virtualmachinecount": ("integer", "VMs in the group"), "virtualmachineids": ("set", "ids of those VMs"),
})


# --- default groups and VM membership -------------------------------------------------------------


def _ensure_defaults(ctx) -> None:
    store = ctx.store
    if not getattr(store, "_sg_indexed", False):
        store.index("securitygroup", "accountid")
        store.index("securitygroupvmmap", "virtualmachineid")
        store._sg_indexed = True
    for account in store.find("account", removed=None):
        if ctx.can_access({"accountid": account["id"], "domainid": account["domainid"]}):
            ensure_default_group(store, account)


# --- rendering ---------------------------------------------------------------------------------------


# --- APIs --------------------------------------------------------------------------------------------------


@api("createSecurityGroup", response="securitygroup", related="listSecurityGroups,deleteSecurityGroup",
     description="Creates an (empty) security group for an account.",
     params=[P("name", "group name"), P("description", "description"),
             P("account", "owner account (admins; with domainid)"), P("domainid"),
             P("projectid", entity="")])
def create_security_group(ctx):
    owner = nc.owner_for_create(ctx)               # projectid: the project's account owns the group
    store = ctx.store
    ensure_default_group(store, owner)
    name = ctx.get("name")
    if any(g["name"].lower() == name.lower() for g in store.find("securitygroup", accountid=owner["id"])):
        raise errors.invalid_value(f"Unable to create security group, a group with name {name} already exists.")
    row = store.insert("securitygroup", {"name": name, "description": ctx.get("description"),
                                         **ctx.owner_row_fields(owner)})
    nc.event(ctx, "SG.CREATE", f"Successfully created security group {name}", resource=row,
             resource_type="SecurityGroup", account=owner)
    return render_group(ctx, row)


@api("listSecurityGroups", response="securitygroup", related="createSecurityGroup",
     description="Lists security groups (every account has a 'default' group) with their rules.",
     params=[*PAGING, *ACCOUNT_SCOPE, P("id", entity="securitygroup"),
             P("securitygroupname", "group name"),
             P("virtualmachineid", "groups of this VM", entity=""),
             P("projectid", entity=""), P("tags")])
def list_security_groups(ctx):
    _ensure_defaults(ctx)
    store = ctx.store
    if _common.asks_all_projects(ctx):
        # projectid=-1: the default groups of every project the caller sees (list_owned scopes the rows below).
        scope = _common.all_projects_scope(ctx)
        for account in store.find("account", accounttype=_common.PROJECT_ACCOUNT_TYPE):
            if not account.get("removed") and scope({"accountid": account["id"], "domainid": account["domainid"]}):
                ensure_default_group(store, account)
    elif ctx.has("projectid"):
        # A project has its default group too (checked for membership by list_owned below).
        project = _common.project_for_param(ctx, ctx.get("projectid"))
        ensure_default_group(store, store.get("account", project["projectaccountid"]))
    members = None
    if ctx.has("virtualmachineid"):
        members = {m["securitygroupid"] for m in store.find("securitygroupvmmap", virtualmachineid=ctx.get("virtualmachineid"))}

    def match(row):
        if ctx.has("securitygroupname") and row["name"].lower() != ctx.get("securitygroupname").lower():
            return False
        return members is None or row["id"] in members

    # listSecurityGroups follows the project rule of every owned list (_common.list_owned): projectid shows
    # that project's groups only, no projectid hides project groups unless one is asked for by id.
    return _common.list_owned(ctx, "securitygroup", lambda row: render_group(ctx, row), match=match,
                              keyword_fields=("name", "description"))


def _target_group(ctx) -> dict:
    """securitygroupid, or securitygroupname (+account/domainid) -> the group (access checked)."""
    store = ctx.store
    if ctx.has("securitygroupid") and ctx.has("securitygroupname"):
        raise errors.invalid_value("Either security group name or security group id should be specified, not both")
    if ctx.has("securitygroupid"):
        group = store.get("securitygroup", ctx.get("securitygroupid"))
        if group is None:
            raise errors.invalid_value(f"Unable to find security group by id {ctx.get('securitygroupid')}")
    elif ctx.has("securitygroupname"):
        owner = nc.owner_for_create(ctx)           # the named group's owner: projectid, account+domainid or caller
        group = group_by_name(ctx, owner, ctx.get("securitygroupname"))
    else:
        raise errors.invalid_value("Either securitygroupid or securitygroupname is required")
    nc.check_owned(ctx, group, "SecurityGroup")    # project members act on their project's groups
    return group


def _rule_ports(protocol: str, start, end, icmptype, icmpcode) -> tuple[int | None, int | None]:
    if protocol == "icmp":
        if icmptype is None or icmpcode is None:
            raise nc.job_invalid(f"Invalid ICMP type/code specified, icmpType = {icmptype}, icmpCode = {icmpcode}")
        if icmptype == -1 and icmpcode != -1:
            raise nc.job_invalid("Invalid icmp code")
        if icmptype != -1 and icmpcode == -1:
            raise nc.job_invalid("Invalid icmp code: need non-negative icmp code ")
        if not (-1 <= icmptype <= 255 and -1 <= icmpcode <= 255):
            raise nc.job_invalid("Invalid icmp type/code ")
        return icmptype, icmpcode
    if protocol == "all":
        if start is not None or end is not None:
            raise nc.job_invalid("Cannot specify startPort or endPort without specifying protocol")
        return 0, 0
    if protocol.isdigit():
        return start, end
    if start is None or end is None:
        raise nc.job_invalid(f"Invalid port range specified, startPort = {start}, endPort = {end}")
    if start == 0 and end == 0:
        end = 65535
    if start > end:
        raise nc.job_invalid(f"Invalid port range {start}:{end}")
    if start > 65535 or end > 65535 or start < -1 or end < -1:
        raise nc.job_invalid(f"Invalid port numbers {start}:{end}")
    if start < 0 or end < 0:
        raise nc.job_invalid(f"Invalid port range {start}:{end}")
    return start, end


def _authorize(ctx, ruletype: str):
    group = _target_group(ctx)
    event_type = "SG.AUTH.INGRESS" if ruletype == "ingress" else "SG.AUTH.EGRESS"

    def run(jctx):
        store = jctx.store
        protocol = (jctx.get("protocol") or "all").lower()
        if protocol not in ("tcp", "udp", "icmp", "all") and not (protocol.isdigit() and 0 <= int(protocol) <= 255):
            raise nc.job_invalid(f"Invalid protocol {jctx.get('protocol')}")
        start, end = _rule_ports(protocol, jctx.get("startport"), jctx.get("endport"), jctx.get("icmptype"),
                                 jctx.get("icmpcode"))
        cidrs = jctx.get("cidrlist") or []
        for cidr in cidrs:
            if not nc.is_valid_cidr(cidr):
                raise nc.job_invalid(f"Invalid cidr {cidr}")
        allowed_groups = []
        for entry in jctx.get("usersecuritygrouplist") or []:
            lowered = {k.lower(): v for k, v in entry.items()}
            name, account_name = lowered.get("group"), lowered.get("account")
            if not name or not account_name:
                raise nc.job_invalid("Invalid user group specified, fields 'group' and 'account' cannot be null, please "
                                   "specify groups in the form:  userGroupList[0].group=XXX&userGroupList[0].account=YYY")
            account = store.find_one("account", name=account_name, domainid=group["domainid"], removed=None)
            if account is None:
                raise nc.job_invalid(f"Nonexistent account: {account_name} when trying to authorize security group rule  "
                                   f"for {group['id']}:{protocol}:{start}:{end}")
            found = next((g for g in store.find("securitygroup", accountid=account["id"]) if g["name"] == name), None)
            if found is None:
                raise nc.job_invalid(f"Nonexistent group {name} for account {account_name}/{group['domainid']} is given, "
                                   "unable to authorize security group rule.")
            allowed_groups.append(found)
        if not cidrs and not allowed_groups:
            raise nc.job_invalid("At least one cidr or at least one security group needs to be specified")
        existing = store.find("securitygrouprule", securitygroupid=group["id"], ruletype=ruletype)
        added = []
        targets = [{"cidr": c} for c in cidrs] + [{"allowedgroupid": g["id"]} for g in allowed_groups]
        for target in targets:
            duplicate = any(r["protocol"] == protocol and r.get("startport") == start and r.get("endport") == end
                            and r.get("cidr") == target.get("cidr") and r.get("allowedgroupid") == target.get("allowedgroupid")
                            for r in existing + added)
            if duplicate:
                continue
            added.append(store.insert("securitygrouprule", {
                "securitygroupid": group["id"], "ruletype": ruletype, "protocol": protocol, "startport": start,
                "endport": end, **target, "accountid": group["accountid"], "domainid": group["domainid"]}))
        if not added:
            raise nc.job_error(f"Failed to authorize security group {ruletype} rule(s)")
        nc.event(jctx, event_type, f"authorized {len(added)} {ruletype} rule(s) in security group {group['name']}",
                 resource=group, resource_type="SecurityGroup")
        return render_group(jctx, group, rules=added, with_members=False)

    return Job(run, instance_id=group["id"])


AUTHORIZE_PARAMS = [
    P("securitygroupid", "the group", entity="securitygroup"), P("securitygroupname", "the group's name"),
    P("protocol", "tcp, udp, icmp, all (default) or a protocol number"),
    P("startport", "first port"), P("endport", "last port"),
    P("icmptype", "ICMP type"), P("icmpcode", "ICMP code"),
    P("cidrlist", "allowed CIDRs"),
    P("usersecuritygrouplist", "allowed groups: usersecuritygrouplist[i].account / .group"),
    P("account", "owner of the named group (admins; with domainid)"), P("domainid"),
    P("projectid", entity=""),
]


@api("authorizeSecurityGroupIngress", response="securitygroup", instance_type="SecurityGroup",
     related="revokeSecurityGroupIngress", description="Allows incoming traffic to the VMs of a security group.",
     params=AUTHORIZE_PARAMS)
def authorize_security_group_ingress(ctx):
    return _authorize(ctx, "ingress")


@api("authorizeSecurityGroupEgress", response="securitygroup", instance_type="SecurityGroup",
     related="revokeSecurityGroupEgress", description="Allows outgoing traffic from the VMs of a security group.",
     params=AUTHORIZE_PARAMS)
def authorize_security_group_egress(ctx):
    return _authorize(ctx, "egress")


def _revoke(ctx, ruletype: str):
    rule = ctx.store.get("securitygrouprule", ctx.get("id"))
    group = ctx.store.get("securitygroup", rule["securitygroupid"]) or {}
    nc.check_owned(ctx, group, "SecurityGroup")
    event_type = "SG.REVOKE.INGRESS" if ruletype == "ingress" else "SG.REVOKE.EGRESS"

    def run(jctx):
        current = jctx.store.get("securitygrouprule", rule["id"])
        if current is None:
            raise nc.job_error(f"Unable to find security group rule with id {rule['id']}")
        if current["ruletype"] != ruletype:
            raise nc.job_invalid(f"Error trying to revoke security group rule {rule['id']}: the rule is not of type {ruletype}")
        jctx.store.delete("securitygrouprule", rule["id"])
        nc.event(jctx, event_type, f"revoked {ruletype} rule {rule['id']} of security group {group.get('name')}",
                 resource=group, resource_type="SecurityGroup")
        return SUCCESS

    return Job(run, instance_id=group.get("id"))


@api("revokeSecurityGroupIngress", response="success", instance_type="SecurityGroup",
     related="authorizeSecurityGroupIngress", description="Removes an ingress rule from its security group.",
     params=[P("id", "the ingress rule", entity="securitygrouprule")])
def revoke_security_group_ingress(ctx):
    return _revoke(ctx, "ingress")


@api("revokeSecurityGroupEgress", response="success", instance_type="SecurityGroup",
     related="authorizeSecurityGroupEgress", description="Removes an egress rule from its security group.",
     params=[P("id", "the egress rule", entity="securitygrouprule")])
def revoke_security_group_egress(ctx):
    return _revoke(ctx, "egress")


@api("deleteSecurityGroup", response="success", related="createSecurityGroup",
     description="Deletes a security group no VM uses (never an account's default group).",
     params=[P("id", "the group", entity="securitygroup"), P("name", "the group's name"),
             P("account", "owner of the named group (admins; with domainid)"), P("domainid"),
             P("projectid", entity="")])
def delete_security_group(ctx):
    store = ctx.store
    if ctx.has("id") == ctx.has("name"):
        raise errors.invalid_value("Either id or name parameter is required by deleteSecurityGroup command")
    if ctx.has("id"):
        group = store.get("securitygroup", ctx.get("id"))
    else:
        group = group_by_name(ctx, nc.owner_for_create(ctx), ctx.get("name"))
    nc.check_owned(ctx, group, "SecurityGroup")
    if group["name"].lower() == DEFAULT_GROUP:
        raise errors.invalid_value("The network group default is reserved")
    if store.find("securitygrouprule", allowedgroupid=group["id"]):
        raise nc.in_use("Cannot delete group when there are security rules that allow this group")
    if store.find("securitygroupvmmap", securitygroupid=group["id"]):
        raise nc.in_use("Cannot delete group when it's in use by virtual machines")
    store.delete_where("securitygrouprule", securitygroupid=group["id"])
    delete_tags_of(store, group["id"])
    store.delete("securitygroup", group["id"])
    nc.event(ctx, "SG.DELETE", f"deleted security group {group['name']}", resource=group, resource_type="SecurityGroup")
    return SUCCESS




@api("updateSecurityGroup", response="securitygroup", description="Renames a security group (never the default one).",
     params=[P("id", "the group", entity=""), P("name", "the new name"), P("customid", "a new uuid")])
def update_security_group(ctx):
    store = ctx.store
    group = store.get("securitygroup", ctx.get("id"))
    if group is None:
        raise errors.invalid_value(f"Unable to find security group: {ctx.get('id')}; failed to update security group.")
    if ctx.has("customid"):
        raise errors.invalid_value("customid: the marvin2 simulator keys security groups by their uuid and cannot "
                                   "change it")
    name = ctx.get("name")
    if name is None:
        return render_group(ctx, group)
    if not name.strip():
        raise errors.invalid_value("Security group name cannot be empty")
    nc.check_owned(ctx, group, "SecurityGroup")
    if name == group["name"]:
        return render_group(ctx, group)
    if name.lower() == DEFAULT_GROUP:
        raise errors.invalid_value(f"The security group name {DEFAULT_GROUP} is reserved")
    if group["name"].lower() == DEFAULT_GROUP:
        raise errors.invalid_value("The default security group cannot be renamed")
    group = store.update("securitygroup", group["id"], name=name)
    nc.event(ctx, "SG.UPDATE", f"renamed security group to {name}", resource=group, resource_type="SecurityGroup")
    return render_group(ctx, group)
