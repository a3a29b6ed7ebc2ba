"""Virtual machines: deploy, start/stop, destroy with expunge."""
from __future__ import annotations

import re
from typing import Any

from marvin2.resources.base import OnCreated, call, create_async
from marvin2.resources.errors import is_gone_error
from marvin2.resources.kinds import ResourceKind, find_by_id, register
from marvin2.resources.naming import unique_name

# Texts/codes of a refusal to expunge: a user may destroy but not expunge
# unless allow.user.expunge.recover.vm is set.
_NOT_ALLOWED = re.compile(r"not allowed|permission|not available|denied|unable to expunge|admin only|only.*admin|expunge.recover", re.IGNORECASE)


def delete_vm(api: Any, vm_id: str, *, timeout: float | None = None, expunge: bool = True) -> None:
    """Destroy a VM, expunging it when the caller may; waits for the jobs.

    A VM that is already Destroyed (not expunged) is expunged; if the caller
    may not expunge, the VM is only destroyed (the server expunges it after
    ``expunge.delay``).
    """
    try:
        call(api, "destroyVirtualMachine", timeout=timeout, id=vm_id, expunge=True if expunge else None)
        return
    except Exception as error:
        if is_gone_error(error):
            raise
        record = find_by_id(api, VM, vm_id)
        if record is None or record.get("state") in VM.gone_states:
            return
        if record.get("state") == "Destroyed":
            if expunge:
                call(api, "expungeVirtualMachine", timeout=timeout, id=vm_id)
            return
        if expunge and _NOT_ALLOWED.search(str(getattr(error, "errortext", error))):
            call(api, "destroyVirtualMachine", timeout=timeout, id=vm_id)
            return
        raise


VM = register(ResourceKind(
    name="vm", label="virtual machine", list_api="listVirtualMachines", delete=delete_vm, rank=20,
    tag_type="UserVm", gone_states=frozenset({"Expunging", "Expunged"}),
    error_states=frozenset({"Error", "Destroyed"}),
))


def deploy_vm(
    api: Any, *, zoneid: str, serviceofferingid: str, templateid: str, name: str | None = None,
    purpose: str = "vm", run_id: str | None = None, on_created: OnCreated | None = None,
    timeout: float | None = None, **params: Any,
) -> Any:
    """deployVirtualMachine; reports the VM id before waiting for the job.

    Extra keyword arguments are passed to the API (``networkids``,
    ``startvm``, ``diskofferingid``, ...). Returns the VM record.
    """
    name = name or unique_name(purpose, run_id)
    params = {"zoneid": zoneid, "serviceofferingid": serviceofferingid, "templateid": templateid,
              "name": name, "displayname": params.pop("displayname", name), **params}
    return create_async(api, "vm", "deployVirtualMachine", params, result_keys=("virtualmachine",),
                        on_created=on_created, run_id=run_id, tag_type=VM.tag_type, timeout=timeout)


def start_vm(api: Any, vm_id: str, *, timeout: float | None = None, **params: Any) -> Any:
    return call(api, "startVirtualMachine", timeout=timeout, id=vm_id, **params)


def stop_vm(api: Any, vm_id: str, *, forced: bool | None = None, timeout: float | None = None) -> Any:
    return call(api, "stopVirtualMachine", timeout=timeout, id=vm_id, forced=forced)


def reboot_vm(api: Any, vm_id: str, *, timeout: float | None = None) -> Any:
    return call(api, "rebootVirtualMachine", timeout=timeout, id=vm_id)


# --- VM snapshots ------------------------------------------------------------------

VM_SNAPSHOT = register(ResourceKind(
    name="vm_snapshot", label="VM snapshot", list_api="listVMSnapshot", id_param="vmsnapshotid",
    delete=lambda api, rid, *, timeout=None: call(api, "deleteVMSnapshot", timeout=timeout, vmsnapshotid=rid),
    rank=10, tag_type="VMSnapshot", gone_states=frozenset({"Expunging", "Removed"}),
    error_states=frozenset({"Error"}),
))


def create_vm_snapshot(
    api: Any, vm_id: str, *, name: str | None = None, purpose: str = "vmsnap", run_id: str | None = None,
    on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createVMSnapshot of a VM; returns the VM snapshot record."""
    params = {"virtualmachineid": vm_id, "name": name or unique_name(purpose, run_id), **params}
    return create_async(api, "vm_snapshot", "createVMSnapshot", params, result_keys=("vmsnapshot",),
                        on_created=on_created, run_id=run_id, tag_type=VM_SNAPSHOT.tag_type, timeout=timeout)
