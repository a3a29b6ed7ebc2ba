"""``make``: factories for everything the ``create_*`` fixtures do not cover.

    def test_custom_role(make, cloud):
        role = make.role(type="User")                   # deleted after the test (and recorded in the ledger)
        keys = make.account(roleid=role.id)             # an account with API keys, made and deleted by the admin
        api = make.api_for(keys)                        # a client acting as its user, closed after the test
        pair = make.keypair(api=api)

Every resource ``make`` creates goes through the resource layer with the
test's :class:`ResourceTracker` (the same one as the factory fixtures): its
deletion is pushed on the test's cleanup stack the moment it has an id, and
the ledger records it, so the leak check and ``marvin2 cleanup`` know it
too. Cleanup is LIFO across ``make`` and the factories, deletion is as the
admin. What is not a resource with an id (tags, static NAT, a client) is
undone by a plain cleanup entry (``make.undo``). ``module_make`` does the
same for module-scoped set-ups.
"""
from __future__ import annotations

from typing import Any

import pytest

from marvin2 import resources as r
from marvin2.pytest_plugin.fixtures_factories import ResourceFactory
from marvin2.pytest_plugin.fixtures_tracking import ResourceTracker
from marvin2.pytest_plugin.session import connect_api, hypervisor_name
from marvin2.resources.base import Created
from marvin2.resources.cleanup import undo_call
from marvin2.resources.keypairs import OWNER_FIELDS

# Where registered templates and ISOs come from when test_data names none:
# the images upstream Marvin registers (a real cloud needs internet access).
DEFAULT_TEMPLATE_URL = "http://download.cloudstack.org/templates/builtin/centos56-x86_64.vhd.bz2"
DEFAULT_ISO_URL = "http://download.cloudstack.org/testing/marvin/dummy.iso"
TEMPLATE_FORMATS = {"kvm": "QCOW2", "xenserver": "VHD", "vmware": "OVA", "simulator": "VHD", "lxc": "TAR",
                    "hyperv": "VHD", "ovm3": "RAW"}


class Make:
    """Creates resources for one scope; every one is undone after it, newest first.

    Resources are created as the test user unless ``api=`` names another
    client (``cloud`` for the admin, or one from :meth:`api_for`); identity,
    offerings and roles are the admin's. Keyword arguments go to the create API.
    """

    def __init__(self, request: pytest.FixtureRequest, tracker: ResourceTracker):
        self.request = request
        self.tracker = tracker
        self.stack = tracker.stack
        self.factory = ResourceFactory(request, tracker)   # VPC tiers; fixture lookups; job timeouts
        self._owners: dict[int, str] = {}                 # id(client from api_for) -> its account

    # --- basics ----------------------------------------------------------------------
    @property
    def cloud(self) -> Any:
        return self.factory.fixture("cloud")

    @property
    def run_id(self) -> str:
        return self.factory.run_id

    def name(self, purpose: str, max_length: int = 63) -> str:
        """A name unique to this run (``m2-<run>-<purpose>-<random>``), found by ``marvin2 cleanup``."""
        return r.unique_name(purpose, self.run_id, max_length=max_length)

    def _api(self, api: Any | None) -> Any:
        return self.factory.fixture("user_api") if api is None else api

    def _owner(self, api: Any | None) -> str:
        if api is not None and id(api) in self._owners:
            return self._owners[id(api)]
        return self.factory.api_and_owner(api)[1]

    def _on_created(self, api: Any | None) -> r.OnCreated:
        return self.tracker.on_created_by(self._owner(api))

    def _admin(self) -> dict:
        """The keywords of a create made (and recorded) as the admin."""
        return {"run_id": self.run_id, "on_created": self.tracker.on_created_by("admin")}

    def _as(self, api: Any | None, command: str | None = None, *, named: bool = True) -> tuple[Any, dict]:
        """The client of a create made as ``api`` (default: the test user) and the helper's keywords:
        ``on_created``, ``run_id`` for what has a name, the job ``timeout`` of an async ``command``."""
        options: dict[str, Any] = {"on_created": self._on_created(api)}
        if named:
            options["run_id"] = self.run_id
        if command is not None:
            options["timeout"] = self.factory.job_timeout(command)
        return self._api(api), options

    def undo(self, description: str, command: str, api: Any | None = None, **params: Any) -> r.CleanupEntry:
        """Run ``command(**params)`` after the test (as the admin unless ``api``); "does not exist" is fine.

        For what has no id of its own; a resource the test made itself goes in with :meth:`track`.
        """
        return self.stack.push(undo_call, api or self.cloud, command, description=description, **params)

    def track(self, kind: str, record: Any, *, command: str, api: Any | None = None) -> Any:
        """Register a resource the test created itself (``kind``: a ``marvin2.resources.KINDS`` name):
        deleted after the test and recorded in the ledger. Returns ``record``."""
        r.get_kind(kind)  # an unknown kind is an error here, not at cleanup time
        self._on_created(api)(Created(kind, str(record["id"]), command, record.get("name"), record))
        return record

    # --- identity (as the admin) --------------------------------------------------------
    def account(self, *, domainid: str | None = None, accounttype: int | None = r.accounts.USER_ACCOUNT,
                roleid: str | None = None, purpose: str = "acct", **params: Any) -> r.AccountKeys:
        """A new account (in the test domain unless ``domainid``) with API keys for its user."""
        return r.create_account_with_keys(self.cloud, domainid=domainid or self.factory.fixture("domain")["id"],
                                          accounttype=accounttype, roleid=roleid, purpose=purpose,
                                          **self._admin(), **params)

    def domain_admin(self, domainid: str, *, purpose: str = "dadm", **params: Any) -> r.AccountKeys:
        """A domain admin account of ``domainid``."""
        return self.account(domainid=domainid, accounttype=r.accounts.DOMAIN_ADMIN_ACCOUNT, purpose=purpose,
                            **params)

    def api_for(self, keys: r.AccountKeys, **client_options: Any) -> Any:
        """A client acting as the user of ``keys`` (closed after the test); creates through it are
        recorded as that account's. ``spec=cloud.spec`` lets it SEND admin APIs, to see the server refuse them."""
        # A short-lived user: no spec cache file of its own (see docs/internals.md, spec cache).
        client_options.setdefault("use_cache", False)
        api = connect_api(self.request.config, api_key=keys.api_key, secret_key=keys.secret_key, **client_options)
        self.stack.push(api.close, description=f"close the client of {keys.name}")
        self._owners[id(api)] = keys.name
        return api

    def domain(self, *, parentdomainid: str | None = None, purpose: str = "dom", **params: Any) -> Any:
        return r.create_domain(self.cloud, parentdomainid=parentdomainid, purpose=purpose, **self._admin(), **params)

    def user(self, account: Any, *, purpose: str = "user", **params: Any) -> Any:
        """createUser in an existing account (deleted before its account)."""
        return r.create_user(self.cloud, account, purpose=purpose, **self._admin(), **params)

    def role(self, *, type: str = "User", purpose: str = "role", **params: Any) -> Any:
        """createRole (``roleid=`` clones one); deleted after the accounts that have it."""
        return r.create_role(self.cloud, type=type, purpose=purpose, **self._admin(), **params)

    def project(self, *, api: Any | None = None, purpose: str = "proj", **params: Any) -> Any:
        """createProject as ``api`` (default the test user); deleted with everything it owns."""
        api, options = self._as(api, "createProject")
        return r.create_project(api, purpose=purpose, **options, **params)

    # --- offerings (as the admin; None leaves a parameter out) ----------------------------
    def service_offering(self, *, purpose: str = "so", **params: Any) -> Any:
        return r.create_service_offering(self.cloud, purpose=purpose, **self._admin(), **params)

    def disk_offering(self, *, purpose: str = "do", **params: Any) -> Any:
        return r.create_disk_offering(self.cloud, purpose=purpose, **self._admin(), **params)

    def network_offering(self, *, purpose: str = "no", **params: Any) -> Any:
        return r.create_network_offering(self.cloud, purpose=purpose, **self._admin(), **params)

    # --- the test user's resources (or ``api``'s) ---------------------------------------
    def keypair(self, *, api: Any | None = None, publickey: str | None = None, purpose: str = "key",
                **params: Any) -> Any:
        """createSSHKeyPair, or registerSSHKeyPair with ``publickey``."""
        client, options = self._as(api)
        pair = r.create_ssh_keypair(client, publickey=publickey, purpose=purpose, **options, **params)
        if not pair.get("id"):
            # Servers before 4.17 give key pairs no id: undone by name and owner, outside the ledger.
            owner = {key: params[key] for key in OWNER_FIELDS if key in params}
            self.stack.push(undo_call, client, "deleteSSHKeyPair", name=pair["name"], **owner,
                            description=f"delete SSH key pair {pair['name']}")
        return pair

    def affinity_group(self, *, api: Any | None = None, type: str = "host anti-affinity", purpose: str = "ag",
                       **params: Any) -> Any:
        api, options = self._as(api, "createAffinityGroup")
        return r.create_affinity_group(api, type=type, purpose=purpose, **options, **params)

    def security_group(self, *, api: Any | None = None, purpose: str = "sg", **params: Any) -> Any:
        api, options = self._as(api)
        return r.create_security_group(api, purpose=purpose, **options, **params)

    def iso(self, *, api: Any | None = None, url: str | None = None, purpose: str = "iso", **params: Any) -> Any:
        """registerIso in the test zone (URL: ``url``, test_data ``iso_url``, else Marvin's dummy ISO)."""
        api, options = self._as(api)
        params.setdefault("zoneid", self.factory.fixture("zone")["id"])
        params.setdefault("ostypeid", self.factory.fixture("template")["ostypeid"])
        return r.register_iso(api, url=url or self._test_data_url("iso_url", DEFAULT_ISO_URL), purpose=purpose,
                              **options, **params)

    def register_template(self, *, api: Any | None = None, url: str | None = None, purpose: str = "tmpl",
                          **params: Any) -> Any:
        """registerTemplate for the run's hypervisor (URL: ``url``, test_data ``template_url``, else Marvin's)."""
        api, options = self._as(api)
        hypervisor = params.pop("hypervisor", None) or hypervisor_name(self.request.config) or "Simulator"
        params.setdefault("format", TEMPLATE_FORMATS.get(hypervisor.lower(), "QCOW2"))
        params.setdefault("ostypeid", self.factory.fixture("template")["ostypeid"])
        params.setdefault("zoneid", self.factory.fixture("zone")["id"])
        return r.register_template(api, url=url or self._test_data_url("template_url", DEFAULT_TEMPLATE_URL),
                                   hypervisor=hypervisor, purpose=purpose, **options, **params)

    def _test_data_url(self, key: str, default: str) -> str:
        return (self.factory.fixture("marvin2_config").test_data or {}).get(key) or default

    def lb_rule(self, *, publicipid: str, api: Any | None = None, privateport: int = 80, publicport: int = 80,
                algorithm: str = "roundrobin", purpose: str = "lb", **params: Any) -> Any:
        api, options = self._as(api, "createLoadBalancerRule")
        return r.create_lb_rule(api, publicipid=publicipid, name=params.pop("name", None) or self.name(purpose),
                                privateport=privateport, publicport=publicport, algorithm=algorithm,
                                **options, **params)

    def egress_rule(self, *, networkid: str, api: Any | None = None, protocol: str = "tcp", **params: Any) -> Any:
        api, options = self._as(api, "createEgressFirewallRule", named=False)
        return r.create_egress_rule(api, networkid=networkid, protocol=protocol, **options, **params)

    def vpc_tier(self, vpc: Any, *, gateway: str, netmask: str = "255.255.255.0", api: Any | None = None,
                 **params: Any) -> Any:
        """A VPC tier: a network with ``vpcid`` (VPC tier offering unless ``networkofferingid``)."""
        offering = params.pop("networkofferingid", None) or self.factory.fixture("vpc_network_offering")["id"]
        return self.factory.network(api=api, vpcid=vpc["id"], gateway=gateway, netmask=netmask,
                                    networkofferingid=offering, **params)

    def acl_list(self, *, vpcid: str, api: Any | None = None, purpose: str = "acl", **params: Any) -> Any:
        api, options = self._as(api, "createNetworkACLList")
        return r.create_acl_list(api, vpcid=vpcid, purpose=purpose, **options, **params)

    def acl_rule(self, *, api: Any | None = None, protocol: str = "tcp", **params: Any) -> Any:
        """createNetworkACL: ``aclid=`` (or a tier's ``networkid=``) and the rule's fields."""
        api, options = self._as(api, "createNetworkACL", named=False)
        return r.create_acl_rule(api, protocol=protocol, **options, **params)

    def snapshot_policy(self, *, volumeid: str, api: Any | None = None, **params: Any) -> Any:
        """createSnapshotPolicy (default: daily at 00:01 UTC, 2 snapshots kept)."""
        api, options = self._as(api, named=False)
        return r.create_snapshot_policy(api, volumeid=volumeid, **options, **params)

    # --- undone without an id of their own ------------------------------------------------
    def tags(self, resourcetype: str, resourceids: list[str], tags: dict[str, str], *,
             api: Any | None = None) -> None:
        """createTags (waits for the job); deleteTags of the same pairs after the test."""
        api = self._api(api)
        api.createTags(resourcetype=resourcetype, resourceids=resourceids, tags=tags)
        self.stack.push(undo_call, api, "deleteTags", description=f"delete tags on {len(resourceids)} {resourcetype}",
                        resourcetype=resourcetype, resourceids=resourceids, tags=dict(tags))

    def static_nat(self, *, ipaddressid: str, virtualmachineid: str, api: Any | None = None, **params: Any) -> Any:
        """enableStaticNat; disabled after the test while the address is still mapped."""
        answer = self._api(api).enableStaticNat(ipaddressid=ipaddressid, virtualmachineid=virtualmachineid, **params)
        self.stack.push(_disable_static_nat, self.cloud, ipaddressid, description=f"disable static NAT on {ipaddressid}")
        return answer


def _disable_static_nat(api: Any, ipaddressid: str) -> None:
    # Only while the address is still mapped: the test may have unmapped or released it.
    found = r.listed(api, "listPublicIpAddresses", id=ipaddressid, listall=True)
    if found and found[0].get("isstaticnat"):
        undo_call(api, "disableStaticNat", ipaddressid=ipaddressid)


@pytest.fixture
def make(request: pytest.FixtureRequest, resource_tracker: ResourceTracker) -> Make:
    """Factories for what the ``create_*`` fixtures do not cover (accounts, domains, roles, projects,
    offerings, key pairs, groups, ISOs, templates, LB/egress/ACL rules, snapshot policies, tags...);
    every one is deleted after the test and recorded in the ledger."""
    return Make(request, resource_tracker)


@pytest.fixture(scope="module")
def module_make(request: pytest.FixtureRequest, _module_resources: ResourceFactory) -> Make:
    """``make`` for module-scoped set-ups: undone with the module's shared resources."""
    return Make(request, _module_resources.tracker)
