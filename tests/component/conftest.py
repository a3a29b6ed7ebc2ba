"""Fixtures of the component pack (tests/component); plain helpers are in helpers.py.

The plugin's fixtures (``cloud``, ``zone``, ``user_api``, ``deploy_vm``,
``create_network``, ``create_vpc``, ..., ``make`` / ``module_make`` for what
has no ``create_*`` fixture, ``global_settings``, ``user_api_full_spec``,
``ssh_to_guest``, ``job_timeout``) do most of the work. This file adds what
several component modules need:

- ``module_factory``: the plugin's factories for module-scoped set-ups;
- ``simulator_faults``: the simulator-only fault injection API, its rules
  limited to the test's own account and cleared after the test (tests using
  it are ``simulator-only``; they need not be ``serial``);
- ``register_template``: a template of the test registered (and waited for),
  deleted after it (the template copy modules);
- ``second_zone`` / ``deploy_zone``: another enabled zone; on the simulator
  one is deployed with the datacenter layout helpers and torn down after use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from marvin2 import resources as r
from marvin2.pytest_plugin.session import hypervisor_name, uses_simulator
from marvin2.resources.naming import unique_name

from .helpers import only


@pytest.fixture(scope="module")
def module_factory(_module_resources: Any) -> Any:
    """The plugin's factories for one module (``.network()``, ``.vm()``...), cleaned up after the module."""
    return _module_resources


# --- simulator fault injection (simulator-only tests) ------------------------------------------------


class SimulatorFaults:
    """configureSimulatorFaults through the admin API, every rule limited to one account (the test's own).

    The simulator applies such a rule only to calls made by that account's users and to the async jobs
    they submit, so tests on other workers (other accounts) run undisturbed at the same time.
    """

    def __init__(self, cloud: Any, account_id: str):
        self.cloud = cloud
        self.account_id = account_id

    def set(self, apiname: str, **rule: Any) -> Any:
        return self.cloud.configureSimulatorFaults(apiname=apiname, account=self.account_id, **rule)

    def clear(self, apiname: str | None = None) -> None:
        """Remove this account's rule of ``apiname``, or all of this account's rules (never other accounts')."""
        params: dict[str, Any] = {"clear": True, "account": self.account_id}
        if apiname:
            params["apiname"] = apiname
        self.cloud.configureSimulatorFaults(**params)

    def rules(self) -> list:
        """This account's rules."""
        return list(self.cloud.listSimulatorFaults(account=self.account_id) or [])


@pytest.fixture
def simulator_faults(request: pytest.FixtureRequest, cloud: Any, test_account: Any,
                     cleanup_stack: Any) -> SimulatorFaults:
    """Fault injection of the marvin2 simulator for the test's own account (needs ``requires("simulator")``).

    The rules hit only calls of ``test_account``'s user: ``user_api``, ``deploy_vm`` and the other factories
    (which create as that user), and the jobs they start. The admin ``cloud`` is never hit.
    """
    if "configureSimulatorFaults" not in cloud.spec.names:
        pytest.fail("the cloud has no configureSimulatorFaults API: is it the marvin2 simulator?", pytrace=False)
    faults = SimulatorFaults(cloud, test_account.id)
    # Pushed before the test makes anything, so (LIFO) it runs after the test's resources are deleted.
    # That is safe: the factories delete with the admin ``cloud``, whose account no rule here names, so
    # a VM left in Error by an injected failure is still destroyed and expunged. Clearing the account's
    # rules at the end matters because the account (per worker or module) serves the following tests.
    cleanup_stack.push(faults.clear, description="clear the test account's simulator fault rules")
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
def second_zone(request: pytest.FixtureRequest, cloud: Any, zone: Any, module_make: Any) -> DeployedZone:
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


# --- templates of a test (template copy modules) ------------------------------------------------

DEFAULT_TEMPLATE_URL = "http://download.cloudstack.org/templates/builtin/centos56-x86_64.vhd.bz2"
TEMPLATE_FORMATS = {"kvm": "QCOW2", "xenserver": "VHD", "vmware": "OVA", "simulator": "VHD", "lxc": "TAR", "hyperv": "VHD"}


@pytest.fixture
def register_template(request, user_api, zone, template, marvin2_config, resource_tracker, run_context, job_timeout):
    """register_template(api=user_api, zoneid=zone, wait=True) -> a template of the test, deleted after it."""
    data = marvin2_config.test_data or {}
    hypervisor = hypervisor_name(request.config) or "Simulator"

    def make_one(*, api=None, zoneid=None, wait=True, **params):
        api = api or user_api
        record = r.register_template(
            api, url=data.get("template_url") or DEFAULT_TEMPLATE_URL, zoneid=zoneid or zone.id,
            ostypeid=template.ostypeid, hypervisor=hypervisor, format=TEMPLATE_FORMATS.get(hypervisor.lower(), "QCOW2"),
            purpose="copy", run_id=run_context.run_id,
            on_created=resource_tracker.on_created_by("admin" if api is request.getfixturevalue("cloud") else "user"),
            **params)
        record = record[0] if isinstance(record, list) else record
        if wait:
            record = r.wait_for_template_ready(api, record.id, zoneid=zoneid or zone.id, timeout=job_timeout)
        return record

    return make_one
