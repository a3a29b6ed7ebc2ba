"""Expunge delay: a destroyed VM stays Destroyed (and recoverable) until the expunge task removes it.

``expunge.delay`` is how long a destroyed VM is kept, ``expunge.interval``
how often the expunge task runs. Both are read by the management server at
start-up only (``isdynamic`` false in the 4.20 settings table): changing them
through the API has no effect until a restart. So the life-cycle tests here
do not change them: they read the cloud's values and wait for them (on the
simulator, 60 s each, scaled by the timing profile), and they are not serial.
Only the read-back test changes a value (and puts it back), serially. Who
may expunge or recover is ``allow.user.expunge.recover.vm`` (account scope),
checked on a fresh account.
"""
from __future__ import annotations

import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import expect_error, listed, only, setting_value

pytestmark = [pytest.mark.tags("component", "deploy-vm", "global-settings")]

# The longest expunge cycle (delay + interval, seconds) a test waits for; longer ones are skipped, saying so.
LONGEST_WAIT = 900
# A delay shorter than this cannot prove that a destroyed VM is kept: a recover might simply be late.
SHORTEST_DELAY = 30


def seconds(cloud, name: str, default: int) -> int:
    value = setting_value(cloud, name)
    return int(value) if value not in (None, "") else default


@pytest.fixture
def expunge_cycle(cloud) -> tuple[int, int]:
    """(expunge.delay, expunge.interval) of the cloud, in seconds; skips where one cycle is too long to wait."""
    delay, interval = seconds(cloud, "expunge.delay", 86400), seconds(cloud, "expunge.interval", 86400)
    if delay + interval > LONGEST_WAIT:
        pytest.skip(f"expunge.delay + expunge.interval is {delay + interval}s on this cloud (longer than "
                    f"{LONGEST_WAIT}s): they are read at start-up, so configure them shorter and restart")
    return delay, interval


@pytest.mark.tags("disruptive")
def test_a_destroyed_vm_is_expunged_after_the_delay(expunge_cycle, deploy_vm, user_api, cloud):
    delay, interval = expunge_cycle
    vm = deploy_vm()
    destroyed = user_api.destroyVirtualMachine(id=vm.id)
    assert destroyed.state == "Destroyed"
    # The task may have just run: the VM goes at most one interval after its delay has passed.
    r.wait_for_vm_expunged(cloud, vm.id, timeout=delay + interval + 60)
    left = listed(cloud, "listVirtualMachines", id=vm.id, listall=True)
    assert [v.state for v in left] in ([], ["Expunging"], ["Expunged"])
    # It cannot be brought back any more.
    expect_error((431, 530), cloud.recoverVirtualMachine, id=vm.id)


@pytest.mark.tags("disruptive")
def test_a_destroyed_vm_is_recoverable_within_the_delay(expunge_cycle, deploy_vm, user_api, cloud):
    delay, _ = expunge_cycle
    if delay < SHORTEST_DELAY:
        pytest.skip(f"expunge.delay is {delay}s on this cloud: too short to tell a kept VM from a late recover")
    vm = deploy_vm()
    user_api.destroyVirtualMachine(id=vm.id)
    seen = only(cloud.listVirtualMachines(id=vm.id, listall=True), "destroyed VM")
    assert seen.state == "Destroyed"
    recovered = cloud.recoverVirtualMachine(id=vm.id)
    assert recovered.state == "Stopped"
    assert user_api.startVirtualMachine(id=vm.id).state == "Running"


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_settings_are_read_back_and_restored(global_settings, cloud):
    before = setting_value(cloud, "expunge.delay")
    answer = global_settings.set("expunge.delay", "7")
    assert (answer.name, answer.value) == ("expunge.delay", "7")
    assert setting_value(cloud, "expunge.delay") == "7"
    global_settings.stack.run()           # what the test's cleanup does: the old value comes back
    assert setting_value(cloud, "expunge.delay") == before


@pytest.mark.tags("quick-test")
def test_a_destroyed_vm_is_listed_by_state_until_expunged(deploy_vm, user_api, cloud):
    vm = deploy_vm()
    user_api.destroyVirtualMachine(id=vm.id)
    # Within expunge.delay (the default, not changed by this test) it is still there, Destroyed.
    destroyed = {v.id: v.state for v in listed(cloud, "listVirtualMachines", state="Destroyed", listall=True)}
    assert destroyed.get(vm.id) == "Destroyed"
    assert vm.id not in {v.id for v in listed(cloud, "listVirtualMachines", state="Running", listall=True)}
    cloud.expungeVirtualMachine(id=vm.id)
    r.wait_for_vm_expunged(cloud, vm.id, timeout=120)
    assert vm.id not in {v.id for v in listed(cloud, "listVirtualMachines", state="Destroyed", listall=True)}


# --- who may expunge and recover ------------------------------------------------------------------


@pytest.fixture
def plain_user(make, create_network, deploy_vm):
    keys = make.account(purpose="expunger")
    api = make.api_for(keys)
    vm = deploy_vm(api=api, networkids=[create_network(api=api).id])
    return keys, api, vm


@pytest.mark.tags("negative", "roles")
def test_a_user_may_not_expunge_by_default(plain_user, cloud):
    keys, api, vm = plain_user
    value = setting_value(cloud, "allow.user.expunge.recover.vm", accountid=keys.id)
    if value == "true":
        pytest.skip("allow.user.expunge.recover.vm is true on this cloud")
    with pytest.raises(CloudStackError) as refused:
        api.destroyVirtualMachine(id=vm.id, expunge=True)
    # Refused in the job on some versions (530), before it on others (531); the text is the same.
    assert refused.value.errorcode in (530, 531)
    assert "can be passed by Admin only" in refused.value.errortext
    assert only(api.listVirtualMachines(id=vm.id)).state == "Running"


@pytest.mark.tags("negative", "roles")
def test_a_user_may_not_recover_by_default(plain_user, make, cloud):
    keys, api, vm = plain_user
    if setting_value(cloud, "allow.user.expunge.recover.vm", accountid=keys.id) == "true":
        pytest.skip("allow.user.expunge.recover.vm is true on this cloud")
    api.destroyVirtualMachine(id=vm.id)
    sender = make.api_for(keys, spec=cloud.spec)        # sends it even if the user's API list lacks it
    # 432 where the role does not offer the API at all, 531 where the setting forbids it.
    error = expect_error((432, 531), sender.recoverVirtualMachine, id=vm.id)
    if error.errorcode == 531:
        assert "allow.user.expunge.recover.vm" in error.errortext
    assert only(cloud.listVirtualMachines(id=vm.id, listall=True)).state == "Destroyed"


@pytest.mark.tags("roles")
def test_the_account_setting_lets_its_users_expunge(plain_user, global_settings, cloud):
    keys, api, vm = plain_user
    global_settings.set("allow.user.expunge.recover.vm", "true", accountid=keys.id)
    api.destroyVirtualMachine(id=vm.id, expunge=True)
    r.wait_for_vm_expunged(cloud, vm.id, timeout=120)
