"""Generic list support: filters, account scoping, tags, pagination.

``ctx.list(kind, render, ...)`` answers most list APIs in one line::

    return ctx.list("zone", render_zone, filters={"networktype": "networktype"})

It applies, when the API declares them: ``id``/``ids``, ``name`` (exact,
case-insensitive), ``keyword`` (substring of name/displaytext), ``tags``,
the ``filters`` mapping (parameter -> row field, equality), and for owned
rows (rows with ``accountid``) the account scope of the caller (``listall``,
``isrecursive``, ``account``, ``domainid``), then sorts by creation order and
paginates. Removed rows (``removed`` set) are never listed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from marvin2.simulator import access_texts, errors

# ``ctx`` below is the request's ``context.Context``; this module does not import it (the context imports this
# module for ``ctx.list`` / ``ctx.paginate``, and imports go one way).


@dataclass
class ListResult:
    """A list answer: ``{"count": count, "<response>": items}``."""
    items: list[dict]
    count: int


def domain_in_subtree(domain: dict, ancestor: dict) -> bool:
    return domain["path"] == ancestor["path"] or domain["path"].startswith(ancestor["path"] + "/")

MAX_PAGE_SIZE_DEFAULT = 500


def list_rows(ctx, kind: str, render: Callable[[dict], dict], *, filters: dict[str, str] | None = None,
              match: Callable[[dict], bool] | None = None, keyword_fields: tuple[str, ...] = ("name", "displaytext"),
              owned: bool | None = None, rows: list[dict] | None = None, resource_type: str | None = None) -> ListResult:
    """List ``kind`` rows visible to the caller; see the module docstring."""
    equal: dict[str, Any] = {}
    # Text filters (hypervisor=simulator, type=routing, state=up ...) match whatever the case: the real server
    # compares in MySQL's case-insensitive collation or through case-insensitive enum look-ups. Ids stay exact
    # (they go to the store's indexed look-up).
    folded: dict[str, str] = {}
    declared = ctx.api.by_param
    for param, row_field in (filters or {}).items():
        if ctx.has(param):
            value = ctx.get(param)
            spec = declared.get(param)
            if isinstance(value, str) and (spec is None or spec.type == "string"):
                folded[row_field] = value.lower()
            else:
                equal[row_field] = value
    if ctx.has("id") and "id" in declared:
        equal["id"] = ctx.get("id")
    if rows is None:
        rows = ctx.store.find(kind, **equal)
    else:
        rows = [r for r in rows if all(r.get(k) == v for k, v in equal.items())]
    if folded:
        rows = [r for r in rows if all(str(r.get(k) if r.get(k) is not None else "").lower() == v
                                       for k, v in folded.items())]
    rows = [r for r in rows if not r.get("removed")]

    if ctx.has("ids") and "ids" in ctx.api.by_param:
        wanted = {i.lower() for i in ctx.get("ids")}
        rows = [r for r in rows if r["id"] in wanted]
    if ctx.has("name") and "name" in ctx.api.by_param:
        name = ctx.get("name").lower()
        rows = [r for r in rows if str(r.get("name", "")).lower() == name]
    if ctx.has("keyword"):
        keyword = ctx.get("keyword").lower()
        rows = [r for r in rows if any(keyword in str(r.get(f) or "").lower() for f in keyword_fields)]
    if owned is None:
        owned = any("accountid" in r for r in rows[:1])
    if owned:
        allowed = owner_filter(ctx)
        rows = [r for r in rows if allowed(r)]
    # A map of resource tags. Some APIs' ``tags`` is a plain string (host tags of
    # offerings): their handler matches it, and it is no map to look up here.
    if ctx.has("tags") and isinstance(ctx.get("tags"), list):
        from marvin2.simulator.tagging import has_tags

        rows = [r for r in rows if has_tags(ctx, r["id"], ctx.get("tags"))]
    if match is not None:
        rows = [r for r in rows if match(r)]
    page = paginate(ctx, rows)
    return ListResult([render(r) for r in page.items], page.count)


def page_window(ctx) -> tuple[int, int | None]:
    """``(offset, limit)`` from ``page``/``pagesize``; limit None = unlimited. Raises BaseListCmd's 431s
    (the page/pagesize pairing rule ran before the handler, in validation.check_list_paging)."""
    page, pagesize = ctx.get("page"), ctx.get("pagesize")
    max_size = int(ctx.config("default.page.size", MAX_PAGE_SIZE_DEFAULT) or MAX_PAGE_SIZE_DEFAULT)
    if pagesize is not None:
        if pagesize > max_size:
            raise errors.invalid_value(f"Page size can't exceed max allowed page size value: {max_size}")
        if pagesize == -1:
            if page is not None:
                raise errors.invalid_value("Can't specify page parameter when pagesize is -1 (Unlimited)")
            return 0, None
        if pagesize < 0:
            raise errors.invalid_value(f"Page size must be at least 0 (or -1 for all), got {pagesize}")
    else:
        pagesize = max_size
    # BaseListCmd.getStartIndex: a page of 0 or less is the first page.
    page = page if page is not None and page > 0 else 1
    return (page - 1) * pagesize, pagesize


def paginate(ctx, items: list) -> ListResult:
    offset, limit = page_window(ctx)
    window = items[offset:] if limit is None else items[offset:offset + limit]
    return ListResult(window, len(items))


def owner_filter(ctx) -> Callable[[dict], bool]:
    """Which owned rows a list shows, as a real server scopes them.

    - user: its own account only (``listall`` changes nothing);
    - admins: their own account's rows unless ``listall``/``domainid``/``account``
      widen it; ``domainid`` (with ``isrecursive`` for the subtree; ``listall`` does not widen it) and
      ``account`` (+``domainid``) narrow to what they name, which must lie in the
      caller's domain subtree (else 531). Asking by ``id`` widens like ``listall``.
    """
    caller = ctx.caller
    if caller is None:
        return lambda row: True
    account_name, domain_id = ctx.get("account"), ctx.get("domainid")
    listall, recursive = bool(ctx.get("listall")), bool(ctx.get("isrecursive"))
    # Asking for one item by id is as wide as listall: an admin finds anything it administers.
    listall = listall or (ctx.has("id") and "id" in ctx.api.by_param)
    store = ctx.store

    # AccountManagerImpl.buildACLSearchParameters: a named domain must be one the caller may work in (a user:
    # its own; an admin: its subtree), then a named account must exist there and be the caller's to see.
    if domain_id:
        domain = store.get("domain", domain_id)
        if domain is None:
            raise errors.invalid_value(f"Unable to find domain by id {domain_id}")
        inside = domain["id"] == caller.domain_id if not caller.is_admin else domain_in_subtree(domain, caller.domain)
        if not inside:
            raise access_texts.outside_domain(store, caller.account, domain)
    if account_name:
        target = store.get("domain", domain_id) if domain_id else caller.domain
        account = store.find_one("account", name=account_name, domainid=target["id"], removed=None)
        if account is None:
            raise errors.invalid_value(f"could not find account {account_name} in domain {access_texts.domain_text(target)}")
        if account["id"] != caller.account_id and not caller.is_admin:
            raise access_texts.no_access_to_resource()
        account_id = account["id"]
        return lambda row: row.get("accountid") == account_id
    if not caller.is_admin:
        own = caller.account_id
        return lambda row: row.get("accountid") == own
    if domain_id:
        # 4.20 searches a named domain's subtree only with isrecursive=true; listall does not widen it.
        if recursive:
            return in_domain_tree(store, domain)
        return lambda row: row.get("domainid") == domain_id
    if listall:
        if caller.is_root_admin:
            return lambda row: True
        return in_domain_tree(store, caller.domain)
    own = caller.account_id
    return lambda row: row.get("accountid") == own


def in_domain_tree(store, ancestor: dict) -> Callable[[dict], bool]:
    """Rows whose ``domainid`` is ``ancestor`` or one of its subdomains."""
    inside = {d["id"] for d in store.all("domain") if domain_in_subtree(d, ancestor)}
    return lambda row: row.get("domainid") in inside

