"""Compute service offerings: create, list, update, domain scope, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed

pytestmark = pytest.mark.tags("service-offerings", "smoke")


@pytest.mark.tags("quick-test")
def test_create_service_offering(make, cloud, user_api):
    offering = make.service_offering(cpunumber=2, cpuspeed=750, memory=640, offerha=True, limitcpuuse=True)
    assert (offering.cpunumber, offering.cpuspeed, offering.memory) == (2, 750, 640)
    assert offering.offerha is True
    assert offering.limitcpuuse is True
    assert offering.issystem is False
    assert offering.id in ids(user_api.listServiceOfferings(id=offering.id)), "a public offering is for everyone"


@pytest.mark.tags("deploy-vm")
def test_deploy_with_a_new_offering(make, deploy_vm):
    offering = make.service_offering(cpunumber=1, cpuspeed=200, memory=256)
    vm = deploy_vm(serviceofferingid=offering.id)
    assert (vm.serviceofferingid, vm.cpunumber, vm.cpuspeed, vm.memory) == (offering.id, 1, 200, 256)


@pytest.mark.tags("deploy-vm")
def test_deploy_with_a_custom_offering(make, deploy_vm):
    offering = make.service_offering(customized=True, cpunumber=None, cpuspeed=None, memory=None)
    assert offering.iscustomized is True
    vm = deploy_vm(serviceofferingid=offering.id, details=[{"cpuNumber": "2", "cpuSpeed": "500", "memory": "768"}])
    assert (vm.cpunumber, vm.cpuspeed, vm.memory) == (2, 500, 768)


def test_update_service_offering(make, cloud):
    offering = make.service_offering()
    updated = cloud.updateServiceOffering(id=offering.id, name=offering.name + "-x", displaytext="marvin2 updated")
    assert (updated.name, updated.displaytext) == (offering.name + "-x", "marvin2 updated")
    assert (updated.cpunumber, updated.memory) == (offering.cpunumber, offering.memory), "sizes cannot change"


def test_domain_offering_is_visible_in_its_domain_only(make, user_api, domain):
    sub = make.domain(parentdomainid=domain.id)
    offering = make.service_offering(domainid=[sub.id])
    assert offering.domainid == sub.id
    insider = make.api_for(make.account(domainid=sub.id))
    assert offering.id in ids(insider.listServiceOfferings(id=offering.id))
    assert offering.id not in ids(listed(user_api, "listServiceOfferings", id=offering.id))


def test_delete_service_offering(make, cloud):
    offering = make.service_offering()
    cloud.deleteServiceOffering(id=offering.id)
    assert offering.id not in ids(listed(cloud, "listServiceOfferings", id=offering.id))


@pytest.mark.tags("negative", "roles")
def test_users_may_not_create_offerings(user_api, user_api_full_spec):
    assert "createServiceOffering" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.createServiceOffering(name="m2-refused", displaytext="m2-refused", cpunumber=1,
                                                 cpuspeed=100, memory=128)
    assert refused.value.errorcode == 432


@pytest.mark.tags("negative")
def test_zero_memory_is_refused(cloud):
    with pytest.raises(CloudStackError) as refused:
        cloud.createServiceOffering(name="m2-bad-memory", displaytext="m2-bad-memory", cpunumber=1, cpuspeed=100,
                                    memory=0)
    assert refused.value.errorcode == 431
