"""Finding and deleting a run's leftovers: ledger + tags + names, dependency order."""
from __future__ import annotations

from resource_fakes import FakeCloud, create_recorded_run

from marvin2 import resources as r
from marvin2.client.errors import CloudStackError
from marvin2.resources import ledger as L
from marvin2.resources.sweep import collect_leftovers, delete_leftovers

RUN = "20260101-000000-aaaaaa"


def _populate(cloud, tmp_path):
    """A run that created an account, a network, a VM, a volume and an IP; only some recorded."""
    writer = L.LedgerWriter(tmp_path, run_id=RUN, worker="gw0")
    account, net, vm = create_recorded_run(cloud, writer, RUN)
    ip = r.acquire_public_ip(cloud, networkid=net.id, run_id=RUN)          # not in the ledger: tag only
    vol = r.create_volume(cloud, zoneid="z", diskofferingid="d", run_id=RUN)  # ledger lost it
    cloud.tags = [t for t in cloud.tags if t["resourceid"] != vol.id]      # ... and its tag job never ran
    deleted = r.create_network(cloud, zoneid="z", networkofferingid="o", run_id=RUN)
    writer.record(L.CREATED, kind="network", resource_id=deleted.id, name=deleted.name)
    r.delete_resource(cloud, "network", deleted.id)
    writer.record(L.DELETED, kind="network", resource_id=deleted.id)
    other = cloud.add("network", name="someone-elses-network")
    writer.close()
    return account, net, vm, ip, vol, other


def test_collects_from_all_sources_in_dependency_order(tmp_path):
    cloud = FakeCloud()
    account, net, vm, ip, vol, other = _populate(cloud, tmp_path)
    leftovers = collect_leftovers(cloud, RUN, L.read_ledger(tmp_path, run_id=RUN))
    assert [(l.kind, l.id) for l in leftovers] == [
        ("vm", vm.id), ("volume", vol.id), ("public_ip", ip.id), ("network", net.id), ("account", account.id)]
    sources = {l.kind: l.sources for l in leftovers}
    assert sources["vm"] == {"ledger", "tag", "name"}
    assert sources["public_ip"] == {"tag"}
    assert sources["volume"] == {"name"}
    assert sources["account"] == {"ledger", "name"}


def test_deletes_everything_of_the_run_and_nothing_else(tmp_path):
    cloud = FakeCloud()
    account, net, vm, ip, vol, other = _populate(cloud, tmp_path)
    leftovers = collect_leftovers(cloud, RUN, L.read_ledger(tmp_path, run_id=RUN))
    seen = []
    result = delete_leftovers(cloud, leftovers, progress=lambda outcome, item, error: seen.append((outcome, item.kind)))
    assert result.ok
    assert [k for _, k in seen] == ["vm", "volume", "public_ip", "network", "account"]
    assert all(o == "deleted" for o, _ in seen)
    remaining = {kind: ids for kind, ids in ((k, cloud.ids(k)) for k in cloud.resources) if ids}
    assert remaining == {"network": {other.id}}


def test_dry_run_deletes_nothing(tmp_path):
    cloud = FakeCloud()
    _populate(cloud, tmp_path)
    before = {k: cloud.ids(k) for k in cloud.resources}
    result = delete_leftovers(cloud, collect_leftovers(cloud, RUN, L.read_ledger(tmp_path)), dry_run=True)
    assert len(result.would_delete) == 5 and not result.deleted
    assert {k: cloud.ids(k) for k in cloud.resources} == before


def test_a_failure_does_not_stop_the_sweep_and_is_reported(tmp_path):
    cloud = FakeCloud()
    account, net, vm, ip, vol, other = _populate(cloud, tmp_path)
    cloud.fail_call[("deleteNetwork", net.id)] = CloudStackError("deleteNetwork", 530, "router is busy")
    result = delete_leftovers(cloud, collect_leftovers(cloud, RUN, L.read_ledger(tmp_path)))
    assert not result.ok
    assert [(i.kind, e.errorcode) for i, e in result.failed] == [("network", 530)]
    assert cloud.ids("vm") == cloud.ids("account") == set()


def test_ledger_entries_already_gone_are_reported_as_such(tmp_path):
    cloud = FakeCloud()
    with L.LedgerWriter(tmp_path, run_id=RUN, worker="gw0") as writer:
        writer.record(L.CREATED, kind="snapshot", resource_id="3f1e0000-0000-0000-0000-000000000000")
    result = delete_leftovers(cloud, collect_leftovers(cloud, RUN, L.read_ledger(tmp_path)))
    assert [i.id for i in result.already_gone] == ["3f1e0000-0000-0000-0000-000000000000"]
    assert result.ok


def test_without_listtags_the_kinds_are_searched_by_tag(tmp_path):
    cloud = FakeCloud()
    ip = r.acquire_public_ip(cloud, networkid="n", run_id=RUN)

    def unknown(**params):
        raise CloudStackError("listTags", 432, "Unknown API command: listTags")

    cloud.hooks["listTags"] = unknown
    leftovers = collect_leftovers(cloud, RUN, use_names=False)
    assert [(l.kind, l.id, l.sources) for l in leftovers] == [("public_ip", ip.id, {"tag"})]


def test_an_ip_now_allocated_to_someone_else_is_left_alone(tmp_path):
    # The ledger records who had the address at creation; by the time `marvin2 cleanup` runs, the run released it
    # and another account acquired the same address (same id). It is not the run's any more.
    cloud = FakeCloud()
    with L.LedgerWriter(tmp_path, run_id=RUN, worker="gw0") as writer:
        def record(created):
            writer.record(L.CREATED, kind=created.kind, resource_id=created.id, ownership=created.ownership)

        mine = r.acquire_public_ip(cloud, networkid="net-1", on_created=record)
        kept = r.acquire_public_ip(cloud, networkid="net-1", on_created=record)
    cloud.resources["public_ip"][mine.id].update(associatednetworkid="net-9", account="someone-else")
    ledger = L.read_ledger(tmp_path, run_id=RUN)
    assert {x.id: x.ownership for x in ledger} == {mine.id: {"associatednetworkid": "net-1"},
                                                   kept.id: {"associatednetworkid": "net-1"}}
    leftovers = collect_leftovers(cloud, RUN, ledger, use_tags=False, use_names=False)
    result = delete_leftovers(cloud, leftovers)
    assert [i.id for i in result.already_gone] == [mine.id] and [i.id for i in result.deleted] == [kept.id]
    assert cloud.ids("public_ip") == {mine.id}
    assert [p["id"] for c, p in cloud.calls if c == "disassociateIpAddress"] == [kept.id]
