"""A bare simulator is a fresh 4.20 database: every setting of the facts table with its default, category,
scope and type; updateConfiguration validates like ConfigurationManagerImpl (scope, Java type, ranges);
scoped values through updateConfiguration and listConfigurations; the guest OS catalogue and offerings."""
from __future__ import annotations

import pytest

from marvin2.simulator import configs, facts, start_simulator
from sim_testlib import RawClient


@pytest.fixture(scope="module")
def bare():
    sim = start_simulator(seed=None, profile="instant")
    yield RawClient(sim.endpoint, sim.admin_api_key, sim.admin_secret_key)
    sim.stop()


def setting(api: RawClient, name: str, **scope) -> dict:
    listed = api.ok("listConfigurations", name=name, **scope).get("configuration", [])
    return next(c for c in listed if c["name"] == name)


def refusal(api: RawClient, **params) -> tuple[int, str]:
    status, body = api.call("updateConfiguration", **params)
    return status, body["updateconfigurationresponse"].get("errortext", "")


def test_every_setting_of_a_fresh_database_is_there(bare):
    shown = [name for name, s in facts.settings().items() if s.category != "Hidden"]
    first = bare.ok("listConfigurations", page=1, pagesize=500)
    assert first["count"] == len(shown) == 821
    second = bare.ok("listConfigurations", page=2, pagesize=500)
    names = [c["name"] for c in first["configuration"] + second["configuration"]]
    assert sorted(names) == sorted(shown) and names == sorted(names)
    # Settings tests and upstream configs set, with the server's category, type and default.
    drs = setting(bare, "drs.algorithm")
    assert (drs["category"], drs["type"], drs["defaultvalue"], drs["value"]) == ("Advanced", "String", "balanced", "balanced")
    assert setting(bare, "ping.timeout")["type"] == "Decimal"
    assert setting(bare, "workers")["type"] == "Number" and setting(bare, "workers")["value"] == "10"
    assert setting(bare, "project.invite.required")["type"] == "Boolean"
    assert setting(bare, "cluster.cpu.allocated.capacity.disablethreshold")["type"] == "Range"
    # Hidden settings (e.g. the secret keys of the cloud) are never listed.
    assert bare.ok("listConfigurations", name="security.hash.key") == {}


def test_simulator_values_and_developer_prefill(bare):
    """The simulator keeps its short timers (listed as values; the declared default stays the default value)
    and starts with deploydb's developer prefill elsewhere."""
    expunge = setting(bare, "expunge.delay")
    assert (expunge["value"], expunge["defaultvalue"]) == ("60", "86400")
    assert setting(bare, "network.gc.wait")["value"] == "20"
    assert setting(bare, "host")["value"] == "127.0.0.1"
    for name, value in configs.SIMULATOR_VALUES.items():
        assert setting(bare, name)["value"] == value


@pytest.mark.parametrize("name,value,text", [
    ("workers", "ten", "Value [ten] is not a valid [class java.lang.Integer]."),
    ("direct.agent.load.size", "9999999999", "Value [9999999999] is not a valid [class java.lang.Integer]."),
    ("ping.timeout", "abc", "Value [abc] is not a valid [class java.lang.Float]."),
    ("enable.account.settings.for.domain", "yes", "Value [yes] is not a valid [class java.lang.Boolean]."),
    ("ping.interval", "0", "Please enter a positive value for the configuration parameter: [ping.interval]."),
    ("vm.password.length", "4", "Please enter a value greater than 5 for the configuration parameter: [vm.password.length]."),
    ("cpu.overprovisioning.factor", "0", "Value for configuration [cpu.overprovisioning.factor] should be greater than 0."),
    ("cluster.cpu.allocated.capacity.disablethreshold", "1.5",
     "Please enter a value between 0 and 1 for the configuration parameter: [cluster.cpu.allocated.capacity.disablethreshold]."),
    ("router.extra.public.nics", "9",
     "The provided value is not valid for this configuration. Please enter an integer in the range: [0-5]"),
    ("instance.name", "my-vm", "The provided value is not a valid instance name (instance names cannot contain "
                               "hyphens, spaces or plus signs)."),
    ("consoleproxy.url.domain", "not a domain",
     "The provided value is neither a valid domain name NOR a valid site local IP address."),
    ("check.pod.cidrs", "maybe", "The provided value is neither a valid value for this configuration (Options are: "
                                 "[true]) NOR a valid value for this configuration (Options are: [false])."),
    ("secstorage.allowed.internal.sites", "10.0.0.0/33",
     "Invalid CIDR 10.0.0.0/33 value specified for the config secstorage.allowed.internal.sites."),
    ("workers", "null", "Value [null] is not a valid [class java.lang.Integer]."),
])
def test_values_are_validated_like_the_server(bare, name, value, text):
    before = setting(bare, name).get("value")
    assert refusal(bare, name=name, value=value) == (431, text)
    assert setting(bare, name).get("value") == before


def test_accepted_values(bare):
    for name, value, stored in (("check.pod.cidrs", "true", "true"), ("instance.name", "QA", "QA"),
                                ("ping.timeout", "2.0", "2.0"), ("project.invite.required", "TRUE", "true"),
                                ("consoleproxy.url.domain", "*.example.org", "*.example.org"),
                                ("drs.algorithm", "condensed", "condensed")):
        assert bare.ok("updateConfiguration", name=name, value=value)["configuration"]["value"] == stored
        assert setting(bare, name)["value"] == stored
    # An empty value clears a global string setting (listed without a value; the default applies).
    cleared = bare.ok("updateConfiguration", name="consoleproxy.url.domain", value="")["configuration"]
    assert "value" not in cleared and "value" not in setting(bare, "consoleproxy.url.domain")
    # No value at all changes nothing.
    assert bare.ok("updateConfiguration", name="instance.name")["configuration"]["value"] == "QA"


def test_scoped_values(bare):
    admin_account = bare.ok("listAccounts", name="admin")["account"][0]
    domain = bare.ok("listDomains")["domain"][0]
    account_id = admin_account["id"]
    # An Account-scoped setting at account scope; listed only among that scope's settings.
    answer = bare.ok("updateConfiguration", name="allow.user.view.destroyed.vm", value="true", accountid=account_id)
    assert answer["configuration"]["scope"] == "account" and answer["configuration"]["value"] == "true"
    assert setting(bare, "allow.user.view.destroyed.vm", accountid=account_id)["value"] == "true"
    assert setting(bare, "allow.user.view.destroyed.vm")["value"] == "false"
    account_listing = bare.ok("listConfigurations", accountid=account_id, pagesize=500, page=1)["configuration"]
    expected = {n for n, s in facts.settings().items() if s.scope == "Account" and s.category != "Hidden"}
    assert {c["name"] for c in account_listing} == expected
    # A Global setting has no account value; a Cluster one no zone value.
    assert refusal(bare, name="workers", value="3", accountid=account_id) == (
        431, "Invalid scope id provided for the parameter workers")
    assert refusal(bare, name="drs.algorithm", value="condensed", domainid=domain["id"]) == (
        431, "Invalid scope id provided for the parameter drs.algorithm")
    # With enable.account.settings.for.domain, account settings take domain values too.
    assert refusal(bare, name="allow.user.view.destroyed.vm", value="true", domainid=domain["id"])[0] == 431
    bare.ok("updateConfiguration", name="enable.account.settings.for.domain", value="true")
    try:
        bare.ok("updateConfiguration", name="allow.user.view.destroyed.vm", value="true", domainid=domain["id"])
        names = {c["name"] for c in bare.ok("listConfigurations", domainid=domain["id"], page=1, pagesize=500)["configuration"]}
        assert "allow.user.view.destroyed.vm" in names
    finally:
        bare.ok("updateConfiguration", name="enable.account.settings.for.domain", value="false")
    assert refusal(bare, name="workers", value="3", accountid=account_id, domainid=domain["id"]) == (
        431, "cannot handle multiple IDs, provide only one ID corresponding to the scope")


def test_guest_os_catalogue_and_offerings(bare):
    categories, guest_os = facts.guest_os_catalogue()
    types = bare.ok("listOsTypes")["ostype"]
    assert len(types) == len(guest_os) == 377
    descriptions = {t["description"] for t in types}
    assert {"Other Linux (64-bit)", "CentOS 5.3 (64-bit)", "CentOS 5.6 (64-bit)"} <= descriptions
    assert {c["name"] for c in bare.ok("listOsCategories")["oscategory"]} == set(categories.values())
    assert {o["name"] for o in bare.ok("listServiceOfferings")["serviceoffering"]} >= {"Small Instance", "Medium Instance"}
    assert {o["name"] for o in bare.ok("listDiskOfferings")["diskoffering"]} == {"Small", "Medium", "Large", "Custom"}
    network_offerings = {o["name"] for o in bare.ok("listNetworkOfferings")["networkoffering"]}
    assert {"DefaultIsolatedNetworkOfferingWithSourceNatService", "DefaultIsolatedNetworkOffering",
            "DefaultSharedNetworkOffering", "DefaultSharedNetworkOfferingWithSGService", "DefaultL2NetworkOffering",
            "DefaultL2NetworkOfferingVlan", "DefaultL2NetworkOfferingConfigDrive", "DefaultL2NetworkOfferingConfigDriveVlan",
            "DefaultIsolatedNetworkOfferingForVpcNetworks", "DefaultIsolatedNetworkOfferingForVpcNetworksNoLB",
            "DefaultIsolatedNetworkOfferingForVpcNetworksWithInternalLB"} == network_offerings
    assert {o["name"] for o in bare.ok("listVPCOfferings")["vpcoffering"]} == {"Default VPC offering", "Redundant VPC offering"}
    assert {r["name"] for r in bare.ok("listRoles")["role"]} >= {"Root Admin", "Resource Admin", "Domain Admin", "User"}


def test_zone_cluster_and_pool_values(admin):
    zone = admin.ok("listZones")["zone"][0]
    cluster = admin.ok("listClusters")["cluster"][0]
    pool = admin.ok("listStoragePools")["storagepool"][0]
    for name, value, scope, key in (("enable.dynamic.scale.vm", "true", {"zoneid": zone["id"]}, "zone"),
                                    ("drs.algorithm", "condensed", {"clusterid": cluster["id"]}, "cluster"),
                                    ("storage.overprovisioning.factor", "3", {"storageid": pool["id"]}, "storagepool")):
        before = setting(admin, name)["value"]
        answer = admin.ok("updateConfiguration", name=name, value=value, **scope)["configuration"]
        assert (answer["scope"], answer["id"], answer["value"]) == (key, next(iter(scope.values())), value)
        assert setting(admin, name, **scope)["value"] == value
        assert setting(admin, name)["value"] == before          # the global value is untouched
        assert refusal(admin, name="workers", value="3", **scope) == (
            431, "Invalid scope id provided for the parameter workers")
    status, _ = admin.call("updateConfiguration", name="drs.algorithm", value="condensed",
                           clusterid="0b0e5a6c-0000-0000-0000-000000000000")
    assert status == 431
