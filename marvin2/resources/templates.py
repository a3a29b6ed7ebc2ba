"""Templates made by tests (from a volume or snapshot, or registered from a URL), and registered ISOs."""
from __future__ import annotations

from typing import Any

from marvin2.resources.base import OnCreated, create_async, create_sync
from marvin2.resources.kinds import ResourceKind, register, simple_delete
from marvin2.resources.naming import unique_name

TEMPLATE = register(ResourceKind(
    name="template", label="template", list_api="listTemplates", delete=simple_delete("deleteTemplate"),
    rank=35, tag_type="Template", state_field="status",
    # templatefilter=all is for root admins; everyone else sees their own with "self".
    list_params={"templatefilter": "all", "listall": True},
    fallback_list_params=({"templatefilter": "self", "listall": True},),
))

ISO = register(ResourceKind(
    name="iso", label="ISO", list_api="listIsos", delete=simple_delete("deleteIso"),
    rank=36, state_field="status",
    list_params={"isofilter": "all", "listall": True},
    fallback_list_params=({"isofilter": "self", "listall": True},),
))


def create_template(
    api: Any, *, ostypeid: str, volumeid: str | None = None, snapshotid: str | None = None,
    name: str | None = None, displaytext: str | None = None, purpose: str = "tmpl", run_id: str | None = None,
    on_created: OnCreated | None = None, timeout: float | None = None, **params: Any,
) -> Any:
    """createTemplate from a (stopped VM's) volume or a snapshot; returns the template record."""
    if not volumeid and not snapshotid:
        raise ValueError("create_template needs volumeid= or snapshotid= (the source of the template)")
    name = name or unique_name(purpose, run_id)
    params = {"ostypeid": ostypeid, "volumeid": volumeid, "snapshotid": snapshotid, "name": name,
              "displaytext": displaytext or name, **params}
    return create_async(api, "template", "createTemplate", params, result_keys=("template",),
                        on_created=on_created, run_id=run_id, tag_type=TEMPLATE.tag_type, timeout=timeout)


def register_template(
    api: Any, *, url: str, zoneid: str, ostypeid: str, hypervisor: str, format: str,
    name: str | None = None, displaytext: str | None = None, purpose: str = "tmpl",
    run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """registerTemplate (sync; the download continues: see ``wait_for_template_ready``)."""
    name = name or unique_name(purpose, run_id)
    params = {"url": url, "zoneid": zoneid, "ostypeid": ostypeid, "hypervisor": hypervisor, "format": format,
              "name": name, "displaytext": displaytext or name, **params}
    return create_sync(api, "template", "registerTemplate", params, result_keys=("template",),
                       on_created=on_created, run_id=run_id, tag_type=TEMPLATE.tag_type)


def register_iso(
    api: Any, *, url: str, zoneid: str, name: str | None = None, displaytext: str | None = None,
    purpose: str = "iso", run_id: str | None = None, on_created: OnCreated | None = None, **params: Any,
) -> Any:
    """registerIso (sync; the download continues); returns the ISO record."""
    name = name or unique_name(purpose, run_id)
    params = {"url": url, "zoneid": zoneid, "name": name, "displaytext": displaytext or name, **params}
    return create_sync(api, ISO.name, "registerIso", params, result_keys=("iso",), on_created=on_created)
