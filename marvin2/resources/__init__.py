"""Resource helpers over the marvin2 client (no pytest here: usable from scripts).

    from marvin2 import resources as r
    with r.CleanupStack() as stack:
        track = r.tracker(stack, admin)            # register cleanup the moment an id exists
        net = r.create_network(user_api, zoneid=z.id, networkofferingid=o.id, run_id=run, on_created=track)
        vm = r.deploy_vm(user_api, zoneid=z.id, serviceofferingid=so.id, templateid=t.id,
                         networkids=[net.id], run_id=run, on_created=track)
        r.wait_for_vm_state(user_api, vm.id, "Running", timeout=300)
    # leaving the block deleted the VM, then the network

Every helper takes ``run_id`` (names and the ``marvin2-run`` tag) and
``on_created`` (called with a :class:`Created` as soon as the new id is known).
"""
from __future__ import annotations

from typing import Any

from marvin2.resources.accounts import (
    AccountKeys, create_account, create_account_with_keys, create_domain, create_project, create_role, create_user,
    first_user, register_user_keys,
)
from marvin2.resources.addresses import (
    acquire_public_ip, create_egress_rule, create_firewall_rule, create_lb_rule, create_port_forwarding_rule,
)
from marvin2.resources.base import Created, OnCreated, tag_with_run
from marvin2.resources.cleanup import CleanupEntry, CleanupStack, undo_call
from marvin2.resources.errors import (
    CleanupFailed, ConditionTimeout, ResourceError, ResourceFailed, ResourceNotFound, WaitTimeout, is_gone_error,
)
from marvin2.resources.groups import create_affinity_group, create_security_group
from marvin2.resources.keypairs import create_ssh_keypair
from marvin2.resources.kinds import KINDS, ResourceKind, delete_resource, deletion_order, exists, find_by_id, get_kind
from marvin2.resources.lookup import (
    find_basic_zone_network, find_disk_offering, find_domain, find_network_offering, find_os_type,
    find_service_offering, find_template, find_vpc_offering, find_zone, listed,
)
from marvin2.resources.naming import RUN_TAG_KEY, new_run_id, run_marker, unique_name
from marvin2.resources.networks import create_acl_list, create_acl_rule, create_network, create_vpc
from marvin2.resources.offerings import create_disk_offering, create_network_offering, create_service_offering
from marvin2.resources.settings import change_setting, restore_setting, setting_value
from marvin2.resources.snapshots import create_snapshot, create_snapshot_policy
from marvin2.resources.templates import create_template, register_iso, register_template
from marvin2.resources.vms import create_vm_snapshot, delete_vm, deploy_vm, reboot_vm, start_vm, stop_vm
from marvin2.resources.volumes import attach_volume, create_volume, delete_volume, detach_volume
from marvin2.resources.waiters import (
    Backoff, wait_for_iso_ready, wait_for_network_state, wait_for_public_ip_state, wait_for_snapshot_state,
    wait_for_state, wait_for_template_ready, wait_for_vm_expunged, wait_for_vm_state, wait_for_volume_state,
    wait_for_vpc_state, wait_until, wait_until_gone,
)


def tracker(stack: CleanupStack, delete_api: Any, *, timeout: float | None = None) -> OnCreated:
    """An ``on_created`` callback that pushes the deletion of each new resource onto ``stack``.

    ``delete_api`` is the client used to delete (an admin can always expunge).
    """

    def on_created(created: Created) -> None:
        stack.push_resource(delete_api, created.kind, created.id, name=created.name, timeout=timeout,
                            ownership=created.ownership)

    return on_created


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations", "Any")]
