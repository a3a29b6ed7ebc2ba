"""Timing profiles: how long each async job takes before it completes.

- ``instant``: every job completes as soon as the scheduler sees it (0 s).
- ``fast``: tens of milliseconds, so waiting code paths are exercised cheaply.
- ``realistic``: a scaled-down copy of the timings of a real cloud (a deploy
  takes ~3 s, a stop ~1 s), for testing waiters, timeouts and progress output.
Unlisted async APIs use the profile's ``default``.
"""
from __future__ import annotations

PROFILES: dict[str, dict[str, float]] = {
    "instant": {"default": 0.0},
    "fast": {
        "default": 0.02,
        "deployVirtualMachine": 0.05, "startVirtualMachine": 0.04, "stopVirtualMachine": 0.03,
        "rebootVirtualMachine": 0.04, "createSnapshot": 0.05, "createTemplate": 0.05,
        "createVPC": 0.05, "restartNetwork": 0.04,
    },
    "realistic": {
        "default": 0.5,
        "deployVirtualMachine": 3.0, "startVirtualMachine": 2.0, "stopVirtualMachine": 1.0,
        "rebootVirtualMachine": 2.0, "destroyVirtualMachine": 1.0, "expungeVirtualMachine": 1.0,
        "scaleVirtualMachine": 1.5, "migrateVirtualMachine": 2.5, "resetPasswordForVirtualMachine": 1.0,
        "addNicToVirtualMachine": 1.0, "removeNicFromVirtualMachine": 1.0,
        "createVolume": 0.5, "attachVolume": 1.0, "detachVolume": 1.0, "resizeVolume": 1.0,
        "createSnapshot": 2.0, "deleteSnapshot": 0.5, "revertSnapshot": 1.5, "createVMSnapshot": 2.0,
        "createTemplate": 3.0, "copyTemplate": 3.0, "deleteTemplate": 0.5,
        "associateIpAddress": 0.5, "disassociateIpAddress": 0.5,
        "restartNetwork": 2.5, "deleteNetwork": 1.0, "updateNetwork": 1.0,
        "createVPC": 2.5, "deleteVPC": 1.5,
        "createFirewallRule": 0.5, "createPortForwardingRule": 0.5, "createLoadBalancerRule": 0.5,
        "assignToLoadBalancerRule": 0.5, "createEgressFirewallRule": 0.5,
        "createTags": 0.2, "deleteTags": 0.2,
        "startSystemVm": 2.0, "stopSystemVm": 1.0, "rebootSystemVm": 2.0, "destroySystemVm": 1.0,
        "createProject": 0.3, "deleteProject": 0.5,
    },
}


def duration(profile: str, command: str) -> float:
    table = PROFILES[profile]
    return float(table.get(command, table["default"]))


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown simulator timing profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return profile
