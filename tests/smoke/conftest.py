"""Shared helpers of the smoke pack (tests/smoke).

The plugin's fixtures (``cloud``, ``zone``, ``user_api``, ``deploy_vm``,
``create_network``, ...) do most of the work. This file adds what several
smoke modules need and the plugin does not offer:

- ``make``: creates the resources the plugin has no factory for (accounts,
  domains, users, SSH key pairs, affinity and security groups, projects,
  roles, offerings, ISOs, registered templates, LB rules, egress rules, VPC
  ACL lists, static NAT...). Each create pushes its undo onto the test's
  cleanup stack the moment the resource exists, so it goes, newest first,
  together with what the factories made. Kinds the resource layer knows
  (account, domain, user, template, lb_rule) also go through the ledger.
- ``settings``: changes a global (or scoped) setting and restores the old
  value after the test. Tests that use it for global values are
  ``@pytest.mark.serial``.
- ``user_api_full_spec``: the test user's client with the ADMIN's API list, to
  send admin-only APIs and observe the server's refusal (a normal client
  refuses them before sending, because the user's listApis lacks them).
- ``ssh_to_guest`` (paramiko, with timeouts) for ``required_hardware`` tests.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from marvin2 import resources as r
from marvin2.pytest_plugin.session import connect_api, hypervisor_name
from marvin2.resources.base import create_sync
from marvin2.resources.naming import unique_name

from .helpers import (
    DEFAULT_ISO_URL,
    DEFAULT_TEMPLATE_URL,
    TEMPLATE_FORMATS,
    GuestShell,
    SshSettings,
    listed,
    quiet_call,
    setting_value,
    ssh_connect,
)

# --- `make`: factories for what the plugin has no factory for -------------------------------


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
        """A unique name of this run (``m2-<run>-<purpose>-<random>``)."""
        return unique_name(purpose, self.run_id, max_length=max_length)

    def _api(self, api: Any | None) -> Any:
        return self._fixture("user_api") if api is None else api

    def undo(self, description: str, command: str, api: Any | None = None, **params: Any) -> None:
        """Register ``command(**params)`` (as admin unless ``api``) to run after the test."""
        self.stack.push(quiet_call, api or self.cloud, command, description=description, **params)

    def _owner(self, api: Any | None) -> str:
        if api is None:
            return self._fixture("test_account").name
        return "admin" if api is self.cloud else "other"

    # --- identity -----------------------------------------------------------------
    def account(self, *, domainid: str | None = None, accounttype: int | None = 0, roleid: str | None = None,
                purpose: str = "acct", **params: Any) -> r.AccountKeys:
        """A new account (with API keys for its user), created and deleted by the admin."""
        domainid = domainid or self._fixture("domain")["id"]
        return r.create_account_with_keys(self.cloud, domainid=domainid, accounttype=accounttype, roleid=roleid,
                                          purpose=purpose, run_id=self.run_id,
                                          on_created=self.tracker.on_created_by("admin"), **params)

    def api_for(self, keys: r.AccountKeys) -> Any:
        """A client acting as the user of ``keys`` (closed after the test)."""
        api = connect_api(self.request.config, api_key=keys.api_key, secret_key=keys.secret_key)
        self.stack.push(api.close, description="close a client")
        return api

    def domain(self, *, parentdomainid: str | None = None, purpose: str = "dom", **params: Any) -> Any:
        return r.create_domain(self.cloud, parentdomainid=parentdomainid, purpose=purpose, run_id=self.run_id,
                               on_created=self.tracker.on_created_by("admin"), **params)

    def user(self, account: Any, *, password: str = "Marvin2-password", purpose: str = "user", **params: Any) -> Any:
        """createUser in an existing account (the user goes before its account)."""
        name = self.name(purpose)
        params = {"account": account["name"], "domainid": account["domainid"], "username": name,
                  "email": f"{name}@marvin2.test", "firstname": "marvin2", "lastname": purpose,
                  "password": password, **params}
        return create_sync(self.cloud, "user", "createUser", params, result_keys=("user",),
                           on_created=self.tracker.on_created_by("admin"))

    def role(self, *, type: str = "User", purpose: str = "role", **params: Any) -> Any:
        role = self.cloud.createRole(name=self.name(purpose), type=type, **params)
        self.undo(f"delete role {role['id']}", "deleteRole", id=role["id"])
        return role

    def project(self, *, api: Any | None = None, purpose: str = "proj", **params: Any) -> Any:
        name = self.name(purpose)
        project = self._api(api).createProject(name=name, displaytext=params.pop("displaytext", name), **params)
        self.undo(f"delete project {project['id']}", "deleteProject", id=project["id"], cleanup=True)
        return project

    # --- offerings (admin) --------------------------------------------------------
    def service_offering(self, *, purpose: str = "so", **params: Any) -> Any:
        name = self.name(purpose)
        params = {"cpunumber": 1, "cpuspeed": 100, "memory": 128, "displaytext": name, **params}
        params = {k: v for k, v in params.items() if v is not None}  # None: leave it out (custom offerings)
        offering = self.cloud.createServiceOffering(name=name, **params)
        self.undo(f"delete service offering {offering['id']}", "deleteServiceOffering", id=offering["id"])
        return offering

    def disk_offering(self, *, purpose: str = "do", **params: Any) -> Any:
        name = self.name(purpose)
        params = {"displaytext": name, **params}
        if not params.get("customized"):
            params.setdefault("disksize", 1)
        params = {k: v for k, v in params.items() if v is not None}
        offering = self.cloud.createDiskOffering(name=name, **params)
        self.undo(f"delete disk offering {offering['id']}", "deleteDiskOffering", id=offering["id"])
        return offering

    def network_offering(self, *, purpose: str = "no", **params: Any) -> Any:
        name = self.name(purpose)
        params = {"displaytext": name, "traffictype": "GUEST", **params}
        params = {k: v for k, v in params.items() if v is not None}
        offering = self.cloud.createNetworkOffering(name=name, **params)
        self.undo(f"delete network offering {offering['id']}", "deleteNetworkOffering", id=offering["id"])
        return offering

    # --- user-owned resources ----------------------------------------------------------
    def keypair(self, *, api: Any | None = None, publickey: str | None = None, purpose: str = "key", **params: Any) -> Any:
        api = self._api(api)
        name = self.name(purpose)
        if publickey:
            pair = api.registerSSHKeyPair(name=name, publickey=publickey, **params)
        else:
            pair = api.createSSHKeyPair(name=name, **params)
        owner = {k: params[k] for k in ("account", "domainid", "projectid") if k in params}
        self.undo(f"delete SSH key pair {name}", "deleteSSHKeyPair", api=api, name=name, **owner)
        return pair

    def affinity_group(self, *, api: Any | None = None, type: str = "host anti-affinity", purpose: str = "ag",
                       **params: Any) -> Any:
        group = self._api(api).createAffinityGroup(name=self.name(purpose), type=type, **params)
        self.undo(f"delete affinity group {group['id']}", "deleteAffinityGroup", id=group["id"])
        return group

    def security_group(self, *, api: Any | None = None, purpose: str = "sg", **params: Any) -> Any:
        group = self._api(api).createSecurityGroup(name=self.name(purpose), **params)
        self.undo(f"delete security group {group['id']}", "deleteSecurityGroup", id=group["id"])
        return group

    def iso(self, *, api: Any | None = None, url: str | None = None, purpose: str = "iso", **params: Any) -> Any:
        api = self._api(api)
        name = self.name(purpose)
        params = {"displaytext": name, "zoneid": self._fixture("zone")["id"], "url": url or iso_url(self.request),
                  "ostypeid": self._fixture("template")["ostypeid"], **params}
        answer = api.registerIso(name=name, **params)
        iso = answer[0] if isinstance(answer, list) else answer
        self.undo(f"delete ISO {iso['id']}", "deleteIso", id=iso["id"])
        return iso

    def register_template(self, *, api: Any | None = None, url: str | None = None, purpose: str = "tmpl",
                          **params: Any) -> Any:
        api = self._api(api)
        hypervisor = params.pop("hypervisor", None) or hypervisor_name(self.request.config) or "Simulator"
        params.setdefault("format", TEMPLATE_FORMATS.get(hypervisor.lower(), "QCOW2"))
        params.setdefault("ostypeid", self._fixture("template")["ostypeid"])
        params.setdefault("zoneid", self._fixture("zone")["id"])
        record = r.register_template(api, url=url or template_url(self.request), hypervisor=hypervisor,
                                     purpose=purpose, run_id=self.run_id,
                                     on_created=self.tracker.on_created_by(self._owner(api)), **params)
        return record[0] if isinstance(record, list) else record

    def lb_rule(self, *, publicipid: str, api: Any | None = None, privateport: int = 80, publicport: int = 80,
                algorithm: str = "roundrobin", purpose: str = "lb", **params: Any) -> Any:
        api = self._api(api)
        return r.create_lb_rule(api, publicipid=publicipid, name=self.name(purpose), privateport=privateport,
                                publicport=publicport, algorithm=algorithm, run_id=self.run_id,
                                on_created=self.tracker.on_created_by(self._owner(api)), **params)

    def egress_rule(self, *, networkid: str, api: Any | None = None, protocol: str = "tcp", **params: Any) -> Any:
        rule = self._api(api).createEgressFirewallRule(networkid=networkid, protocol=protocol, **params)
        self.undo(f"delete egress rule {rule['id']}", "deleteEgressFirewallRule", id=rule["id"])
        return rule

    def static_nat(self, *, ipaddressid: str, virtualmachineid: str, api: Any | None = None, **params: Any) -> Any:
        answer = self._api(api).enableStaticNat(ipaddressid=ipaddressid, virtualmachineid=virtualmachineid, **params)
        self.stack.push(_disable_static_nat, self.cloud, ipaddressid, description=f"disable static NAT on {ipaddressid}")
        return answer

    def acl_list(self, *, vpcid: str, api: Any | None = None, purpose: str = "acl", **params: Any) -> Any:
        name = self.name(purpose)
        acl = self._api(api).createNetworkACLList(name=name, vpcid=vpcid, description=params.pop("description", name),
                                                  **params)
        self.undo(f"delete ACL list {acl['id']}", "deleteNetworkACLList", id=acl["id"])
        return acl

    def acl_rule(self, *, api: Any | None = None, protocol: str = "tcp", **params: Any) -> Any:
        rule = self._api(api).createNetworkACL(protocol=protocol, **params)
        self.undo(f"delete ACL rule {rule['id']}", "deleteNetworkACL", id=rule["id"])
        return rule

    def vpc_tier(self, vpc: Any, *, gateway: str, netmask: str = "255.255.255.0", api: Any | None = None,
                 **params: Any) -> Any:
        """A VPC tier (a network with vpcid), through the plugin's network factory."""
        factory = self._fixture("resource_factory")
        offering = params.pop("networkofferingid", None) or self._fixture("vpc_network_offering")["id"]
        return factory.network(api=api, vpcid=vpc["id"], gateway=gateway, netmask=netmask,
                               networkofferingid=offering, **params)


def _disable_static_nat(api: Any, ipaddressid: str) -> None:
    # Only while the address is still mapped: the test may have unmapped or released it.
    found = listed(api, "listPublicIpAddresses", id=ipaddressid, listall=True)
    if found and found[0].get("isstaticnat"):
        quiet_call(api, "disableStaticNat", ipaddressid=ipaddressid)


@pytest.fixture
def make(request: pytest.FixtureRequest, resource_tracker: Any) -> Make:
    """Factories for resources the plugin has no fixture for; undone after the test."""
    return Make(request, resource_tracker)


def template_url(request: pytest.FixtureRequest) -> str:
    data = request.getfixturevalue("marvin2_config").test_data or {}
    return data.get("template_url") or DEFAULT_TEMPLATE_URL


def iso_url(request: pytest.FixtureRequest) -> str:
    data = request.getfixturevalue("marvin2_config").test_data or {}
    return data.get("iso_url") or DEFAULT_ISO_URL


# --- an isolated network that CloudStack has implemented -------------------------------------


@dataclass(frozen=True)
class ImplementedNetwork:
    network: Any
    vm: Any

    @property
    def id(self) -> str:
        return self.network["id"]


@pytest.fixture
def implemented_network(create_network: Any, deploy_vm: Any) -> ImplementedNetwork:
    """An isolated network with a running VM (so it is Implemented and has its source NAT IP).

    Public IP tests start from here: depending on the CloudStack version, an
    IP acquired for a network that is only Allocated is refused ("needs to be
    implemented first") or becomes its source NAT address.
    """
    network = create_network()
    vm = deploy_vm(networkids=[network["id"]])
    return ImplementedNetwork(network, vm)


# --- offerings looked up by their test_data names --------------------------------------------


@pytest.fixture(scope="session")
def test_data(marvin2_config: Any) -> dict:
    return dict(marvin2_config.test_data or {})


def _offering_named(api: Any, command: str, name: str, what: str, **filters: Any) -> Any:
    found = [o for o in api.call(command, {"name": name, **filters}) or [] if o.get("name") == name]
    if not found:
        pytest.fail(f"no {what} named {name!r} (set it in the config's test_data)", pytrace=False)
    return found[0]


@pytest.fixture(scope="session")
def large_service_offering(cloud: Any, test_data: dict, service_offering: Any) -> Any:
    """A second service offering to scale to (test_data ``service_offering_large``)."""
    return _offering_named(cloud, "listServiceOfferings", test_data.get("service_offering_large", "Medium Instance"),
                           "service offering")


@pytest.fixture(scope="session")
def shared_network_offering(cloud: Any, test_data: dict) -> Any:
    return _offering_named(cloud, "listNetworkOfferings",
                           test_data.get("shared_network_offering", "DefaultSharedNetworkOffering"), "network offering")


@pytest.fixture(scope="session")
def l2_network_offering(cloud: Any, test_data: dict) -> Any:
    return _offering_named(cloud, "listNetworkOfferings",
                           test_data.get("l2_network_offering", "DefaultL2NetworkOffering"), "network offering")


@pytest.fixture(scope="session")
def physical_network(cloud: Any, zone: Any) -> Any:
    """The zone's physical network that carries guest traffic."""
    networks = cloud.listPhysicalNetworks(zoneid=zone["id"]) or []
    assert networks, f"zone {zone['name']} has no physical network"
    for network in networks:
        types = cloud.listTrafficTypes(physicalnetworkid=network["id"]) if "listTrafficTypes" in cloud.spec.names else []
        if any(t.get("traffictype") == "Guest" for t in types or []):
            return network
    return networks[0]


# --- global settings --------------------------------------------------------------------------


@dataclass
class Settings:
    api: Any
    stack: Any

    def get(self, name: str, **scope: Any) -> str | None:
        return setting_value(self.api, name, **scope)

    def set(self, name: str, value: str, **scope: Any) -> Any:
        """updateConfiguration; the old value comes back after the test."""
        old = self.get(name, **scope)
        answer = self.api.updateConfiguration(name=name, value=value, **scope)
        self.stack.push(self._restore, name, old, scope, description=f"restore setting {name}")
        return answer

    def _restore(self, name: str, old: str | None, scope: dict) -> None:
        if self.get(name, **scope) != old:
            self.api.updateConfiguration(name=name, value="" if old is None else old, **scope)


@pytest.fixture
def settings(cloud: Any, cleanup_stack: Any) -> Settings:
    """Change settings for one test: ``settings.set(name, value, **scope)``; restored afterwards."""
    return Settings(cloud, cleanup_stack)


# --- the user's client with the admin's API list ----------------------------------------------


@pytest.fixture
def user_api_full_spec(request: pytest.FixtureRequest, cloud: Any, test_account: Any):
    """The test user, able to SEND admin-only APIs (to check that the server refuses them)."""
    api = connect_api(request.config, api_key=test_account.api_key, secret_key=test_account.secret_key,
                      spec=cloud.spec)
    yield api
    api.close()


@pytest.fixture(scope="session")
def job_timeout(marvin2_config: Any) -> float:
    """The config's job timeout (for the pack's own waits)."""
    return float((marvin2_config.timeouts or {}).get("job", 600))


# --- SSH into guests (required_hardware tests) -------------------------------------------------


@pytest.fixture(scope="session")
def ssh_settings(test_data: dict) -> SshSettings:
    return SshSettings(username=test_data.get("ssh_username") or "root", password=test_data.get("ssh_password"),
                       key_filename=test_data.get("ssh_private_key"))


@pytest.fixture
def ssh_to_guest(ssh_settings: SshSettings, cleanup_stack: Any) -> Callable[..., GuestShell]:
    """``ssh_to_guest(host, port=22, timeout=300)`` -> GuestShell, closed after the test."""

    def connect(host: str, port: int = 22, *, timeout: float = 300.0, password: str | None = None) -> GuestShell:
        settings = ssh_settings if password is None else SshSettings(ssh_settings.username, password, None)
        shell = ssh_connect(host, port, settings, timeout=timeout)
        cleanup_stack.push(shell.close, description=f"close SSH to {host}:{port}")
        return shell

    return connect
