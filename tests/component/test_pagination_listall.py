"""Pagination, ``count`` and ``listall``/``isrecursive``/``domainid`` over more than 500 items.

Resource tags are the cheap many-item resource: one createTags call puts
hundreds of key/value pairs on one volume. Every tag of a test carries the
test's own value, so counts never include what parallel tests create.

Layout of the scope tests (made once for the module)::

    <test domain>/top         account "top"   300 tags on its volume
    <test domain>/top/child   account "child" 300 tags on its volume
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from .helpers import expect_error

pytestmark = [pytest.mark.tags("component", "pagination", "resource-tags")]

MAX_PAGE = 500


def listing(api, command: str, **params) -> tuple[list, int | None]:
    """(items of the page, the answer's ``count``): the client hands back items only, so the
    answer is read from the client's own call event."""
    seen: list = []

    def keep(event) -> None:
        if getattr(event, "command", None) == command and not getattr(event, "internal", False):
            seen.append(event.response)

    api.add_listener(keep)
    try:
        items = list(api.call(command, params) or [])
    finally:
        api.remove_listener(keep)
    body = seen[-1] if seen else None
    if isinstance(body, dict) and len(body) == 1 and next(iter(body)).endswith("response"):
        body = next(iter(body.values()))
    count = body.get("count") if isinstance(body, dict) else None
    return items, count


def tag_many(api, stack, volume_id: str, value: str, how_many: int, prefix: str = "k") -> None:
    """``how_many`` tags (keys prefix0..) with one value on a volume, in one createTags call."""
    tags = {f"{prefix}{n:04d}": value for n in range(how_many)}
    api.createTags(resourcetype="Volume", resourceids=[volume_id], tags=tags)
    stack.push(api.deleteTags, resourcetype="Volume", resourceids=[volume_id], tags=tags,
               description=f"delete {how_many} tags of volume {volume_id}")


def tag_keys(items) -> list[str]:
    return [(t.resourceid, t.key) for t in items]


# --- pages and count (one account, 600 tags) --------------------------------------------------------


@pytest.fixture(scope="module")
def many_tags(module_factory, module_make, user_api):
    """600 tags, all with this module's value, on one volume of the test account."""
    volume = module_factory.volume()
    value = module_make.name("pages")
    tag_many(user_api, module_make.stack, volume.id, value, 600)
    return volume, value


@pytest.mark.tags("quick-test")
def test_count_is_the_total_and_pages_hold_at_most_500(many_tags, user_api):
    _volume, value = many_tags
    first, count = listing(user_api, "listTags", value=value)
    assert count == 600
    assert len(first) == MAX_PAGE            # default page size: default.page.size (500)
    second, count = listing(user_api, "listTags", value=value, page=2, pagesize=MAX_PAGE)
    assert (len(second), count) == (100, 600)
    assert not set(tag_keys(first)) & set(tag_keys(second))
    assert {key for _, key in tag_keys(first + second)} == {f"k{n:04d}" for n in range(600)}


def test_small_pages_walk_everything_once(many_tags, user_api):
    _, value = many_tags
    seen: list = []
    for page in range(1, 8):
        items, count = listing(user_api, "listTags", value=value, page=page, pagesize=100)
        assert count == 600
        assert len(items) == 100 if page <= 6 else items == []
        seen += tag_keys(items)
    assert len(seen) == len(set(seen)) == 600


def test_a_page_past_the_end_has_the_count_only(many_tags, user_api):
    _, value = many_tags
    items, count = listing(user_api, "listTags", value=value, page=4, pagesize=MAX_PAGE)
    assert (items, count) == ([], 600)


def test_pagesize_minus_one_means_everything(many_tags, user_api):
    _, value = many_tags
    items, count = listing(user_api, "listTags", value=value, pagesize=-1)
    assert (len(items), count) == (600, 600)


def test_the_clients_list_all_walks_the_pages(many_tags, user_api):
    _, value = many_tags
    everything = user_api.list_all("listTags", value=value)
    assert len(everything) == len(set(tag_keys(everything))) == 600


def test_the_order_is_stable_between_calls(many_tags, user_api):
    _, value = many_tags
    once, _ = listing(user_api, "listTags", value=value, page=2, pagesize=50)
    again, _ = listing(user_api, "listTags", value=value, page=2, pagesize=50)
    assert tag_keys(once) == tag_keys(again)


def test_filters_narrow_before_paging(many_tags, user_api):
    volume, value = many_tags
    items, count = listing(user_api, "listTags", value=value, key="k0599")
    assert (tag_keys(items), count) == ([(volume.id, "k0599")], 1)
    items, count = listing(user_api, "listTags", value=value, resourceid=volume.id, page=2, pagesize=250)
    assert (len(items), count) == (250, 600)


@pytest.mark.tags("negative")
def test_the_page_size_limit(many_tags, user_api):
    _, value = many_tags
    error = expect_error(431, user_api.call, "listTags", {"value": value, "page": 1, "pagesize": 501},
                         validate=False)
    assert error.errortext == f"Page size can't exceed max allowed page size value: {MAX_PAGE}"


# --- listall / isrecursive / domainid over a domain tree --------------------------------------------------


@dataclass
class Tree:
    top: Any
    child: Any
    value: str
    top_volume: Any
    child_volume: Any
    top_keys: Any
    admin_api: Any          # domain admin of top


@pytest.fixture(scope="module")
def tree(module_make, module_factory, domain) -> Tree:
    make = module_make
    top = make.domain(parentdomainid=domain.id, purpose="pgtop")
    child = make.domain(parentdomainid=top.id, purpose="pgchild")
    value = make.name("scope")
    volumes = []
    for label, where in (("top", top), ("child", child)):
        keys = make.account(domainid=where.id, purpose=label)
        api = make.api_for(keys)
        volume = module_factory.volume(api=api)
        tag_many(api, make.stack, volume.id, value, 300, prefix=label)
        volumes.append((keys, volume))
    admin = make.api_for(make.domain_admin(top.id))
    return Tree(top, child, value, volumes[0][1], volumes[1][1], volumes[0][0], admin)


def test_domainid_alone_is_that_domain_only(tree, cloud):
    items, count = listing(cloud, "listTags", value=tree.value, domainid=tree.top.id)
    assert count == 300
    assert {t.resourceid for t in items} == {tree.top_volume.id}


def test_domainid_with_isrecursive_covers_the_subtree(tree, cloud):
    items, count = listing(cloud, "listTags", value=tree.value, domainid=tree.top.id, isrecursive=True)
    assert (count, len(items)) == (600, MAX_PAGE)
    rest, _ = listing(cloud, "listTags", value=tree.value, domainid=tree.top.id, isrecursive=True, page=2,
                      pagesize=MAX_PAGE)
    assert {t.resourceid for t in items + rest} == {tree.top_volume.id, tree.child_volume.id}
    assert len(set(tag_keys(items + rest))) == 600


def test_the_root_admin_without_listall_sees_its_own_account_only(tree, cloud):
    items, count = listing(cloud, "listTags", value=tree.value)
    assert items == []
    assert count in (None, 0)      # an empty answer is {} (or count 0)


def test_the_root_admin_with_listall_sees_everything(tree, cloud):
    everything = cloud.list_all("listTags", value=tree.value, listall=True)
    assert len(everything) == 600


def test_the_domain_admin_with_listall_sees_its_subtree(tree):
    items, count = listing(tree.admin_api, "listTags", value=tree.value, listall=True)
    assert (count, len(items)) == (600, MAX_PAGE)
    assert {t.resourceid for t in items} <= {tree.top_volume.id, tree.child_volume.id}
    assert len(tree.admin_api.list_all("listTags", value=tree.value, listall=True)) == 600


def test_the_domain_admin_narrows_to_the_child_domain(tree):
    items, count = listing(tree.admin_api, "listTags", value=tree.value, domainid=tree.child.id)
    assert count == 300
    assert {t.resourceid for t in items} == {tree.child_volume.id}


def test_account_and_domainid_name_one_account(tree, cloud):
    items, count = listing(cloud, "listTags", value=tree.value, account=tree.top_keys.name,
                           domainid=tree.top.id)
    assert count == 300
    assert {t.resourceid for t in items} == {tree.top_volume.id}


def test_a_user_sees_its_own_tags_even_with_listall(tree, make):
    api = make.api_for(tree.top_keys)
    items, count = listing(api, "listTags", value=tree.value, listall=True, isrecursive=True)
    assert count == 300
    assert {t.resourceid for t in items} == {tree.top_volume.id}
