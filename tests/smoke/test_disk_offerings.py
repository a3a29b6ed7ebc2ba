"""Disk offerings: create fixed and custom offerings, update, domain scope, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import GIB, ids, listed

pytestmark = pytest.mark.tags("offerings", "storage", "smoke")


@pytest.mark.tags("quick-test")
def test_create_disk_offering(make, user_api):
    offering = make.disk_offering(disksize=3, tags="marvin2")
    assert int(offering.disksize) == 3
    assert offering.iscustomized is False
    assert offering.tags == "marvin2"
    assert offering.id in ids(user_api.listDiskOfferings(id=offering.id))


@pytest.mark.tags("volumes")
def test_volume_size_follows_the_offering(make, create_volume):
    offering = make.disk_offering(disksize=3)
    volume = create_volume(diskofferingid=offering.id)
    assert int(volume.size) == 3 * GIB


@pytest.mark.tags("volumes")
def test_custom_offering_takes_the_size_of_the_volume(make, create_volume):
    offering = make.disk_offering(customized=True, disksize=None)
    assert offering.iscustomized is True
    volume = create_volume(diskofferingid=offering.id, size=7)
    assert int(volume.size) == 7 * GIB


def test_update_disk_offering(make, cloud):
    offering = make.disk_offering()
    updated = cloud.updateDiskOffering(id=offering.id, name=offering.name + "-x", displaytext="marvin2 updated")
    assert (updated.name, updated.displaytext) == (offering.name + "-x", "marvin2 updated")


def test_domain_disk_offering(make, user_api, domain):
    sub = make.domain(parentdomainid=domain.id)
    offering = make.disk_offering(domainid=[sub.id])
    assert offering.id not in ids(listed(user_api, "listDiskOfferings", id=offering.id))
    insider = make.api_for(make.account(domainid=sub.id))
    assert offering.id in ids(insider.listDiskOfferings(id=offering.id))


def test_delete_disk_offering(make, cloud):
    offering = make.disk_offering()
    cloud.deleteDiskOffering(id=offering.id)
    assert offering.id not in ids(listed(cloud, "listDiskOfferings", id=offering.id))


@pytest.mark.tags("negative")
def test_fixed_offering_needs_a_positive_size(cloud):
    with pytest.raises(CloudStackError) as refused:
        cloud.createDiskOffering(name="m2-bad-size", displaytext="m2-bad-size", disksize=-1)
    assert refused.value.errorcode == 431
