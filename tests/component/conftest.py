"""Shared helpers of the component pack (tests/component).

The plugin's fixtures (``cloud``, ``zone``, ``user_api``, ``deploy_vm``,
``create_network``, ``create_vpc``, ...) do most of the work. This file adds
what several component modules need and the plugin does not offer:

- ``make``: creates what the plugin has no factory for (extra accounts with
  their own clients, domains, domain admins, SSH key pairs, load balancer
  rules, VPC tiers, ACL lists and rules, snapshot policies, tags...). Each
  create pushes its undo onto the test's cleanup stack the moment the
  resource exists, so it goes, newest first, with what the factories made;
  kinds the resource layer knows (account, domain, lb_rule, ...) also go
  through the ledger, so the leak check sees them.
- ``settings``: changes a global setting and restores the old value after
  the test (tests using it are ``@pytest.mark.serial``).
- ``simulator_faults``: the simulator-only fault injection API, every rule
  cleared after the test (tests using it are ``serial`` and ``simulator-only``).
- ``second_zone``: another enabled zone; on the simulator one is deployed with
  the datacenter layout helpers for the test and torn down after it.
- ``ssh_to_guest``: paramiko with timeouts, for ``required_hardware`` tests.
- ``expect_error``: the ``CloudStackError`` of a call that must fail, with
  its code checked.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError
from marvin2.pytest_plugin.session import connect_api, uses_simulator
from marvin2.resources.errors import is_gone_error
from marvin2.resources.naming import unique_name

# --- plain helpers -----------------------------------------------------------------------------


def ids(items: list | None) -> list[str]:
    return [item["id"] for item in items or []]


def only(items: Any, what: str = "item") -> Any:
    """The single element of a list answer; a clear assertion error otherwise."""
    assert isinstance(items, list) and len(items) == 1, f"expected exactly one {what}, got {items!r}"
    return items[0]


# An InvalidParameterValueException raised while an async job runs is reported
# with the job's result code 530 by older servers and 431 by newer ones (the
# job dispatcher learnt to map it to PARAM_ERROR); both are CloudStack.
JOB_PARAM_ERROR = (431, 530)


def expect_error(errorcode: int | tuple[int, ...], call: Callable[..., Any], *args: Any, **kwargs: Any) -> CloudStackError:
    """Run ``call``; it must raise a CloudStackError with ``errorcode`` (or one of several). Returns the error."""
    with pytest.raises(CloudStackError) as caught:
        call(*args, **kwargs)
    error = caught.value
    wanted = errorcode if isinstance(errorcode, tuple) else (errorcode,)
    assert error.errorcode in wanted, (
        f"{error.command}: expected error {errorcode}, got {error.errorcode}: {error.errortext}")
    return error


def listed(api: Any, command: str, **params: Any) -> list:
    """The items of a list API; [] when the server refuses because the filtered entity is not the caller's.

    Real servers answer a list filtered by the uuid of a foreign or deleted
    entity either with an empty list or with 431 "entity does not exist";
    both mean "you cannot see it".
    """
    try:
        return list(api.call(command, params) or [])
    except CloudStackError as error:
        if error.errorcode == 431 or is_gone_error(error):
            return []
        raise


def quiet_call(api: Any, command: str, **params: Any) -> None:
    """An undo call; "does not exist" means the test (or a parent's deletion) did it already."""
    try:
        api.call(command, params)
    except CloudStackError as error:
        if not is_gone_error(error):
            raise


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` (interval growing to 2 s) until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)
        interval = min(2.0, interval * 1.6)


def nic_ips(vm: Any) -> list[str]:
    return [nic["ipaddress"] for nic in vm.get("nic") or [] if nic.get("ipaddress")]


def deploy_parallel(factory: Any, specs: list[dict], *, purpose: str = "par") -> list:
    """Deploy several VMs at once: every deploy is sent with wait=False, then all jobs are waited for together.

    ``factory`` is the plugin's ResourceFactory (``resource_factory`` or
    ``module_factory``); each spec holds deployVirtualMachine parameters plus
    optional ``api`` (default: the test user). Each VM is registered for
    cleanup the moment its id is known. Returns the VM records in spec order;
    a failed deploy raises (after every job has ended).
    """
    from marvin2.resources.base import Created

    cloud = factory.fixture("cloud")
    defaults = {"zoneid": factory.fixture("zone")["id"], "serviceofferingid": factory.fixture("service_offering")["id"],
                "templateid": factory.fixture("template")["id"]}
    answers = []
    for spec in specs:
        spec = dict(spec)
        api, owner = factory.api_and_owner(spec.pop("api", None))
        name = unique_name(purpose, factory.run_id)
        answer = api.deployVirtualMachine(**{**defaults, "name": name, "displayname": name, **spec}, wait=False)
        factory.tracker.on_created_by(owner)(Created("vm", answer["id"], "deployVirtualMachine", name))
        answers.append(answer)
    # The root admin may poll every account's jobs: one polling loop for all of them.
    return cloud.wait_for_jobs([a["jobid"] for a in answers],
                               timeout=factory.job_timeout("deployVirtualMachine") or 600)


# --- `make`: factories for what the plugin has no factory for ----------------------------------


class Make:
    """Creates resources for one test; every one is undone after the test (LIFO)."""

    def __init__(self, request: pytest.FixtureRequest, tracker: Any):
        self.request = request
        self.tracker = tracker
        self.stack = tracker.stack

    def _fixture(self, name: str) -> Any:
        return self.request.getfixturevalue(name)

    @property
    def cloud(self) -> Any:
        return self._fixture("cloud")

    @property
    def run_id(self) -> str:
        return self._fixture("run_context").run_id

    def name(self, purpose: str, max_length: int = 63) -> str:
        """A name unique to this run (``m2-<run>-<purpose>-<random>``)."""
        return unique_name(purpose, self.run_id, max_length=max_length)

    def _api(self, api: Any | None) -> Any:
        return self._fixture("user_api") if api is None else api

    def _owner(self, api: Any | None) -> str:
        if api is None:
            return self._fixture("test_account").name
        return "admin" if api is self.cloud else getattr(api, "identity", "other")

    def undo(self, description: str, command: str, api: Any | None = None, **params: Any) -> None:
        """Register ``command(**params)`` (as admin unless ``api``) to run after the test."""
        self.stack.push(quiet_call, api or self.cloud, command, description=description, **params)

    # --- identity -----------------------------------------------------------------
    def account(self, *, domainid: str | None = None, accounttype: int | None = r.accounts.USER_ACCOUNT,
                roleid: str | None = None, purpose: str = "acct", **params: Any) -> r.AccountKeys:
        """A new account with API keys for its user, made and deleted by the admin."""
        return r.create_account_with_keys(
            self.cloud, domainid=domainid or self._fixture("domain")["id"], accounttype=accounttype, roleid=roleid,
            purpose=purpose, run_id=self.run_id, on_created=self.tracker.on_created_by("admin"), **params)

    def domain_admin(self, domainid: str, *, purpose: str = "dadm") -> r.AccountKeys:
        return self.account(domainid=domainid, accounttype=r.accounts.DOMAIN_ADMIN_ACCOUNT, purpose=purpose)

    def api_for(self, keys: r.AccountKeys, **client_options: Any) -> Any:
        """A client acting as the user of ``keys`` (closed after the test).

        ``spec=cloud.spec`` lets it SEND admin APIs, to observe the server refuse them.
        """
        api = connect_api(self.request.config, api_key=keys.api_key, secret_key=keys.secret_key,
                          use_cache=False, **client_options)
        self.stack.push(api.close, description="close a client")
        return api

    def domain(self, *, parentdomainid: str | None = None, purpose: str = "dom", **params: Any) -> Any:
        return r.create_domain(self.cloud, parentdomainid=parentdomainid, purpose=purpose, run_id=self.run_id,
                               on_created=self.tracker.on_created_by("admin"), **params)

    # --- user-owned resources ------------------------------------------------------
    def keypair(self, *, api: Any | None = None, purpose: str = "key", **params: Any) -> Any:
        api = self._api(api)
        name = params.pop("name", None) or self.name(purpose)
        pair = api.createSSHKeyPair(name=name, **params)
        owner = {k: params[k] for k in ("account", "domainid", "projectid") if k in params}
        self.undo(f"delete SSH key pair {name}", "deleteSSHKeyPair", api=api, name=name, **owner)
        return pair

    def lb_rule(self, *, publicipid: str, api: Any | None = None, privateport: int = 80, publicport: int = 80,
                algorithm: str = "roundrobin", purpose: str = "lb", **params: Any) -> Any:
        api = self._api(api)
        return r.create_lb_rule(api, publicipid=publicipid, name=self.name(purpose), privateport=privateport,
                                publicport=publicport, algorithm=algorithm, run_id=self.run_id,
                                on_created=self.tracker.on_created_by(self._owner(api)),
                                timeout=self._job_timeout("createLoadBalancerRule"), **params)

    def vpc_tier(self, vpc: Any, *, gateway: str, netmask: str = "255.255.255.0", api: Any | None = None,
                 **params: Any) -> Any:
        """A VPC tier: a network with ``vpcid``, through the plugin's network factory."""
        factory = self._fixture("resource_factory")
        offering = params.pop("networkofferingid", None) or self._fixture("vpc_network_offering")["id"]
        return factory.network(api=api, vpcid=vpc["id"], gateway=gateway, netmask=netmask,
                               networkofferingid=offering, **params)

    def acl_list(self, *, vpcid: str, api: Any | None = None, purpose: str = "acl", **params: Any) -> Any:
        name = self.name(purpose)
        acl = self._api(api).createNetworkACLList(name=name, vpcid=vpcid,
                                                  description=params.pop("description", name), **params)
        self.undo(f"delete ACL list {acl['id']}", "deleteNetworkACLList", id=acl["id"])
        return acl

    def acl_rule(self, *, aclid: str, api: Any | None = None, protocol: str = "tcp", **params: Any) -> Any:
        rule = self._api(api).createNetworkACL(aclid=aclid, protocol=protocol, **params)
        self.undo(f"delete ACL rule {rule['id']}", "deleteNetworkACL", id=rule["id"])
        return rule

    def snapshot_policy(self, *, volumeid: str, api: Any | None = None, intervaltype: str = "DAILY",
                        schedule: str = "00:01", maxsnaps: int = 2, timezone: str = "UTC", **params: Any) -> Any:
        policy = self._api(api).createSnapshotPolicy(volumeid=volumeid, intervaltype=intervaltype,
                                                     schedule=schedule, maxsnaps=maxsnaps, timezone=timezone,
                                                     **params)
        self.undo(f"delete snapshot policy {policy['id']}", "deleteSnapshotPolicies", id=policy["id"])
        return policy

    def tags(self, resourcetype: str, resourceids: list[str], tags: dict[str, str], *,
             api: Any | None = None) -> None:
        """createTags (waits); deleteTags of the same keys after the test."""
        api = self._api(api)
        api.createTags(resourcetype=resourcetype, resourceids=resourceids, tags=tags)
        self.stack.push(quiet_call, api, "deleteTags", description=f"delete tags on {len(resourceids)} {resourcetype}",
                        resourcetype=resourcetype, resourceids=resourceids,
                        tags={key: value for key, value in tags.items()})

    def _job_timeout(self, command: str) -> float | None:
        config = self._fixture("marvin2_config")
        return config.job_timeout(command) if hasattr(config, "job_timeout") else None


@pytest.fixture
def make(request: pytest.FixtureRequest, resource_tracker: Any) -> Make:
    """Factories for what the plugin has no fixture for; everything is undone after the test."""
    return Make(request, resource_tracker)


@pytest.fixture(scope="module")
def module_make(request: pytest.FixtureRequest, _module_resources: Any) -> Make:
    """``make`` for module-scoped set-ups (undone with the module's shared resources)."""
    return Make(request, _module_resources.tracker)


@pytest.fixture(scope="module")
def module_factory(_module_resources: Any) -> Any:
    """The plugin's factories for one module (``.network()``, ``.vm()``...), cleaned up after the module."""
    return _module_resources


# --- settings, limits, timeouts -------------------------------------------------------------------


def setting_value(api: Any, name: str, **scope: Any) -> str | None:
    """The current value of a setting (``name`` filters by substring, so match exactly)."""
    for item in api.listConfigurations(name=name, **scope) or []:
        if item.get("name") == name:
            return item.get("value")
    return None


@dataclass
class Settings:
    api: Any
    stack: Any

    def get(self, name: str, **scope: Any) -> str | None:
        return setting_value(self.api, name, **scope)

    def set(self, name: str, value: str, **scope: Any) -> Any:
        """updateConfiguration; the old value is put back after the test."""
        old = self.get(name, **scope)
        answer = self.api.updateConfiguration(name=name, value=value, **scope)
        self.stack.push(self._restore, name, old, scope, description=f"restore setting {name}")
        return answer

    def _restore(self, name: str, old: str | None, scope: dict) -> None:
        if self.get(name, **scope) != old:
            self.api.updateConfiguration(name=name, value="" if old is None else old, **scope)


@pytest.fixture
def settings(cloud: Any, cleanup_stack: Any) -> Settings:
    """``settings.set(name, value)``: restored after the test. Use it only in ``serial`` tests."""
    return Settings(cloud, cleanup_stack)


@pytest.fixture(scope="session")
def job_timeout(marvin2_config: Any) -> float:
    """The config's job timeout, for the pack's own waits."""
    return float((marvin2_config.timeouts or {}).get("job", 600))


@pytest.fixture
def user_api_full_spec(make: Make, cloud: Any, test_account: Any) -> Any:
    """The test user, able to SEND admin-only APIs (to see the server refuse them)."""
    return make.api_for(test_account, spec=cloud.spec)


# --- simulator fault injection (simulator-only tests) ------------------------------------------------


class SimulatorFaults:
    """configureSimulatorFaults through the admin API; every rule is cleared after the test."""

    def __init__(self, cloud: Any):
        self.cloud = cloud

    def set(self, apiname: str, **rule: Any) -> Any:
        return self.cloud.configureSimulatorFaults(apiname=apiname, **rule)

    def clear(self, apiname: str | None = None) -> None:
        params = {"clear": True}
        if apiname:
            params["apiname"] = apiname
        self.cloud.configureSimulatorFaults(**params)

    def rules(self) -> list:
        return list(self.cloud.listSimulatorFaults() or [])


@pytest.fixture
def simulator_faults(request: pytest.FixtureRequest, cloud: Any, cleanup_stack: Any) -> SimulatorFaults:
    """Fault injection of the marvin2 simulator (needs ``requires("simulator")``, ``serial``)."""
    if "configureSimulatorFaults" not in cloud.spec.names:
        pytest.fail("the cloud has no configureSimulatorFaults API: is it the marvin2 simulator?", pytrace=False)
    faults = SimulatorFaults(cloud)
    cleanup_stack.push(faults.clear, description="clear simulator fault rules")
    return faults


# --- a second zone ----------------------------------------------------------------------------------

SECOND_ZONE_LAYOUT = """
zones:
- name: {name}
  network_type: Advanced
  dns1: 10.147.28.6
  internal_dns1: 10.147.28.6
  guest_cidr: 10.2.1.0/24
  security_groups: false
  physical_networks:
  - name: {name}-pnet
    vlan: 300-400
    isolation_methods: [VLAN]
    broadcast_domain_range: Zone
    traffic_types:
    - type: Guest
    - type: Management
    - type: Public
    providers: [VirtualRouter, VpcVirtualRouter]
  public_ip_ranges:
  - start_ip: {public_prefix}.2
    end_ip: {public_prefix}.{public_last}
    netmask: 255.255.255.0
    gateway: {public_prefix}.1
    vlan: '{vlan}'
  pods:
  - name: {name}-pod
    start_ip: 172.17.{pod_octet}.2
    end_ip: 172.17.{pod_octet}.200
    netmask: 255.255.255.0
    gateway: 172.17.{pod_octet}.1
    clusters:
    - name: {name}-c0
      hypervisor: Simulator
      type: CloudManaged
      hosts:
      - url: http://sim/{name}/c0/h0
        username: root
        password: password
      primary_storage:
      - name: {name}-ps0
        url: nfs://10.147.28.6:/export/home/sandbox/{name}/primary0
  secondary_storage:
  - url: nfs://10.147.28.6:/export/home/sandbox/{name}/secondary
    provider: NFS
"""


@dataclass
class DeployedZone:
    zone: Any
    created: bool   # True when the pack deployed it (and tears it down)


def deploy_zone(request: pytest.FixtureRequest, stack: Any, *, purpose: str, public_ips: int = 20) -> Any:
    """Deploy a small Advanced simulator zone; its teardown (reverse order) goes onto ``stack``.

    ``public_ips``: size of its public IP range (1 .. 250), e.g. 1 to exhaust it.
    """
    import random

    from marvin2 import datacenter

    cloud = request.getfixturevalue("cloud")
    context = request.getfixturevalue("run_context")
    name = unique_name(purpose, context.run_id, max_length=40)
    # Address blocks chosen at random, so zones deployed by parallel workers rarely share one;
    # a clash is harmless anyway (ranges of different zones may overlap).
    octet = random.randint(10, 250)
    text = SECOND_ZONE_LAYOUT.format(name=name, public_prefix=f"198.18.{octet}", public_last=1 + public_ips,
                                     vlan=str(500 + octet), pod_octet=octet)
    layout = datacenter.parse_layout(text, source=f"<component pack zone {name}>")
    directory = context.shared_dir / "zones"
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / f"{name}.deployed.json"

    def teardown() -> None:
        if not record.exists():
            return
        failures = datacenter.teardown(cloud, record, progress=lambda line: None)
        if failures:
            raise AssertionError(f"could not tear down zone {name}: " + "; ".join(failures))

    stack.push(teardown, description=f"tear down zone {name}")
    datacenter.deploy(cloud, layout, record, progress=lambda line: None,
                      teardown_hint=f"marvin2 deploy-datacenter --teardown (record {record})")
    return only(cloud.listZones(name=name), f"zone {name}")


@pytest.fixture(scope="module")
def second_zone(request: pytest.FixtureRequest, cloud: Any, zone: Any, module_make: Make) -> DeployedZone:
    """Another enabled zone for the module: an existing one if the cloud has it, else (simulator) one
    deployed for the module and torn down after it."""
    others = [z for z in cloud.listZones() or [] if z["id"] != zone["id"] and z.get("allocationstate") == "Enabled"
              and not str(z.get("name", "")).startswith("m2-")]
    if others:
        return DeployedZone(others[0], created=False)
    hypervisors = [h.get("name") for h in cloud.listHypervisors() or []]
    if not uses_simulator(request.config) and "Simulator" not in hypervisors:
        pytest.skip("needs a second zone: the cloud has one zone and no Simulator hypervisor to deploy another")
    return DeployedZone(deploy_zone(request, module_make.stack, purpose="zone2"), created=True)


# --- SSH into guests (required_hardware tests) ------------------------------------------------------


@dataclass(frozen=True)
class SshSettings:
    username: str
    password: str | None
    key_filename: str | None

    def __repr__(self) -> str:  # never show the password
        return f"SshSettings(username={self.username!r}, key_filename={self.key_filename!r})"


class GuestShell:
    """An SSH session into a guest; ``run`` gives (exit status, stdout, stderr)."""

    def __init__(self, client: Any, where: str):
        self.client = client
        self.where = where

    def run(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        stdin, stdout, stderr = self.client.exec_command(command, timeout=timeout)
        stdin.close()
        status = stdout.channel.recv_exit_status()
        return status, stdout.read().decode("utf-8", "replace"), stderr.read().decode("utf-8", "replace")

    def close(self) -> None:
        self.client.close()


def ssh_connect(host: str, port: int, settings: SshSettings, *, timeout: float = 300.0,
                connect_timeout: float = 10.0) -> GuestShell:
    """Connect to a guest, retrying until ``timeout`` (a new guest needs time to boot)."""
    import paramiko  # only the hardware tests need it

    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(host, port=port, username=settings.username, password=settings.password,
                           key_filename=settings.key_filename, timeout=connect_timeout,
                           banner_timeout=connect_timeout, auth_timeout=connect_timeout,
                           look_for_keys=False, allow_agent=False)
            return GuestShell(client, f"{settings.username}@{host}:{port}")
        except (OSError, paramiko.SSHException, EOFError) as error:
            last_error = error
            client.close()
            time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    raise AssertionError(f"could not SSH to {settings.username}@{host}:{port} within {timeout:g}s: {last_error}")


@pytest.fixture(scope="session")
def ssh_settings(marvin2_config: Any) -> SshSettings:
    data = marvin2_config.test_data or {}
    return SshSettings(username=data.get("ssh_username") or "root", password=data.get("ssh_password"),
                       key_filename=data.get("ssh_private_key"))


@pytest.fixture
def ssh_to_guest(ssh_settings: SshSettings, cleanup_stack: Any) -> Callable[..., GuestShell]:
    """``ssh_to_guest(host, port=22, timeout=300, password=None)`` -> GuestShell, closed after the test."""

    def connect(host: str, port: int = 22, *, timeout: float = 300.0, password: str | None = None) -> GuestShell:
        settings = ssh_settings if password is None else SshSettings(ssh_settings.username, password, None)
        shell = ssh_connect(host, port, settings, timeout=timeout)
        cleanup_stack.push(shell.close, description=f"close SSH to {host}:{port}")
        return shell

    return connect
