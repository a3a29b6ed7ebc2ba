"""Internal APIs other modules use: limits, IP allocator, store transactions."""
from __future__ import annotations

import pytest

from marvin2.simulator import errors, ipalloc, limits
from marvin2.simulator.sim import Simulator


@pytest.fixture()
def bare():
    sim = Simulator(db=":memory:", profile="instant", seed="default")
    yield sim
    sim.stop()


def _user_account(store):
    admin = store.find_one("account", name="admin")
    role = store.find_one("role", type="User")
    return store.insert("account", {"name": "u1", "domainid": admin["domainid"], "accounttype": 0,
                                    "roleid": role["id"], "state": "enabled"})


def test_limits_charge_and_532(bare):
    store = bare.store
    with store.transaction():
        account = _user_account(store)
        limits.set_limit(store, account=account, resource_type="user_vm", maximum=2)
        limits.charge(store, account, "user_vm")
        limits.charge(store, account, "user_vm")
        with pytest.raises(errors.ApiError) as caught:
            limits.charge(store, account, "user_vm")
        assert caught.value.errorcode == 532 and "user_vm" in caught.value.errortext
        assert limits.account_count(store, account["id"], "user_vm") == 2
        limits.release(store, account, "user_vm")
        limits.charge(store, account, 0)          # numeric type accepted
        assert limits.account_count(store, account["id"], "user_vm") == 2


def test_domain_limit_applies_to_accounts(bare):
    store = bare.store
    with store.transaction():
        root = store.find_one("domain", path="ROOT")
        sub = store.insert("domain", {"name": "sub", "path": "ROOT/sub", "level": 1, "state": "Active",
                                      "parentdomainid": root["id"], "internalid": 7})
        account = store.update("account", _user_account(store)["id"], domainid=sub["id"])
        limits.set_limit(store, domain=sub, resource_type="cpu", maximum=3)
        limits.charge(store, account, "cpu", 2)
        with pytest.raises(errors.ApiError) as caught:
            limits.charge(store, account, "cpu", 2)
        assert caught.value.errorcode == 532
        assert caught.value.errortext == (
            "Maximum domain resource limits of Type 'cpu' for Domain Id = 7 is exceeded: Domain Resource Limit = "
            "(3 bytes) 3, Current Domain Resource Amount = (2 bytes) 2, Requested Resource Amount = (2 bytes) 2.")


def test_root_domain_limits_are_ignored(bare):
    # A real server never limits ROOT, even with a row in its limit table.
    store = bare.store
    with store.transaction():
        account = _user_account(store)
        root = store.get("domain", account["domainid"])
        limits.set_limit(store, domain=root, resource_type="cpu", maximum=1)
        limits.charge(store, account, "cpu", 2)
        assert limits.effective_domain_limit(store, root, "cpu") == -1


def test_storage_amounts_are_printed_in_bytes(bare):
    store = bare.store
    with store.transaction():
        account = _user_account(store)
        limits.set_limit(store, account=account, resource_type="primary_storage", maximum=10)
        with pytest.raises(errors.ApiError) as caught:
            limits.charge(store, account, "primary_storage", 11)
        assert caught.value.errortext == (
            "Maximum amount of resources of Type = 'primary_storage' for Account Name = u1 in Domain Id = 1 is "
            "exceeded: Account Resource Limit = (10.00 GB) 10737418240, Current Account Resource Amount = "
            "(0 bytes) 0, Requested Resource Amount = (11.00 GB) 11811160064.")
        store.update("configuration", "display.human.readable.sizes", value="false")
        with pytest.raises(errors.ApiError) as caught:
            limits.charge(store, account, "primary_storage", 11)
        assert "Account Resource Limit = 10737418240, Current Account Resource Amount = 0," in caught.value.errortext


def test_ip_allocator_no_duplicates_and_exhaustion(bare):
    store = bare.store
    with store.transaction():
        account = _user_account(store)
        limits.set_limit(store, account=account, resource_type="public_ip", maximum=-1)
        zone = store.find_one("zone", name="Sandbox-simulator")
        total = ipalloc.free_count(store, zone["id"])
        assert total == 197         # 199 addresses, of which the seeded SSVM and CPVM hold one each
        seen = {ipalloc.allocate(store, zone["id"], account)["ipaddress"] for _ in range(total)}
        assert len(seen) == total
        with pytest.raises(errors.ApiError) as caught:
            ipalloc.allocate(store, zone["id"], account)
        assert caught.value.errorcode == 533
        some = store.find_one("publicipaddress", ipaddress="192.168.2.10")
        ipalloc.release(store, some["id"])
        assert ipalloc.allocate(store, zone["id"], account)["ipaddress"] == "192.168.2.10"
        assert limits.account_count(store, account["id"], "public_ip") == total


def test_transaction_rolls_back_on_error(bare):
    store = bare.store
    with pytest.raises(RuntimeError), store.transaction():
        store.insert("thing", {"id": "x1"})
        raise RuntimeError("boom")
    assert store.get("thing", "x1") is None


def test_delete_vlan_ip_range_checks_guest_ranges_itself():
    # The guest-range-in-use check (431 "<n>  Ips are in use...") is part of the core's handler: no module
    # wraps the declared handler at load time any more, so the handler that runs is the one infra.py defines.
    from marvin2.simulator import apis
    from marvin2.simulator.apis import infra
    from marvin2.simulator.declare import REGISTRY

    apis.load_all()
    assert REGISTRY.apis["deleteVlanIpRange"].handler is infra.delete_vlan_ip_range
