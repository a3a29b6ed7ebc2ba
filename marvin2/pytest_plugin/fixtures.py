"""marvin2 fixtures: discovery, isolated accounts, factories with LIFO cleanup.

The fixtures are thin wrappers over ``marvin2.resources`` and live in one
module per concern; importing them here is what registers them with pytest
(this module is the plugin the entry point loads):

- ``fixtures_discovery``: zone, domain, template, service/disk/network/VPC
  offerings, a Basic zone's guest network, looked up once per run (file lock
  in the shared directory);
- ``fixtures_accounts``: ``test_account`` and ``user_api``, one per xdist
  worker or per module (``--account-scope``), and ``user_api_full_spec``;
- ``fixtures_factories``: ``create_network``, ``deploy_vm``,
  ``create_volume``, ``acquire_public_ip``, ``create_vpc``,
  ``create_snapshot``, ``create_vm_snapshot``, ``create_template``,
  ``create_firewall_rule``, ``create_port_forwarding_rule``,
  ``resource_factory``, ``cleanup_stack``, and the module-scoped
  ``shared_network`` / ``shared_vm``;
- ``fixtures_make``: ``make`` / ``module_make``, factories for everything
  else (accounts, domains, roles, projects, offerings, key pairs, ...);
- ``fixtures_settings``: ``global_settings`` (restored after the test) and
  ``job_timeout``;
- ``fixtures_guests``: ``ssh_settings`` and ``ssh_to_guest``.
"""
from __future__ import annotations

from marvin2.pytest_plugin.fixtures_accounts import test_account, user_api, user_api_full_spec  # noqa: F401
from marvin2.pytest_plugin.fixtures_discovery import (  # noqa: F401
    basic_zone_network, disk_offering, domain, network_offering, service_offering, template, vpc_network_offering, vpc_offering, zone,
)
from marvin2.pytest_plugin.fixtures_factories import (  # noqa: F401
    _background_cleaner, _module_resources, acquire_public_ip, cleanup_stack, create_firewall_rule, create_network,
    create_port_forwarding_rule, create_snapshot, create_template, create_vm_snapshot, create_volume, create_vpc,
    deploy_vm, resource_factory, resource_tracker, shared_network, shared_vm,
)
from marvin2.pytest_plugin.fixtures_guests import ssh_settings, ssh_to_guest  # noqa: F401
from marvin2.pytest_plugin.fixtures_make import make, module_make  # noqa: F401
from marvin2.pytest_plugin.fixtures_settings import global_settings, job_timeout  # noqa: F401
