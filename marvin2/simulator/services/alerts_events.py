"""Alerts (the operator's notices) and the housekeeping of events: archive and delete.

Alerts are ``alert`` rows: ``type`` (AlertService.AlertType number), ``name``, ``description`` (the subject),
``zoneid``/``podid``, ``sent`` and ``archived``. Archived alerts and events stay in the store but no longer list
(CloudStack keeps them with ``archived=1``). An archived event also carries ``removed``, because listEvents
(apis/meta.py) lists through the generic list, which skips removed rows: that is what hides it there.

Archive/delete select as CloudStack's DAOs do: by ``ids``, ``type``, and the creation day between ``startdate``
and ``enddate`` (a bare ``enddate``: up to that day; the server reads a day's end as 23:59:59), among rows not
archived yet; events only among the accounts the caller may act for.
"""
from __future__ import annotations

import datetime as dt

from marvin2 import wire
from marvin2.simulator import errors
from marvin2.simulator.listing import in_domain_tree

# AlertService.AlertType of 4.20: (type number, name). Capacity alerts use the capacity type numbers.
ALERT_TYPES = (
    (0, "ALERT.MEMORY"), (1, "ALERT.CPU"), (2, "ALERT.STORAGE"), (3, "ALERT.STORAGE.ALLOCATED"),
    (4, "ALERT.NETWORK.PUBLICIP"), (10, "ALERT.NETWORK.IPV6SUBNET"), (5, "ALERT.NETWORK.PRIVATEIP"),
    (6, "ALERT.STORAGE.SECONDARY"), (7, "ALERT.COMPUTE.HOST"), (8, "ALERT.USERVM"),
    (9, "ALERT.SERVICE.DOMAINROUTER"), (10, "ALERT.SERVICE.CONSOLEPROXY"), (11, "ALERT.NETWORK.ROUTING"),
    (12, "ALERT.STORAGE.MISC"), (13, "ALERT.USAGE"), (14, "ALERT.MANAGEMENT"),
    (15, "ALERT.NETWORK.DOMAINROUTERMIGRATE"), (16, "ALERT.SERVICE.CONSOLEPROXYMIGRATE"),
    (17, "ALERT.USERVM.MIGRATE"), (18, "ALERT.NETWORK.VLAN"), (19, "ALERT.SERVICE.SSVM"),
    (20, "ALERT.USAGE.RESULT"), (21, "ALERT.STORAGE.DELETE"), (22, "ALERT.RESOURCE.COUNT"),
    (23, "ALERT.USAGE.SANITY"), (24, "ALERT.NETWORK.DIRECTPUBLICIP"), (25, "ALERT.STORAGE.LOCAL"),
    (26, "ALERT.RESOURCE.EXCEED"), (27, "ALERT.TYPE.SYNC"), (28, "ALERT.UPLOAD.FAILED"),
    (29, "ALERT.OOBM.AUTHERROR"), (30, "ALERT.HA.ACTION"), (31, "ALERT.CA.CERT"), (32, "ALERT.VM.SNAPSHOT"),
    (32, "ALERT.VR.PUBLIC.IFACE.MTU"), (32, "ALERT.VR.PRIVATE.IFACE.MTU"),
)


def default_alert_name(alert_type: int) -> str | None:
    """The name of the first default alert type with this number (AlertType.getAlertType)."""
    return next((name for number, name in ALERT_TYPES if number == alert_type), None)


def check_alert_type(alert_type: int, name: str) -> None:
    """A custom alert may not reuse a default type's number under another name."""
    default = default_alert_name(alert_type)
    if default is not None and default.lower() != name.lower():
        raise errors.invalid_value(f"There is a default alert having type {alert_type} and name {default}")


def record_alert(store, alert_type: int, name: str, description: str, zone_id: str | None,
                 pod_id: str | None) -> dict:
    return store.insert("alert", {"type": alert_type, "name": name, "description": description, "zoneid": zone_id,
                                  "podid": pod_id, "sent": wire.now_text(), "archived": False})


def live_alerts(store) -> list[dict]:
    """Alerts not archived, the most recently sent first (as listAlerts orders them)."""
    rows = [row for row in reversed(store.all("alert")) if not row.get("archived")]
    return sorted(rows, key=lambda row: row.get("sent", ""), reverse=True)   # stable: same second, newest first


def check_selection(ids, alert_type, start: dt.date | None, end: dt.date | None, *, what: str) -> None:
    """The checks of the archive/delete commands before they select anything."""
    if ids is None and alert_type is None and end is None:
        names = "ids, type, startdate or enddate" if what == "archive alerts" else "ids, type or enddate"
        raise errors.invalid_value(f"either {names} must be specified")
    if start is not None and end is None:
        raise errors.invalid_value("enddate must be specified with startdate parameter")


def select(rows: list[dict], ids, row_type, start: dt.date | None, end: dt.date | None, day_field: str) -> list[dict]:
    wanted = {i.lower() for i in ids} if ids is not None else None

    def chosen(row):
        day = str(row.get(day_field) or "")[:10]
        return ((wanted is None or row["id"] in wanted)
                and (row_type is None or str(row.get("type")) == str(row_type))
                and (end is None or day <= end.isoformat())
                and (start is None or day >= start.isoformat()))

    return [row for row in rows if chosen(row)]


def alerts_to_change(store, ids, alert_type, start, end) -> list[dict] | None:
    """The alerts an archive/delete acts on, or None when some of ``ids`` are not among them (the server's false)."""
    rows = select(live_alerts(store), ids, alert_type, start, end, "sent")
    if ids is not None and len(rows) < len(ids):
        return None
    return rows


def archive_alerts(store, rows: list[dict]) -> None:
    for row in rows:
        store.update("alert", row["id"], archived=True)


def delete_alerts(store, rows: list[dict]) -> None:
    for row in rows:
        store.delete("alert", row["id"])


def permitted_events(store, caller) -> list[dict]:
    """The events a caller may archive or delete: a user (or project) its account's; an admin those of the
    accounts in its domain subtree (a root admin: every event)."""
    rows = [row for row in store.all("event") if not row.get("archived")]
    if not caller.is_admin:
        return [row for row in rows if row.get("accountid") == caller.account_id]
    if caller.is_root_admin:
        return rows
    in_tree = in_domain_tree(store, caller.domain)
    return [row for row in rows if in_tree(row)]


def events_to_change(store, caller, ids, event_type, start, end) -> list[dict] | None:
    rows = select(permitted_events(store, caller), ids, event_type, start, end, "created")
    if ids is not None and len(rows) < len(ids):
        return None
    return rows


def archive_events(store, rows: list[dict]) -> None:
    stamp = wire.now_text()
    for row in rows:
        store.update("event", row["id"], archived=True, removed=stamp)


def delete_events(store, rows: list[dict]) -> None:
    for row in rows:
        store.delete("event", row["id"])
