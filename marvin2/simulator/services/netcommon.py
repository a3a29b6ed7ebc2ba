"""Helpers shared by the network API modules and network services (networks,
vpc, addresses, rules, security groups, offerings, routers, NICs): error
shapes, CIDR arithmetic, events that name their resource, and small renderers.

No API is declared here. Error helpers mirror how a real 4.18 server reports
each failure:

- a check made while a request is being parsed or in a create-style command's
  synchronous ``create()`` phase answers at once with the exception's own code
  (``errors.invalid_value`` 431/4350, ``errors.permission_denied`` 531 ...);
- a ``ServerApiException`` raised by a command (rule conflicts, resource in
  use) keeps its HTTP code but carries cserrorcode 9999;
- an exception raised while an async job runs ``execute()`` ends the job with
  errorcode 431 when it is an InvalidParameterValueException (``job_invalid``)
  and 530 otherwise (``job_error``), as the async job dispatcher maps them.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from marvin2.simulator import errors
from marvin2.simulator.services import common as _common

# --- errors ------------------------------------------------------------------------------------


def conflict(text: str) -> errors.ApiError:
    """537 NetworkRuleConflictException, re-thrown by the command as a ServerApiException."""
    return errors.ApiError(537, text, errors.CS_SERVER)


def in_use(text: str) -> errors.ApiError:
    """536 ResourceInUseException wrapped in a ServerApiException by the command."""
    return errors.ApiError(536, text, errors.CS_SERVER)


def job_error(text: str) -> errors.ApiError:
    """A failure inside an async job that is not an InvalidParameterValueException
    (CloudRuntimeException, IllegalArgumentException, a command's own "Failed to ..."): errorcode 530."""
    return errors.internal_error(text)


def job_invalid(text: str) -> errors.ApiError:
    """An InvalidParameterValueException inside an async job: the async dispatcher turns it into
    a PARAM_ERROR, so the job ends with errorcode 431."""
    return errors.ApiError(431, text, errors.CS_SERVER)


def capacity(text: str) -> errors.ApiError:
    """533 from an InsufficientCapacityException (mapped by the command)."""
    return errors.ApiError(533, text, errors.CS_SERVER)


# --- events --------------------------------------------------------------------------------------


def event(ctx, event_type: str, description: str, *, resource: dict | None = None, resource_type: str | None = None,
          account: dict | None = None) -> dict:
    """Record an event, naming the resource it is about (listEvents resourceid/resourcetype)."""
    if account is None and resource is not None and resource.get("accountid"):
        account = ctx.store.get("account", resource["accountid"])
    row = ctx.event(event_type, description, account=account)
    if resource is not None:
        row = ctx.store.update("event", row["id"], resourceid=resource["id"], resourcetype=resource_type)
    return row


# --- IPv4 arithmetic -------------------------------------------------------------------------------


def parse_ip(text: str | None, what: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(str(text).strip())
    except (ipaddress.AddressValueError, ValueError):
        raise errors.invalid_value(f"Invalid format for the {what}: {text!r} is not an IPv4 address") from None


def cidr_of(gateway: str, netmask: str) -> str:
    """``10.1.1.1`` + ``255.255.255.0`` -> ``10.1.1.0/24`` (431 when either is malformed)."""
    gw = parse_ip(gateway, "gateway")
    try:
        net = ipaddress.IPv4Network(f"{gw}/{netmask}", strict=False)
    except (ValueError, ipaddress.NetmaskValueError):
        raise errors.invalid_value(f"Invalid netmask {netmask!r}") from None
    return str(net)


def parse_cidr(text: str, what: str = "CIDR") -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(text).strip(), strict=False)
    except ValueError:
        raise errors.invalid_value(f"Invalid {what} specified {text}") from None


def is_valid_cidr(text: str) -> bool:
    try:
        ipaddress.IPv4Network(str(text).strip(), strict=False)
        return "/" in str(text)
    except ValueError:
        return False


def netmask_of(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).netmask)


def first_host(cidr: str) -> str:
    return str(ipaddress.IPv4Network(cidr, strict=False).network_address + 1)


def within(inner: str, outer: str) -> bool:
    a, b = ipaddress.IPv4Network(inner, strict=False), ipaddress.IPv4Network(outer, strict=False)
    return a.subnet_of(b)


def overlaps(a: str, b: str) -> bool:
    return ipaddress.IPv4Network(a, strict=False).overlaps(ipaddress.IPv4Network(b, strict=False))


def is_private(cidr: str) -> bool:
    net = ipaddress.IPv4Network(cidr, strict=False)
    return any(net.subnet_of(ipaddress.IPv4Network(p)) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))


def check_cidr_list(cidrs: Iterable[str] | None, label: str = "Source CIDRs") -> list[str]:
    """Validate a cidrlist parameter like a rule command does (431 ``... formatting error <cidr>``)."""
    out = []
    for cidr in cidrs or []:
        if not is_valid_cidr(cidr):
            raise errors.param_error(f"{label} formatting error {cidr}")
        out.append(cidr)
    return out


# --- rendering -------------------------------------------------------------------------------------


def zone_fields(store, zone_id: str | None) -> dict:
    zone = store.get("zone", zone_id) if zone_id else None
    return {"zoneid": zone_id, "zonename": zone["name"] if zone else None}


def service_list(services: list[dict] | None) -> list[dict]:
    """An offering's ``service`` array: ``[{name, provider: [{name}], capability: [...]}]``."""
    out = []
    for svc in services or []:
        entry: dict[str, Any] = {"name": svc["name"], "provider": [{"name": p["name"]} for p in svc.get("provider", [])]}
        if svc.get("capability"):
            entry["capability"] = svc["capability"]
        out.append(entry)
    return out


def service_names(services: list[dict] | None) -> set[str]:
    return {svc["name"] for svc in services or []}


def providers_of(services: list[dict] | None) -> set[str]:
    return {p["name"] for svc in services or [] for p in svc.get("provider", [])}


def provider_for(services: list[dict] | None, service: str) -> str | None:
    for svc in services or []:
        if svc["name"].lower() == service.lower():
            providers = svc.get("provider") or []
            return providers[0]["name"] if providers else None
    return None


def supports_all(services: list[dict] | None, wanted: Iterable[str]) -> bool:
    have = {name.lower() for name in service_names(services)}
    return all(w.lower() in have for w in wanted)


def next_sequence(store, name: str, start: int = 1) -> int:
    """A server-wide counter (router names r-<n>-VM ...), kept in the store's meta area."""
    value = int(store.get_meta(f"seq.{name}", start - 1)) + 1
    store.set_meta(f"seq.{name}", value)
    return value


def guest_range_in_use(store, vlan: dict) -> int:
    """How many addresses of a guest IP range (a shared network's or a Basic zone pod's) NICs hold: VMs' and routers'.

    deleteVlanIpRange (apis/infra.py) refuses such a range with 431 ``<n>  Ips are in use. Cannot delete this
    vlan`` as ConfigurationManagerImpl.deleteVlanAndPublicIpRange does. On a real server each such address is an
    allocated row of the range; here the ``nic`` rows (``services/nics.py``) are the record."""
    if not vlan.get("networkid") or vlan.get("forvirtualnetwork", False):
        return 0
    first, last = int(ipaddress.IPv4Address(vlan["startip"])), int(ipaddress.IPv4Address(vlan["endip"]))
    return sum(1 for nic in store.find("nic", networkid=vlan["networkid"])
               if nic.get("ipaddress") and first <= int(ipaddress.IPv4Address(nic["ipaddress"])) <= last)


def account_label(account: dict | None) -> str:
    return f"Acct[{account['id']}-{account['name']}]" if account else "Acct[unknown]"


# --- projects ----------------------------------------------------------------------------------------
#
# A project owns networks, addresses and rules through its project account (_common). Creates take
# ``projectid`` through ``_common.owner_for_create``; responses name the project (``_common.owner_fields``);
# lists follow a real server's rule (AccountManagerImpl.buildACLSearchParameters): with ``projectid``
# only that project's rows (members and admins; others 531), without it no project rows at all, except
# when one row is asked for by ``id``.


def project_filter(ctx) -> Callable[[dict], bool] | None:
    """The project part of a list's scope, as a row predicate (None: nothing to filter).

    ``projectid=-1``: every project the caller can see (``_common.all_projects_scope``)."""
    if _common.asks_all_projects(ctx):
        return _common.all_projects_scope(ctx)
    if ctx.has("projectid") and "projectid" in ctx.api.by_param:
        project = _common.project_for_param(ctx, ctx.get("projectid"))
        account_id = project["projectaccountid"]
        return lambda row: row.get("accountid") == account_id
    if ctx.has("id") and "id" in ctx.api.by_param:
        return None
    hidden = _common.project_account_ids(ctx.store)
    if not hidden:
        return None
    return lambda row: row.get("accountid") not in hidden


def for_project(ctx) -> bool:
    """Does this list ask for a project's rows, or all projects' (which then replace the caller's account scope)?"""
    return ctx.has("projectid") and "projectid" in ctx.api.by_param


def list_owned(ctx, kind: str, render, *, match: Callable[[dict], bool] | None = None, **options: Any):
    """``ctx.list`` of an owned kind (rules ...) with the project rule above."""
    project = project_filter(ctx)

    def combined(row: dict) -> bool:
        return (project is None or project(row)) and (match is None or match(row))

    return ctx.list(kind, render, match=combined, owned=not for_project(ctx), **options)


def owner_fields(ctx, row: dict) -> dict:
    """A response's owner: ``account``/``domainid``/``domain``, or ``projectid``/``project`` for a project's row."""
    return _common.owner_fields(ctx, row)


def check_owned(ctx, row: dict, what: str) -> dict:
    """531 unless the caller may act on ``row``; members act on their projects' rows."""
    return _common.check_owned(ctx, row, what)


def owner_for_create(ctx) -> dict:
    """The account a create acts for: the project's (``projectid``), ``account``+``domainid`` (admins), or the caller."""
    return _common.owner_for_create(ctx)
