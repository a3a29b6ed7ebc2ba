"""The catalog as the VM services use it: which service offering a VM gets, templates' download progress and who may use a template."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.services.common import (
    epoch,
    owner_fields,
    zone_name,
)

DOWNLOAD_SECONDS = {"instant": 0.05, "fast": 0.3, "realistic": 8.0}   # a register answer is never ready


def offering_for_vm(row: dict, details: dict) -> tuple[int, int, int]:
    """(cpunumber, cpuspeed, memory) a VM gets from an offering and its deploy/scale ``details``.

    Custom offerings take ``cpuNumber``/``cpuSpeed``/``memory`` from the details, within the
    offering's min/max; missing or out-of-range values are the real 431s.
    """
    if not row.get("iscustomized"):
        return int(row["cpunumber"]), int(row["cpuspeed"]), int(row["memory"])
    lowered = {k.lower(): v for k, v in details.items()}
    values = {}
    for key, fixed in (("cpunumber", row.get("cpunumber")), ("cpuspeed", row.get("cpuspeed")), ("memory", row.get("memory"))):
        if fixed:
            values[key] = int(fixed)
            continue
        text = lowered.get(key)
        if text is None:
            raise errors.invalid_value("Need to specify custom parameter values cpu, cpu speed and memory when using "
                                       "custom offering")
        try:
            values[key] = int(text)
        except ValueError:
            raise errors.invalid_value(f"Invalid {key} value {text} for the custom offering") from None
    extra = row.get("details") or {}
    for key, label in (("cpunumber", "cpu"), ("memory", "memory")):
        low, high = extra.get(f"min{key}"), extra.get(f"max{key}")
        if low is not None and values[key] < int(low) or high is not None and values[key] > int(high):
            raise errors.invalid_value(f"Invalid {label} value, specify a value between {low} and {high}")
    if values["cpunumber"] < 1:
        raise errors.invalid_value("Invalid cpu cores value, specify a value between 1 and 2147483647")
    if values["memory"] < 32:
        raise errors.invalid_value("Invalid memory value, specify a value between 32 and 2147483647 MB")
    return values["cpunumber"], values["cpuspeed"], values["memory"]


def is_iso(row: dict) -> bool:
    return row.get("format") == "ISO"


def _download_seconds(profile: str) -> float:
    return DOWNLOAD_SECONDS.get(profile, DOWNLOAD_SECONDS["fast"])


def zone_progress(row: dict, zone_id: str, profile: str) -> int | None:
    """Percent downloaded in a zone (100 = ready), None when the template is not in that zone."""
    if zone_id not in (row.get("zoneids") or []):
        return None
    started = (row.get("zonestate") or {}).get(zone_id)
    if started is None:          # seeded / copied: ready from the start
        return 100
    total = _download_seconds(profile)
    if total <= 0:
        return 100
    return max(0, min(100, int((epoch() - started) * 100 / total)))


def template_ready_in(store, row: dict, zone_id: str, profile: str) -> bool:
    if row.get("removed"):
        return False
    return zone_progress(row, zone_id, profile) == 100


def shared_with(row: dict, account_id: str) -> bool:
    return account_id in (row.get("sharedaccounts") or [])


def can_use_template(ctx, row: dict, account: dict) -> bool:
    """May ``account`` deploy from / attach this template or ISO?"""
    if ctx.caller is not None and ctx.caller.is_root_admin:
        return True
    return (bool(row.get("ispublic")) or bool(row.get("isfeatured")) or row.get("accountid") == account["id"]
            or shared_with(row, account["id"]) or ctx.can_access(row))


def download_status(row: dict, percent: int) -> str:
    if percent >= 100:
        return "Successfully Installed" if is_iso(row) else "Download Complete"
    if percent >= 95:
        return "Installing ISO" if is_iso(row) else "Installing Template"
    if percent == 0:
        return "Allocated" if not row.get("url") else f"{percent}% Downloaded"
    return f"{percent}% Downloaded"


def render_template(ctx, row: dict, zone_id: str | None) -> dict:
    percent = zone_progress(row, zone_id, ctx.sim.profile) if zone_id else 100
    if percent is None:
        percent = 0
    ostype = ctx.store.get("ostype", row.get("ostypeid")) if row.get("ostypeid") else None
    out = {
        "id": row["id"], "name": row["name"], "displaytext": row.get("displaytext"), "ispublic": bool(row.get("ispublic")),
        "created": row.get("created"), "isready": percent >= 100, "passwordenabled": bool(row.get("passwordenabled")),
        "format": row.get("format"), "isfeatured": bool(row.get("isfeatured")), "crossZones": bool(row.get("crossZones")),
        "ostypeid": row.get("ostypeid"), "ostypename": ostype["description"] if ostype else None,
        "accountid": row.get("accountid"), "zoneid": zone_id, "zonename": zone_name(ctx.store, zone_id),
        "status": download_status(row, percent), "size": row.get("size") if percent >= 100 else None,
        "physicalsize": row.get("size") if percent >= 100 else None,
        "templatetype": row.get("templatetype"), "hypervisor": row.get("hypervisor"),
        "isextractable": bool(row.get("isextractable")), "checksum": row.get("checksum"),
        "sshkeyenabled": bool(row.get("sshkeyenabled")), "isdynamicallyscalable": bool(row.get("isdynamicallyscalable")),
        "bootable": row.get("bootable", True), "directdownload": bool(row.get("directdownload")),
        "deployasis": bool(row.get("deployasis")), "requireshvm": bool(row.get("requireshvm", True)),
        "templatetag": row.get("templatetag"), "sourcetemplateid": row.get("sourcetemplateid"),
        "url": row.get("url"), "details": row.get("details") or None, "bits": row.get("bits", 64),
        "hasannotations": False, "tags": ctx.tags_for(row["id"]),
        "downloaddetails": [{"datastore": _image_store_name(ctx, zone_id), "downloadPercent": str(percent),
                             "downloadState": "DOWNLOADED" if percent >= 100 else "DOWNLOAD_IN_PROGRESS"}] if zone_id else None,
    }
    if is_iso(row):
        for key in ("passwordenabled", "format", "hypervisor", "templatetype", "requireshvm", "deployasis"):
            out.pop(key, None)
    out.update(owner_fields(ctx, row))
    return out


def _image_store_name(ctx, zone_id: str | None) -> str | None:
    store_row = ctx.store.find_one("imagestore", zoneid=zone_id) if zone_id else None
    return store_row["name"] if store_row else None
