"""The kinds beyond VMs and networks (what the plugin's ``make`` creates) against the real simulator.

Roles, projects, offerings, SSH key pairs, affinity and security groups, ISOs,
egress rules, ACL lists and rules, snapshot policies: each is created through
its helper and reported to ``on_created``, is found by id, is deleted as the
admin even when a user owns it (a key pair is deleted by name and owner), and
is "already gone" the second time; ``marvin2 cleanup``'s name search finds them.
"""
from __future__ import annotations

import marvin2
import pytest

from marvin2 import resources as r
from marvin2.resources.sweep import collect_leftovers, delete_leftovers

TEMPLATE = "CentOS 5.6 (64-bit) no GUI (Simulator)"
RUN = "simrun-kinds"


@pytest.fixture(scope="module")
def user(admin, sim):
    keys = r.create_account_with_keys(admin, run_id=RUN)
    api = marvin2.connect(sim.endpoint, api_key=keys.api_key, secret_key=keys.secret_key, use_cache=False)
    yield keys, api
    api.close()
    r.delete_resource(admin, "account", keys.id)


def test_every_kind_is_reported_found_deleted_by_the_admin_and_then_gone(admin, user):
    keys, api = user
    zone = r.find_zone(admin, "Sandbox-simulator")
    template = r.find_template(admin, TEMPLATE, zone.id)
    stack = r.CleanupStack()
    reported: list[r.Created] = []
    to_stack = r.tracker(stack, admin)

    def track(created: r.Created) -> None:
        reported.append(created)
        to_stack(created)

    mine = {"run_id": RUN, "on_created": track}
    role = r.create_role(admin, description="kinds test", **mine)
    offerings = [r.create_service_offering(admin, **mine), r.create_disk_offering(admin, **mine),
                 r.create_network_offering(admin, guestiptype="Isolated", supportedservices=["Dhcp", "Dns"], **mine)]
    project = r.create_project(api, **mine)
    pair = r.create_ssh_keypair(api, **mine)
    group = r.create_affinity_group(api, **mine)
    security_group = r.create_security_group(api, **mine)
    iso = r.register_iso(api, url="http://example.invalid/kinds.iso", zoneid=zone.id, ostypeid=template.ostypeid,
                         **mine)
    network = r.create_network(api, zoneid=zone.id, networkofferingid=r.find_network_offering(
        admin, "DefaultIsolatedNetworkOfferingWithSourceNatService").id, **mine)
    egress = r.create_egress_rule(api, networkid=network.id, startport=80, endport=80, on_created=track)
    vpc = r.create_vpc(api, zoneid=zone.id, vpcofferingid=r.find_vpc_offering(admin, "Default VPC offering").id,
                       **mine)
    acl = r.create_acl_list(api, vpcid=vpc.id, **mine)
    rule = r.create_acl_rule(api, aclid=acl.id, number=10, cidrlist=["10.0.0.0/8"], startport=22, endport=22,
                             traffictype="Ingress", on_created=track)
    vm = r.deploy_vm(api, zoneid=zone.id, serviceofferingid=r.find_service_offering(admin, "Small Instance").id,
                     templateid=template.id, networkids=[network.id], **mine)
    root = api.listVolumes(virtualmachineid=vm.id, type="ROOT")[0]
    policy = r.create_snapshot_policy(api, volumeid=root.id, on_created=track)

    made = [("role", role), ("service_offering", offerings[0]), ("disk_offering", offerings[1]),
            ("network_offering", offerings[2]), ("project", project), ("ssh_keypair", pair),
            ("affinity_group", group), ("security_group", security_group), ("iso", iso), ("network", network),
            ("egress_rule", egress), ("vpc", vpc), ("acl_list", acl), ("acl_rule", rule), ("vm", vm),
            ("snapshot_policy", policy)]
    assert [(c.kind, c.id) for c in reported] == [(kind, record.id) for kind, record in made]
    for kind, record in made:
        assert r.exists(admin, kind, record.id), (kind, record.id)

    assert stack.run() == []   # LIFO, as the admin: the user's key pair, groups, rules ... too
    for kind, record in made:
        assert not r.exists(admin, kind, record.id), (kind, record.id)
        assert r.delete_resource(admin, kind, record.id) is False, kind   # already gone, not an error
    assert api.listSSHKeyPairs(name=pair.name) == []


def test_cleanup_finds_the_new_kinds_by_their_names(admin, user):
    _, api = user
    run = "simrun-kinds-sweep"
    role = r.create_role(admin, run_id=run)
    offering = r.create_disk_offering(admin, run_id=run)
    pair = r.create_ssh_keypair(api, run_id=run)
    group = r.create_affinity_group(api, run_id=run)
    leftovers = collect_leftovers(admin, run)
    # In deletion order: groups and key pairs before offerings, roles last.
    assert [(x.kind, x.id) for x in leftovers] == [("affinity_group", group.id), ("ssh_keypair", pair.id),
                                                   ("disk_offering", offering.id), ("role", role.id)]
    assert all(x.sources == {"name"} for x in leftovers)
    result = delete_leftovers(admin, leftovers)
    assert result.ok and len(result.deleted) == 4
    assert collect_leftovers(admin, run) == []


def test_a_key_pair_without_id_is_not_reported():
    # Servers before 4.17 answer createSSHKeyPair without an id: nothing to report (the caller undoes it by name).
    class OldServer:
        def createSSHKeyPair(self, **params):
            return {"keypair": {"name": params["name"], "fingerprint": "aa:bb", "privatekey": "-----BEGIN"}}

    reported = []
    pair = r.create_ssh_keypair(OldServer(), name="k1", on_created=reported.append)
    assert pair["name"] == "k1" and "id" not in pair and reported == []


def test_a_registered_iso_becomes_ready_and_a_vanished_one_fails_fast(admin, user):
    _, api = user
    zone = r.find_zone(admin, "Sandbox-simulator")
    template = r.find_template(admin, TEMPLATE, zone.id)
    with r.CleanupStack() as stack:
        iso = r.register_iso(api, url="http://example.invalid/ready.iso", zoneid=zone.id, ostypeid=template.ostypeid,
                             on_created=r.tracker(stack, admin))
        ready = r.wait_for_iso_ready(api, iso.id, timeout=30)   # as the user: isofilter=all refused, "self" used
        assert (ready.id, ready.isready) == (iso.id, True)
        admin.deleteIso(id=iso.id)
        with pytest.raises(r.ResourceFailed, match="no longer exists"):
            r.wait_for_iso_ready(api, iso.id, timeout=30)
