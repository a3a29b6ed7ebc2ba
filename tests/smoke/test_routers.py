"""Virtual routers of isolated networks: listed by the admin, stop/start/reboot,
and a restart with cleanup replaces the router."""
import pytest

from marvin2.client import CloudStackError

from .helpers import only

pytestmark = [pytest.mark.tags("routers", "networks", "smoke", "advanced"), pytest.mark.zone_type("Advanced")]


@pytest.fixture
def network_with_router(create_network, deploy_vm, cloud):
    network = create_network()
    deploy_vm(networkids=[network.id])
    return network, only(cloud.listRouters(networkid=network.id, listall=True), "router")


@pytest.mark.tags("quick-test")
def test_router_of_an_implemented_network(network_with_router, user_api, test_account):
    network, router = network_with_router
    assert router.state == "Running"
    assert router.guestnetworkid == network.id
    assert router.account == test_account.name
    assert router.role == "VIRTUAL_ROUTER"
    source_nat = only(user_api.listPublicIpAddresses(associatednetworkid=network.id, issourcenat=True))
    assert router.publicip == source_nat.ipaddress


def test_no_router_before_the_first_vm(create_network, cloud):
    network = create_network()
    assert cloud.listRouters(networkid=network.id, listall=True) in ([], None)


@pytest.mark.tags("disruptive")
def test_stop_start_and_reboot(network_with_router, cloud):
    _, router = network_with_router
    assert cloud.stopRouter(id=router.id).state == "Stopped"
    assert cloud.startRouter(id=router.id).state == "Running"
    assert cloud.rebootRouter(id=router.id).state == "Running"


def test_restart_with_cleanup_replaces_the_router(network_with_router, user_api, cloud):
    network, router = network_with_router
    user_api.restartNetwork(id=network.id, cleanup=True)
    new = only(cloud.listRouters(networkid=network.id, listall=True))
    assert new.id != router.id
    assert new.state == "Running"


@pytest.mark.tags("negative", "roles")
def test_users_may_not_stop_routers(network_with_router, user_api, user_api_full_spec):
    _, router = network_with_router
    assert "stopRouter" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.stopRouter(id=router.id)
    assert refused.value.errorcode == 432
