"""Factory fixtures: callables that create resources and always clean them up.

    def test_vm_on_network(create_network, deploy_vm):
        net = create_network()
        vm = deploy_vm(networkids=[net.id])

Every factory of a test shares one :class:`ResourceTracker`, so cleanup is
LIFO across factories (the VM goes before its network). The cleanup is
registered the moment the resource has an id, before an async create is
waited for; it runs after the test whether it passed, failed, or errored in
setup. Resources are created as the isolated test user (``user_api``)
unless ``api=`` says otherwise, and deleted with the admin ``cloud`` (an
admin may always expunge). Keyword arguments go to the create API.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from marvin2.pytest_plugin.background_cleanup import BACKGROUND_JOB, cleaner_of
from marvin2.pytest_plugin.fixtures_discovery import is_basic_zone
from marvin2.pytest_plugin.fixtures_tracking import ResourceTracker, delete_timeout
from marvin2.pytest_plugin.serial import is_serial
from marvin2 import resources as r

_PURPOSE = re.compile(r"[^A-Za-z0-9]+")


def _purpose(request: pytest.FixtureRequest) -> str:
    # The test's (or module's) name in the resource name helps to trace leftovers.
    name = getattr(request.node, "originalname", None) or request.node.name
    name = name.rsplit(".", 1)[-1]
    return _PURPOSE.sub("-", name.removeprefix("test_").removesuffix(".py"))[:20].strip("-") or "t"


class ResourceFactory:
    """Creates resources for one scope; used by the factory fixtures."""

    def __init__(self, request: pytest.FixtureRequest, tracker: ResourceTracker):
        self.request = request
        self.tracker = tracker
        self.purpose = _purpose(request)
        self._default_networks: dict[str, Any] = {}  # owner -> network

    # lazily resolved fixtures: a test that never makes a VPC never needs a VPC offering
    def fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    @property
    def run_id(self) -> str:
        return self.fixture("run_context").run_id

    def job_timeout(self, command: str) -> float | None:
        config = self.fixture("marvin2_config")
        return config.job_timeout(command) if hasattr(config, "job_timeout") else None

    def api_and_owner(self, api: Any | None) -> tuple[Any, str]:
        if api is None:
            return self.fixture("user_api"), self.fixture("test_account").name
        if api is self.fixture("cloud"):
            return api, "admin"
        return api, getattr(api, "username", None) or "other"

    def common(self, api: Any | None, command: str, params: dict, *, timed: bool = True) -> tuple[Any, dict]:
        api, owner = self.api_and_owner(api)
        params.setdefault("run_id", self.run_id)
        params.setdefault("on_created", self.tracker.on_created_by(owner))
        if "name" not in params and command not in ("associateIpAddress", "createFirewallRule", "createPortForwardingRule"):
            params.setdefault("purpose", self.purpose)
        if timed:
            params.setdefault("timeout", self.job_timeout(command))
        return api, params

    # --- the factories ------------------------------------------------------------------
    def network(self, *, api: Any = None, **params: Any) -> Any:
        params.setdefault("zoneid", self.fixture("zone")["id"])
        if "networkofferingid" not in params:
            params["networkofferingid"] = self.fixture("network_offering")["id"]
        api, params = self.common(api, "createNetwork", params, timed=False)
        return r.create_network(api, **params)

    def basic_zone(self) -> bool:
        """Whether the test's zone is a Basic zone (zone record's networktype, else the config's)."""
        return is_basic_zone(self.fixture("zone"), self.fixture("marvin2_config"))

    def default_network(self, api: Any = None) -> Any:
        """The network for VMs and IPs that name none.

        Advanced zone: one isolated network per scope and owner, made on first
        use. Basic zone: the zone's own guest network (nothing is made; a
        Basic zone refuses isolated networks and has exactly one guest network).
        """
        if self.basic_zone():
            return self.fixture("basic_zone_network")
        _, owner = self.api_and_owner(api)
        if owner not in self._default_networks:
            self._default_networks[owner] = self.network(api=api)
        return self._default_networks[owner]

    def vm(self, *, api: Any = None, **params: Any) -> Any:
        params.setdefault("zoneid", self.fixture("zone")["id"])
        if "serviceofferingid" not in params:
            params["serviceofferingid"] = self.fixture("service_offering")["id"]
        if "templateid" not in params:
            params["templateid"] = self.fixture("template")["id"]
        # A Basic zone deploys with no networkids (CloudStack puts the VM in the
        # zone's guest network and its account's default security group; naming
        # a network there is refused with 431).
        if not params.get("networkids") and not self.basic_zone():
            params["networkids"] = [self.default_network(api)["id"]]
        api, params = self.common(api, "deployVirtualMachine", params)
        return r.deploy_vm(api, **params)

    def volume(self, *, api: Any = None, **params: Any) -> Any:
        params.setdefault("zoneid", self.fixture("zone")["id"])
        if "diskofferingid" not in params and "snapshotid" not in params:
            params["diskofferingid"] = self.fixture("disk_offering")["id"]
        api, params = self.common(api, "createVolume", params)
        return r.create_volume(api, **params)

    def public_ip(self, *, api: Any = None, **params: Any) -> Any:
        if not (params.get("networkid") or params.get("vpcid") or params.get("zoneid")):
            params["networkid"] = self.default_network(api)["id"]
        api, params = self.common(api, "associateIpAddress", params)
        return r.acquire_public_ip(api, **params)

    def vpc(self, *, api: Any = None, **params: Any) -> Any:
        params.setdefault("zoneid", self.fixture("zone")["id"])
        if "vpcofferingid" not in params:
            params["vpcofferingid"] = self.fixture("vpc_offering")["id"]
        api, params = self.common(api, "createVPC", params)
        return r.create_vpc(api, **params)

    def snapshot(self, volume_id: str, *, api: Any = None, **params: Any) -> Any:
        api, params = self.common(api, "createSnapshot", params)
        return r.create_snapshot(api, volume_id, **params)

    def vm_snapshot(self, vm_id: str, *, api: Any = None, **params: Any) -> Any:
        api, params = self.common(api, "createVMSnapshot", params)
        return r.create_vm_snapshot(api, vm_id, **params)

    def template(self, *, api: Any = None, **params: Any) -> Any:
        if "ostypeid" not in params:
            params["ostypeid"] = self.fixture("template")["ostypeid"]
        api, params = self.common(api, "createTemplate", params)
        return r.create_template(api, **params)

    def firewall_rule(self, *, api: Any = None, **params: Any) -> Any:
        api, params = self.common(api, "createFirewallRule", params)
        return r.create_firewall_rule(api, **params)

    def port_forwarding_rule(self, *, api: Any = None, **params: Any) -> Any:
        api, params = self.common(api, "createPortForwardingRule", params)
        return r.create_port_forwarding_rule(api, **params)


# --- per-test trackers -------------------------------------------------------------------


@pytest.fixture(scope="session")
def _background_cleaner(pytestconfig: pytest.Config, cloud: Any):
    """This process's background cleaner, waited for at the end of the session while ``cloud`` still works
    (set up after ``cloud``, so torn down before it)."""
    cleaner = cleaner_of(pytestconfig)
    yield cleaner
    cleaner.wait()


@pytest.fixture
def resource_tracker(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any, _background_cleaner: Any):
    """This test's tracker: the cleanup stack every factory of the test shares, tied to the ledger.

    Its deletions run in the background while the next test runs (``--cleanup``), except for a serial test
    and for a test that builds on its module's shared resources (``_module_resources``: shared_network,
    shared_vm, module_make...): its tiers in the module's VPC, policies on the module's volume or addresses
    of the module's zone must be gone before the module's next test makes its own (same CIDR, same
    interval, the last free address).
    """
    background = not is_serial(request.node) and "_module_resources" not in request.fixturenames
    tracker = ResourceTracker(request.config, request.node.nodeid, cloud, delete_timeout=delete_timeout(marvin2_config),
                              background=background)
    yield tracker
    job = tracker.finish()
    if job is not None:
        request.node.stash[BACKGROUND_JOB] = job  # serial.py keeps the test's run-lock hold until it is over


@pytest.fixture
def cleanup_stack(resource_tracker: ResourceTracker) -> r.CleanupStack:
    """The test's LIFO cleanup stack, for cleanups of your own: ``cleanup_stack.push(fn, *args)``."""
    return resource_tracker.stack


@pytest.fixture
def resource_factory(request: pytest.FixtureRequest, resource_tracker: ResourceTracker) -> ResourceFactory:
    """All factories of this test in one object (``resource_factory.vm(...)``, ``.network(...)``...)."""
    return ResourceFactory(request, resource_tracker)


def _factory_fixture(method: str, doc: str) -> Callable:
    def fixture(resource_factory: ResourceFactory) -> Callable[..., Any]:
        return getattr(resource_factory, method)

    fixture.__doc__ = doc
    return fixture


create_network = pytest.fixture(_factory_fixture(
    "network", "create_network(**params) -> network Record (isolated offering, the test's zone); cleaned up after the test."),
    name="create_network")
deploy_vm = pytest.fixture(_factory_fixture(
    "vm", "deploy_vm(**params) -> VM Record (test template and offering; with no networkids: an isolated network is "
          "made in an Advanced zone, none is named in a Basic zone)."),
    name="deploy_vm")
create_volume = pytest.fixture(_factory_fixture(
    "volume", "create_volume(**params) -> data volume Record (test disk offering)."), name="create_volume")
acquire_public_ip = pytest.fixture(_factory_fixture(
    "public_ip", "acquire_public_ip(networkid=/vpcid=) -> public IP Record (default: the test's network)."),
    name="acquire_public_ip")
create_vpc = pytest.fixture(_factory_fixture(
    "vpc", "create_vpc(**params) -> VPC Record (default VPC offering)."), name="create_vpc")
create_snapshot = pytest.fixture(_factory_fixture(
    "snapshot", "create_snapshot(volume_id, **params) -> volume snapshot Record."), name="create_snapshot")
create_vm_snapshot = pytest.fixture(_factory_fixture(
    "vm_snapshot", "create_vm_snapshot(vm_id, **params) -> VM snapshot Record."), name="create_vm_snapshot")
create_template = pytest.fixture(_factory_fixture(
    "template", "create_template(volumeid=|snapshotid=, **params) -> template Record."), name="create_template")
create_firewall_rule = pytest.fixture(_factory_fixture(
    "firewall_rule", "create_firewall_rule(ipaddressid=, startport=, ...) -> firewall rule Record."),
    name="create_firewall_rule")
create_port_forwarding_rule = pytest.fixture(_factory_fixture(
    "port_forwarding_rule", "create_port_forwarding_rule(ipaddressid=, virtualmachineid=, privateport=) -> rule Record."),
    name="create_port_forwarding_rule")


# --- module-scoped shared resources for tests that only read ----------------------------------


@pytest.fixture(scope="module")
def _module_resources(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any, test_account: Any):
    # Depends on test_account so that, with --account-scope module, these are
    # deleted before the account they belong to.
    tracker = ResourceTracker(request.config, request.node.nodeid, cloud, delete_timeout=delete_timeout(marvin2_config))
    request.addfinalizer(tracker.finish)
    return ResourceFactory(request, tracker)


@pytest.fixture(scope="module")
def shared_network(_module_resources: ResourceFactory) -> Any:
    """The module's network (do not modify it): an isolated network made for the module in an
    Advanced zone, the zone's guest network in a Basic zone."""
    return _module_resources.default_network()


@pytest.fixture(scope="module")
def shared_vm(_module_resources: ResourceFactory, shared_network: Any) -> Any:
    """A running VM on ``shared_network``, shared by the tests of a module (do not modify it).

    Deployed the way the zone wants it: into ``shared_network`` by id in an
    Advanced zone, with no network named in a Basic zone (which puts it there).
    """
    if _module_resources.basic_zone():
        return _module_resources.vm()
    return _module_resources.vm(networkids=[shared_network["id"]])
