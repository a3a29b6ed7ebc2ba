"""Templates copied across two zones.

A template registered in the test zone is copied to a second zone (an
existing one, or, on the simulator, a zone deployed for this module with the
datacenter layout helpers and torn down afterwards): one entry per zone in
listTemplates, a VM deployed from the copy in the second zone, deletion
from one zone only, and someone else's template refused. The zone is made
once for the module (a module-scoped fixture); the refusals that need no
second zone are in test_template_copy_refusals.py, so that they run on
another worker without a zone deploy of their own.
"""
from __future__ import annotations

import pytest

from .helpers import entries, expect_error, only, wait_until

pytestmark = [pytest.mark.tags("component", "templates", "advanced")]


def wait_ready_in(api, template_id: str, zone_id: str, timeout: float):
    """The template's entry in one zone once it is ready there.

    (marvin2.resources.wait_for_template_ready looks at the first zone's entry
    only, so it cannot wait for the copy in a second zone.)
    """
    def ready():
        found = entries(api, template_id, zoneid=zone_id)
        return found[0] if found and found[0].get("isready") is True else None

    return wait_until(ready, timeout=timeout, what=f"template {template_id} ready in zone {zone_id}")


def test_copy_to_a_second_zone(register_template, second_zone, zone, user_api):
    tmpl = register_template()
    copied = user_api.copyTemplate(id=tmpl.id, sourcezoneid=zone.id, destzoneid=second_zone.zone.id)
    assert copied.id == tmpl.id
    assert copied.zoneid == second_zone.zone.id
    zones = sorted(e.zoneid for e in entries(user_api, tmpl.id))
    assert zones == sorted([zone.id, second_zone.zone.id])
    ready = wait_ready_in(user_api, tmpl.id, second_zone.zone.id, timeout=600)
    assert ready.zoneid == second_zone.zone.id
    assert [e.zoneid for e in entries(user_api, tmpl.id, zoneid=second_zone.zone.id)] == [second_zone.zone.id]


def test_copy_with_destzoneids_list(register_template, second_zone, zone, user_api):
    tmpl = register_template()
    user_api.copyTemplate(id=tmpl.id, destzoneids=[second_zone.zone.id])
    assert sorted(e.zoneid for e in entries(user_api, tmpl.id)) == sorted([zone.id, second_zone.zone.id])


@pytest.mark.tags("deploy-vm", "networks")
def test_deploy_from_the_copy_in_the_second_zone(register_template, second_zone, zone, user_api, create_network,
                                                 network_offering, deploy_vm, job_timeout):
    tmpl = register_template()
    user_api.copyTemplate(id=tmpl.id, sourcezoneid=zone.id, destzoneid=second_zone.zone.id)
    wait_ready_in(user_api, tmpl.id, second_zone.zone.id, timeout=job_timeout)
    net = create_network(zoneid=second_zone.zone.id, networkofferingid=network_offering.id)
    vm = deploy_vm(zoneid=second_zone.zone.id, templateid=tmpl.id, networkids=[net.id])
    assert (vm.zoneid, vm.templateid, vm.state) == (second_zone.zone.id, tmpl.id, "Running")


def test_delete_from_one_zone_only(register_template, second_zone, zone, user_api):
    tmpl = register_template()
    user_api.copyTemplate(id=tmpl.id, sourcezoneid=zone.id, destzoneid=second_zone.zone.id)
    user_api.deleteTemplate(id=tmpl.id, zoneid=second_zone.zone.id)
    assert [e.zoneid for e in entries(user_api, tmpl.id)] == [zone.id]


@pytest.mark.tags("negative", "isolation")
def test_another_accounts_private_template_cannot_be_copied(register_template, second_zone, make, user_api):
    tmpl = register_template()
    other = make.api_for(make.account(purpose="copier"))
    expect_error(531, other.copyTemplate, id=tmpl.id, destzoneid=second_zone.zone.id)
    assert len(entries(user_api, tmpl.id)) == 1


def test_the_admin_copies_a_users_template(register_template, second_zone, zone, user_api, cloud):
    tmpl = register_template()
    cloud.copyTemplate(id=tmpl.id, sourcezoneid=zone.id, destzoneid=second_zone.zone.id)
    # The copy still belongs to the user.
    in_second = only(entries(user_api, tmpl.id, zoneid=second_zone.zone.id), "copy")
    assert in_second.account == tmpl.account


@pytest.mark.tags("infrastructure")
def test_the_second_zone_is_usable(second_zone, cloud):
    z = second_zone.zone
    assert (z.allocationstate, z.networktype) == ("Enabled", "Advanced")
    assert cloud.listHosts(zoneid=z.id, type="Routing"), "the second zone has a host"
    assert cloud.listStoragePools(zoneid=z.id), "the second zone has primary storage"
