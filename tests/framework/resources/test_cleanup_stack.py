"""CleanupStack: LIFO, every cleanup runs, one summary of failures, "already gone" is success."""
from __future__ import annotations

import threading

import pytest
from resource_fakes import FakeCloud, not_found

from marvin2.client.errors import CloudStackError
from marvin2.resources import CleanupFailed, CleanupStack, delete_resource


def test_runs_newest_first():
    order = []
    stack = CleanupStack()
    for name in "abc":
        stack.push(order.append, name, description=f"append {name}")
    assert len(stack) == 3
    assert stack.run() == []
    assert order == ["c", "b", "a"]
    assert len(stack) == 0
    stack.run()  # a second run has nothing left to do
    assert order == ["c", "b", "a"]


def test_one_failure_never_stops_the_others_and_all_are_summarised():
    ran = []

    def boom(text):
        ran.append(text)
        raise RuntimeError(text)

    stack = CleanupStack()
    stack.push(ran.append, "first-pushed")
    stack.push(boom, "middle failure", description="explode in the middle")
    stack.push(boom, "last failure", description="explode first")
    with pytest.raises(CleanupFailed) as caught:
        stack.run()
    assert ran == ["last failure", "middle failure", "first-pushed"]
    assert [d for d, _ in caught.value.failures] == ["explode first", "explode in the middle"]
    text = str(caught.value)
    assert "2 cleanup(s) failed" in text and "explode in the middle: RuntimeError: middle failure" in text


def test_resource_cleanups_delete_in_reverse_and_treat_gone_as_success():
    cloud = FakeCloud()
    net = cloud.add("network", name="n")
    vm = cloud.add("vm", name="v")
    gone = cloud.add("volume", name="already")
    outcomes = []
    stack = CleanupStack(listeners=(lambda entry, outcome, error: outcomes.append((entry.kind, outcome)),))
    stack.push_resource(cloud, "network", net.id)
    stack.push_resource(cloud, "volume", gone.id)
    stack.push_resource(cloud, "vm", vm.id)
    del cloud.resources["volume"][gone.id]  # the test deleted it itself
    stack.run()
    assert outcomes == [("vm", "deleted"), ("volume", "already-gone"), ("network", "deleted")]
    assert cloud.ids("vm") == cloud.ids("network") == set()
    deletes = [c for c in cloud.commands() if c.startswith(("destroy", "delete"))]
    assert deletes == ["destroyVirtualMachine", "deleteNetwork"]


def test_a_failing_resource_delete_is_reported_and_the_rest_still_deleted():
    cloud = FakeCloud()
    a, b, c = (cloud.add("network", name=n) for n in "abc")
    cloud.fail_call[("deleteNetwork", b.id)] = CloudStackError("deleteNetwork", 530, "Network is in use by 1 VM")
    stack = CleanupStack()
    for net in (a, b, c):
        stack.push_resource(cloud, "network", net.id, name=net.name)
    with pytest.raises(CleanupFailed) as caught:
        stack.run()
    assert cloud.ids("network") == {b.id}
    (description, error), = caught.value.failures
    assert b.id in description and "(b)" in description
    assert error.errorcode == 530


def test_error_that_is_not_a_gone_text_but_resource_is_gone_counts_as_gone():
    cloud = FakeCloud()
    net = cloud.add("network")

    def delete_then_fail(**params):
        del cloud.resources["network"][params["id"]]
        raise CloudStackError("deleteNetwork", 530, "job failed half way")

    cloud.hooks["deleteNetwork"] = delete_then_fail
    assert delete_resource(cloud, "network", net.id) is False


def test_delete_of_unknown_id_is_already_gone():
    cloud = FakeCloud()
    assert delete_resource(cloud, "snapshot", "0b1e2c4d-0000-0000-0000-000000000000") is False


def test_cancelled_entries_do_not_run():
    ran = []
    stack = CleanupStack()
    stack.push(ran.append, 1)
    entry = stack.push(ran.append, 2)
    entry.cancel()
    stack.run()
    assert ran == [1]


def test_context_manager_keeps_the_blocks_own_error():
    ran = []
    with pytest.raises(KeyError):
        with CleanupStack() as stack:
            stack.push(ran.append, "cleaned")
            stack.push(lambda: 1 / 0, description="failing cleanup")
            raise KeyError("the test's own failure")
    assert ran == ["cleaned"]


def test_context_manager_raises_cleanup_failures_when_block_succeeded():
    with pytest.raises(CleanupFailed):
        with CleanupStack() as stack:
            stack.push(lambda: 1 / 0, description="failing cleanup")


def test_discard_forgets_pending_cleanups():
    ran = []
    stack = CleanupStack()
    stack.push(ran.append, 1, description="one")
    assert [e.description for e in stack.discard()] == ["one"]
    stack.run()
    assert ran == []


def test_pushes_from_threads_are_all_run_once():
    ran = []
    lock = threading.Lock()
    stack = CleanupStack()

    def record(n):
        with lock:
            ran.append(n)

    threads = [threading.Thread(target=lambda i=i: [stack.push(record, i * 100 + j) for j in range(100)]) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stack.run()
    assert sorted(ran) == sorted(i * 100 + j for i in range(8) for j in range(100))


def test_listener_failure_does_not_stop_cleanup():
    cloud = FakeCloud()
    nets = [cloud.add("network") for _ in range(2)]

    def bad_listener(entry, outcome, error):
        raise RuntimeError("listener broke")

    stack = CleanupStack(listeners=(bad_listener,))
    for net in nets:
        stack.push_resource(cloud, "network", net.id)
    stack.run()
    assert cloud.ids("network") == set()


def test_not_found_error_is_recognised_as_gone():
    from marvin2.resources import is_gone_error

    assert is_gone_error(not_found("deleteVolume", "id", "x"))
    assert is_gone_error(CloudStackError("deleteVPC", 431, "Unable to find VPC by id=x"))
    assert not is_gone_error(CloudStackError("deleteNetwork", 530, "Network is in use"))
    assert not is_gone_error(CloudStackError("deleteNetwork", 401, "entity does not exist"))  # auth errors never count
    assert not is_gone_error(RuntimeError("does not exist"))  # no errortext: not a server answer


def test_a_failed_resource_delete_is_retried_after_the_others():
    # A network's source NAT IP cannot be released before the network is deleted.
    cloud = FakeCloud()
    net = cloud.add("network")
    ip = cloud.add("public_ip", associatednetworkid=net.id, issourcenat=True, state="Allocated")
    original = cloud._remove

    def remove(kind, rid, command):
        original(kind, rid, command)
        if kind == "network":  # the server releases the network's source NAT IP with it
            cloud.resources["public_ip"].pop(ip.id, None)

    cloud._remove = remove

    def refuse(**params):
        from marvin2.client.errors import AsyncJobFailed
        raise AsyncJobFailed("disassociateIpAddress", 530, "ip address is used for source nat purposes and can not "
                             "be disassociated.", jobid="j")

    cloud.hooks["disassociateIpAddress"] = refuse
    outcomes = []
    stack = CleanupStack(listeners=(lambda entry, outcome, error: outcomes.append((entry.kind, outcome)),))
    stack.push_resource(cloud, "network", net.id)
    stack.push_resource(cloud, "public_ip", ip.id)
    assert stack.run() == []
    assert outcomes == [("network", "deleted"), ("public_ip", "already-gone")]
    assert cloud.commands().count("disassociateIpAddress") == 1  # tried once, then left to the network


def test_a_plain_callable_failure_is_not_retried():
    calls = []

    def fail():
        calls.append(1)
        raise RuntimeError("no")

    stack = CleanupStack()
    stack.push(fail)
    assert len(stack.run(raise_errors=False)) == 1
    assert calls == [1]


def test_deferred_deletes_are_retried_in_passes_while_they_progress():
    # IP deferred (source NAT), network deferred (a VM was still expunging): the
    # first retry pass deletes the network, the second finds the IP released.
    cloud = FakeCloud()
    net = cloud.add("network")
    ip = cloud.add("public_ip", associatednetworkid=net.id, issourcenat=True, state="Allocated")
    network_refusals = [1]

    def delete_network(**params):
        if network_refusals:
            network_refusals.pop()
            raise CloudStackError("deleteNetwork", 530, "Failed to delete network")
        del cloud.resources["network"][params["id"]]
        cloud.resources["public_ip"].pop(ip.id, None)
        return {"success": True}

    def refuse(**params):
        raise CloudStackError("disassociateIpAddress", 530, "ip address is used for source nat purposes")

    cloud.hooks.update(deleteNetwork=delete_network, disassociateIpAddress=refuse)
    pauses = []
    stack = CleanupStack(sleep=pauses.append)
    stack.push_resource(cloud, "network", net.id)
    stack.push_resource(cloud, "public_ip", ip.id)
    assert stack.run() == []
    assert cloud.ids("network") == cloud.ids("public_ip") == set()
    assert len(pauses) == 2


def test_retries_stop_when_a_pass_makes_no_progress():
    cloud = FakeCloud()
    net = cloud.add("network")
    cloud.fail_call[("deleteNetwork", net.id)] = CloudStackError("deleteNetwork", 530, "never")
    pauses = []
    stack = CleanupStack(sleep=pauses.append)
    stack.push_resource(cloud, "network", net.id)
    assert len(stack.run(raise_errors=False)) == 1
    assert len(pauses) == 1 and cloud.commands().count("deleteNetwork") == 2
