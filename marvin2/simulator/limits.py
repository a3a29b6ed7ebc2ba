"""Resource limits and counts per account and domain (updateResourceLimit & co).

Other modules call ``charge``/``release`` when they create/destroy a resource.
A limit of -1 is unlimited. An account's limit defaults to the global
``max.account.*`` setting; a domain without a limit of its own inherits its
nearest limited ancestor's (ROOT is never limited), else it is unlimited.
Root-admin accounts are never limited (as on a real server). Exceeding a limit
raises the real 532 ResourceAllocationException with the 4.18 texts: the
account one prints storage amounts as bytes in human-readable form, the domain
one prints every amount that way (``(1 bytes) 1``) while
``display.human.readable.sizes`` is true, its default. Storage is counted in
GiB here and printed in bytes, as CloudStack counts it.
"""
from __future__ import annotations

from marvin2.simulator import errors

# CloudStack resource types: name -> (number, global default setting or None)
RESOURCE_TYPES: dict[str, tuple[int, str | None]] = {
    "user_vm": (0, "max.account.user.vms"),
    "public_ip": (1, "max.account.public.ips"),
    "volume": (2, "max.account.volumes"),
    "snapshot": (3, "max.account.snapshots"),
    "template": (4, "max.account.templates"),
    "project": (5, "max.account.projects"),
    "network": (6, "max.account.networks"),
    "vpc": (7, "max.account.vpcs"),
    "cpu": (8, "max.account.cpus"),
    "memory": (9, "max.account.memory"),
    "primary_storage": (10, "max.account.primary.storage"),
    "secondary_storage": (11, "max.account.secondary.storage"),
}
BY_NUMBER = {number: name for name, (number, _) in RESOURCE_TYPES.items()}


def type_name(resource_type: str | int) -> str:
    """Accept ``"user_vm"``, ``0`` or ``"0"``; 431 for anything else."""
    if isinstance(resource_type, int) or str(resource_type).isdigit():
        name = BY_NUMBER.get(int(resource_type))
    else:
        name = str(resource_type).lower() if str(resource_type).lower() in RESOURCE_TYPES else None
    if name is None:
        raise errors.invalid_value(f"Please specify a valid resource type: {resource_type} is not one of "
                                   + ", ".join(f"{n} ({num})" for n, (num, _) in RESOURCE_TYPES.items()))
    return name


def _limit_row(store, *, account_id: str | None = None, domain_id: str | None = None, name: str) -> dict | None:
    if account_id:
        return store.find_one("resourcelimit", accountid=account_id, resourcetype=name)
    return store.find_one("resourcelimit", domainid=domain_id, accountid=None, resourcetype=name)


def _setting(store, key: str | None) -> int:
    if key is None:
        return -1
    row = store.get("configuration", key)
    try:
        return int(row["value"]) if row else -1
    except ValueError:
        return -1


def account_limit(store, account: dict, resource_type: str) -> int:
    name = type_name(resource_type)
    row = _limit_row(store, account_id=account["id"], name=name)
    if row is not None:
        return int(row["max"])
    if account.get("accounttype") == 1:
        return -1
    return _setting(store, RESOURCE_TYPES[name][1])


def domain_limit(store, domain: dict, resource_type: str) -> int:
    """The limit set on the domain itself (-1 when none is)."""
    row = _limit_row(store, domain_id=domain["id"], name=type_name(resource_type))
    return int(row["max"]) if row is not None else -1


def is_root_domain(domain: dict) -> bool:
    return not domain.get("parentdomainid")


def effective_domain_limit(store, domain: dict, resource_type: str) -> int:
    """The limit that binds the domain: its own, else its nearest limited ancestor's; ROOT is unlimited."""
    name = type_name(resource_type)
    while domain is not None and not is_root_domain(domain):
        limit = domain_limit(store, domain, name)
        if limit != -1:
            return limit
        domain = store.get("domain", domain["parentdomainid"])
    return -1


def domain_number(domain: dict) -> int | str:
    """How 4.18 texts name a domain: its internal (database) id."""
    return domain.get("internalid", domain["id"])


GIB = 1024 ** 3
_STORAGE = ("primary_storage", "secondary_storage")


def _readable_size(size: int) -> str:
    """CloudStack's byte size text: "512 bytes", "1.50 KB", "10.00 GB", "1.0000 TB"."""
    for unit, scale, digits in (("TB", GIB * 1024, 4), ("GB", GIB, 2), ("MB", 1024 ** 2, 2), ("KB", 1024, 2)):
        if size >= scale:
            return f"{size / scale:.{digits}f} {unit}"
    return f"{size} bytes"


def human_readable(store, value: int) -> str:
    """A size as 4.18 messages print it: "(10.00 GB) 10737418240", or the bare number when the setting is off."""
    row = store.get("configuration", "display.human.readable.sizes")
    if row is not None and str(row.get("value", "true")).lower() != "true":
        return str(value)
    return f"({_readable_size(value)}) {value}"


def amount_in_units(name: str, amount: int) -> int:
    """An amount as CloudStack counts it: storage in bytes (the simulator keeps GiB), the rest as is."""
    return amount * GIB if name in _STORAGE and amount > 0 else amount


def set_limit(store, *, account: dict | None = None, domain: dict | None = None, resource_type: str, maximum: int) -> dict:
    name = type_name(resource_type)
    if account is not None:
        existing = _limit_row(store, account_id=account["id"], name=name)
        fields = {"accountid": account["id"], "domainid": account["domainid"]}
    else:
        existing = _limit_row(store, domain_id=domain["id"], name=name)
        fields = {"domainid": domain["id"]}
    if existing:
        return store.update("resourcelimit", existing["id"], max=int(maximum))
    return store.insert("resourcelimit", {**fields, "resourcetype": name, "max": int(maximum)})


def account_count(store, account_id: str, resource_type: str) -> int:
    row = store.find_one("resourcecount", accountid=account_id, resourcetype=type_name(resource_type))
    return int(row["count"]) if row else 0


def domain_count(store, domain: dict, resource_type: str) -> int:
    name = type_name(resource_type)
    prefix = domain["path"]
    inside = {d["id"] for d in store.all("domain") if d["path"] == prefix or d["path"].startswith(prefix + "/")}
    return sum(int(r["count"]) for r in store.find("resourcecount", resourcetype=name) if r.get("domainid") in inside)


def _set_count(store, account: dict, name: str, value: int) -> None:
    row = store.find_one("resourcecount", accountid=account["id"], resourcetype=name)
    if row:
        store.update("resourcecount", row["id"], count=max(0, value))
    else:
        store.insert("resourcecount", {"accountid": account["id"], "domainid": account["domainid"],
                                       "resourcetype": name, "count": max(0, value)})


def check(store, account: dict, resource_type: str, amount: int = 1) -> None:
    """532 when adding ``amount`` would exceed the account's or any enclosing domain's limit."""
    name = type_name(resource_type)
    if amount <= 0 or account.get("accounttype") == 1:
        return
    limit = account_limit(store, account, name)
    current = account_count(store, account["id"], name)
    if limit >= 0 and current + amount > limit:
        numbers = [amount_in_units(name, n) for n in (limit, current, amount)]
        if name in _STORAGE:
            numbers = [human_readable(store, n) for n in numbers]
        domain_row = store.get("domain", account["domainid"]) or {"id": account["domainid"]}
        raise errors.resource_limit(
            f"Maximum amount of resources of Type = '{name}' for Account Name = {account['name']} in Domain Id = "
            f"{domain_number(domain_row)} is exceeded: Account Resource Limit = {numbers[0]}, Current Account Resource "
            f"Amount = {numbers[1]}, Requested Resource Amount = {numbers[2]}.")
    domain = store.get("domain", account["domainid"])
    while domain is not None and not is_root_domain(domain):
        limit = effective_domain_limit(store, domain, name)
        if limit >= 0:
            current = domain_count(store, domain, name)
            if current + amount > limit:
                shown = [human_readable(store, amount_in_units(name, n)) for n in (limit, current, amount)]
                raise errors.resource_limit(
                    f"Maximum domain resource limits of Type '{name}' for Domain Id = {domain_number(domain)} is "
                    f"exceeded: Domain Resource Limit = {shown[0]}, Current Domain Resource Amount = {shown[1]}, "
                    f"Requested Resource Amount = {shown[2]}.")
        domain = store.get("domain", domain["parentdomainid"])


def charge(store, account: dict, resource_type: str, amount: int = 1) -> None:
    """Check the limits, then count ``amount`` more of the resource for the account."""
    name = type_name(resource_type)
    check(store, account, name, amount)
    _set_count(store, account, name, account_count(store, account["id"], name) + amount)


def release(store, account: dict | str, resource_type: str, amount: int = 1) -> None:
    """Count ``amount`` less (never below zero). ``account`` may be the row or its id."""
    if isinstance(account, str):
        account = store.get("account", account)
        if account is None:
            return
    name = type_name(resource_type)
    _set_count(store, account, name, account_count(store, account["id"], name) - amount)


# --- recounting (updateResourceCount) --------------------------------------------------------

# resource type -> fn(store, account_id) -> the true amount in use; modules owning a
# resource register one so updateResourceCount can repair counts.
COUNTERS: dict[str, object] = {}


def register_counter(resource_type: str, counter) -> None:
    COUNTERS[type_name(resource_type)] = counter


def recount(store, accounts: list[dict], resource_type: str) -> None:
    name = type_name(resource_type)
    counter = COUNTERS.get(name)
    if counter is None:
        return
    for account in accounts:
        _set_count(store, account, name, int(counter(store, account["id"])))
