"""Primary storage pools and secondary (image) stores as the admin lists them."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, only

pytestmark = pytest.mark.tags("storage", "infrastructure", "smoke")


@pytest.mark.tags("quick-test")
def test_primary_storage_of_the_zone(cloud, zone):
    pools = cloud.listStoragePools(zoneid=zone.id) or []
    assert pools, "the zone has primary storage"
    clusters = set(ids(cloud.listClusters(zoneid=zone.id)))
    for pool in pools:
        assert pool.zoneid == zone.id
        assert pool.state == "Up"
        assert int(pool.disksizetotal) > 0
        assert pool.scope in ("CLUSTER", "ZONE", "HOST")
        if pool.scope == "CLUSTER":
            assert pool.clusterid in clusters


def test_secondary_storage_of_the_zone(cloud, zone):
    stores = cloud.listImageStores(zoneid=zone.id) or []
    assert stores, "the zone has secondary storage"
    for store in stores:
        assert store.zoneid == zone.id
        assert store.protocol
        assert store.providername


@pytest.mark.tags("volumes")
def test_root_volume_lives_on_a_pool_of_the_zone(shared_vm, cloud, zone):
    root = only(cloud.listVolumes(virtualmachineid=shared_vm.id, type="ROOT", listall=True))
    pools = {p.id: p for p in cloud.listStoragePools(zoneid=zone.id)}
    assert root.storageid in pools
    assert only(cloud.listStoragePools(id=root.storageid)).name == root.storage


@pytest.mark.tags("negative", "roles")
def test_users_may_not_list_storage(user_api, user_api_full_spec):
    assert "listStoragePools" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.listStoragePools()
    assert refused.value.errorcode == 432
