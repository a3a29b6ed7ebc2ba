"""The account clean-up / disable hook registry (services/accounts.py): hooks run in rank order.

deleteAccount removes an account's resources through hooks the owning services
register when they load; the order matters (networks before VMs, VPCs last, so
the tiers' VMs are gone before their VPC), so it is fixed by rank, not by the
order in which modules happen to be imported.
"""
from __future__ import annotations

import pytest

from marvin2.simulator import apis
from marvin2.simulator.services import accounts


def _names(hooks) -> list[str]:
    return [f"{hook.__module__.rsplit('.', 1)[-1]}.{hook.__name__}" for hook in hooks]


def test_the_simulator_registers_its_hooks_in_the_documented_order():
    apis.load_all()
    assert _names(accounts.ACCOUNT_CLEANUP_HOOKS)[:4] == [
        "networks.cleanup_account", "vms.cleanup_account", "security_groups.cleanup_account", "vpcs.cleanup_account"]
    assert _names(accounts.ACCOUNT_DISABLE_HOOKS)[:2] == ["routers.stop_account_routers", "vms.stop_account_vms"]


@pytest.fixture
def empty_registry(monkeypatch):
    monkeypatch.setattr(accounts, "ACCOUNT_CLEANUP_HOOKS", [])
    monkeypatch.setattr(accounts, "ACCOUNT_DISABLE_HOOKS", [])
    monkeypatch.setattr(accounts, "_ranks", {})


def test_hooks_run_by_rank_whatever_the_registration_order(empty_registry):
    calls = []

    def make(label):
        def hook(store, account):
            calls.append((label, account["id"]))
        hook.__name__ = label
        return hook

    late, early, unranked, middle = make("late"), make("early"), make("unranked"), make("middle")
    accounts.register_account_cleanup(late, rank=accounts.CLEANUP_VPCS)
    accounts.register_account_cleanup(unranked)
    accounts.register_account_cleanup(early, rank=accounts.CLEANUP_NETWORKS)
    accounts.register_account_cleanup(middle, rank=accounts.CLEANUP_VMS)
    accounts.register_account_cleanup(early, rank=accounts.CLEANUP_NETWORKS)     # twice: kept once
    for hook in accounts.ACCOUNT_CLEANUP_HOOKS:
        hook(None, {"id": "a1"})
    assert [label for label, _ in calls] == ["early", "middle", "late", "unranked"]
    assert accounts.ACCOUNT_DISABLE_HOOKS == []


def test_disable_hooks_have_their_own_order(empty_registry):
    def vms_hook(store, account):
        pass

    def routers_hook(store, account):
        pass

    accounts.register_account_disable(vms_hook, rank=accounts.DISABLE_VMS)
    accounts.register_account_disable(routers_hook, rank=accounts.DISABLE_ROUTERS)
    assert accounts.ACCOUNT_DISABLE_HOOKS == [routers_hook, vms_hook]
    assert accounts.ACCOUNT_CLEANUP_HOOKS == []
