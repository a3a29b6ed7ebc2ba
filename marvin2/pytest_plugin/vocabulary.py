"""The tag vocabulary: every tag a test may carry, in this one registry.

A tag not listed here is a collection error (and a usage error in
``--tags``), with the closest known tag suggested: Marvin's ``adeancedsg``
typo silently dropped tests for years. To add a tag, add a line here with a
description that tells a test author when to use it; ``pytest --markers``
shows them all.

Tags are lower-case words joined by ``-``. Each is also a pytest marker with
``-`` replaced by ``_`` (``quick-test`` -> ``-m quick_test``).
"""
from __future__ import annotations

import difflib
import re
from typing import Iterable, Mapping

# tag -> description, in three groups. Reports use the groups: category tags
# become allure features, every tag an allure tag.

# Zone / network model (Marvin's tags).
ZONE_MODELS: Mapping[str, str] = {
    "advanced": "runs in an Advanced zone (isolated/VPC networks, virtual routers)",
    "basic": "runs in a Basic zone (shared network, security groups)",
    "sg": "needs security groups",
    "advancedsg": "runs in an Advanced zone with security groups",
    "advancedns": "runs in an Advanced zone with network services (NetScaler/F5 era tag)",
    "eip": "needs elastic IPs (Basic zone with EIP/ELB)",
}

# What kind of test it is (how it behaves, not what it tests).
KINDS: Mapping[str, str] = {
    "smoke": "short check that a feature works at all (tests/smoke)",
    "component": "deeper test of one feature (tests/component)",
    "negative": "checks that bad input or forbidden actions are refused",
    "slow": "takes long (more than about a minute on a real cloud)",
    "disruptive": "disturbs the cloud for others (restarts, host maintenance, global settings)",
    "simulator-only": "relies on simulator features (fault injection, timing profiles)",
    "selfservice": "exercised by a regular user, not the admin",
    "multihost": "needs more than one host",
    "ssh": "logs into guests over SSH",
    "quick-test": "fast, representative subset to validate a pull request",
}

# What feature of CloudStack it tests.
CATEGORIES: Mapping[str, str] = {
    "deploy-vm": "deploys or manages virtual machines",
    "vpc": "VPCs, their tiers and network ACLs",
    "templates": "templates: register, copy, extract, permissions",
    "iso": "ISOs: register, attach, detach",
    "roles": "roles and role permissions",
    "service-offerings": "compute service offerings",
    "offerings": "disk, network and VPC offerings (not compute; use service-offerings)",
    "storage": "primary/secondary storage and storage pools",
    "volumes": "data volumes: create, attach, detach, resize, migrate",
    "snapshots": "volume and VM snapshots",
    "routers": "virtual routers",
    "networks": "guest networks (isolated, shared, L2); alias: network",
    "security-groups": "security groups and their rules",
    "public-ip": "public IP addresses: acquire, release, associate",
    "firewall": "firewall and egress rules",
    "load-balancer": "load balancer rules",
    "nat": "static NAT and port forwarding",
    "vpn": "remote access and site-to-site VPN",
    "usage": "usage records",
    "accounts": "accounts",
    "domains": "domains",
    "users": "users",
    "projects": "projects",
    "api-keys": "API keys, signing and authentication",
    "ssh-keys": "SSH key pairs",
    "affinity-groups": "affinity and anti-affinity groups",
    "resource-tags": "resource tags (createTags/listTags, `tags` parameters)",
    "infrastructure": "zones, pods, clusters, hosts (admin infrastructure)",
    "system-vms": "system VMs (console proxy, secondary storage VM)",
    "global-settings": "global and scoped configuration settings",
    "certificates": "certificates and TLS",
    "events": "events and alerts",
    "async-jobs": "asynchronous jobs: polling, results, failures",
    "limits": "resource limits and quotas",
    "isolation": "one account cannot see or touch another's resources",
    "pagination": "page and pagesize of list APIs",
    "api-discovery": "listApis and API discovery",
    "kubernetes": "the CloudStack Kubernetes Service",
    "migration": "VM and volume migration",
}

TAGS: Mapping[str, str] = {**ZONE_MODELS, **KINDS, **CATEGORIES}

# Other spellings accepted everywhere (decorators, --tags, -m), normalised to
# the canonical tag. `network` is how people say it; `networks` is the
# category proposed for Marvin, kept as the canonical name.
ALIASES: Mapping[str, str] = {
    "network": "networks",
}

# Marker names the plugin and pytest use themselves: no tag may map onto them.
RESERVED_MARKERS = frozenset({
    "tags", "required_hardware", "requires", "zone_type", "hypervisor", "hypervisor_not", "serial",
    "skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings",
})

_TAG_SHAPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class UnknownTagError(ValueError):
    """A tag outside the vocabulary; the message suggests the closest known one."""

    def __init__(self, tag: str, where: str = ""):
        self.tag = tag
        self.suggestion = closest(tag)
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        place = f" in {where}" if where else ""
        super().__init__(
            f"unknown tag {tag!r}{place}{hint} "
            f"(known tags are listed by `pytest --markers` and in marvin2/pytest_plugin/vocabulary.py)"
        )


def closest(tag: str) -> str | None:
    """The known tag (or alias) closest to ``tag``, or None when nothing is close."""
    candidates = list(TAGS) + list(ALIASES)
    folded = tag.strip().lower().replace("_", "-").replace(" ", "-")
    if folded in TAGS:  # e.g. 'Simulator-Only' or 'quick_test'
        return folded
    if folded in ALIASES:
        return ALIASES[folded]
    match = difflib.get_close_matches(folded, candidates, n=1, cutoff=0.6)
    if not match:
        return None
    return ALIASES.get(match[0], match[0])


def canonical(tag: str, where: str = "") -> str:
    """The canonical spelling of ``tag``; raises UnknownTagError for anything else."""
    if not isinstance(tag, str):
        raise UnknownTagError(repr(tag), where)
    if tag in TAGS:
        return tag
    if tag in ALIASES:
        return ALIASES[tag]
    raise UnknownTagError(tag, where)


def canonical_all(tags: Iterable[str], where: str = "") -> tuple[str, ...]:
    return tuple(dict.fromkeys(canonical(tag, where) for tag in tags))


def marker_name(tag: str) -> str:
    """The identifier marker of a tag: ``quick-test`` -> ``quick_test``."""
    return tag.replace("-", "_")


def _check_registry() -> None:
    # The registry is code: a malformed entry should fail loudly at import.
    for tag in list(TAGS) + list(ALIASES):
        if not _TAG_SHAPE.match(tag):
            raise AssertionError(f"vocabulary: tag {tag!r} is not lower-case words joined by '-'")
    if len(TAGS) != len(ZONE_MODELS) + len(KINDS) + len(CATEGORIES):
        raise AssertionError("vocabulary: a tag is listed in two groups")
    for alias, target in ALIASES.items():
        if alias in TAGS or target not in TAGS:
            raise AssertionError(f"vocabulary: alias {alias!r} -> {target!r} is inconsistent")
    identifiers = [marker_name(t) for t in list(TAGS) + list(ALIASES)]
    clashes = RESERVED_MARKERS.intersection(identifiers)
    if clashes:
        raise AssertionError(f"vocabulary: tags {sorted(clashes)} clash with marker names of their own")
    if len(set(identifiers)) != len(identifiers):
        raise AssertionError("vocabulary: two tags map to the same marker name")


_check_registry()
