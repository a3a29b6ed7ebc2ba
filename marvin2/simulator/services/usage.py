"""Usage (the usage server's job and UsageServiceImpl's queries), computed from the simulator's own rows.

``generateUsageRecords`` runs the usage job at once: it covers the time from the previous job's end (or
the oldest resource's creation) to now, cut at the aggregation boundaries of
``usage.stats.job.aggregation.range`` (minutes, from UTC midnight), and writes one ``usagerecord`` per
resource and period it existed in, with the usage type ids and descriptions of UsageTypes.java and the
parsers' "<hours> Hrs" display. Resource lifetimes come from the rows (``created``, ``removed``); a VM's
running time from its VM.START / VM.STOP / VM.DESTROY / VM.EXPUNGE events (a VM whose first such event is
a stop, or that has none and runs, was started at deploy). Rows deleted outright leave no usage, and
descriptions name resources by uuid where CloudStack prints internal ids.
"""
from __future__ import annotations

import datetime as dt
import re

from marvin2 import wire
from marvin2.simulator import errors, facts

RUNNING_VM, ALLOCATED_VM, IP_ADDRESS, VOLUME, TEMPLATE, ISO, SNAPSHOT, VM_SNAPSHOT, NETWORK, VPC = (
    1, 2, 3, 6, 7, 8, 9, 25, 30, 31)

# UsageTypes.listUsageTypes(): id, name, description.
USAGE_TYPES = (
    (1, "RUNNING_VM", "Running Vm Usage"), (2, "ALLOCATED_VM", "Allocated Vm Usage"),
    (3, "IP_ADDRESS", "IP Address Usage"), (4, "NETWORK_BYTES_SENT", "Network Usage (Bytes Sent)"),
    (5, "NETWORK_BYTES_RECEIVED", "Network Usage (Bytes Received)"), (6, "VOLUME", "Volume Usage"),
    (7, "TEMPLATE", "Template Usage"), (8, "ISO", "ISO Usage"), (9, "SNAPSHOT", "Snapshot Usage"),
    (10, "SECURITY_GROUP", "Security Group Usage"), (11, "LOAD_BALANCER_POLICY", "Load Balancer Usage"),
    (12, "PORT_FORWARDING_RULE", "Port Forwarding Usage"), (13, "NETWORK_OFFERING", "Network Offering Usage"),
    (14, "VPN_USERS", "VPN users usage"), (21, "VM_DISK_IO_READ", "VM Disk usage(I/O Read)"),
    (22, "VM_DISK_IO_WRITE", "VM Disk usage(I/O Write)"), (23, "VM_DISK_BYTES_READ", "VM Disk usage(Bytes Read)"),
    (24, "VM_DISK_BYTES_WRITE", "VM Disk usage(Bytes Write)"), (25, "VM_SNAPSHOT", "VM Snapshot storage usage"),
    (26, "VOLUME_SECONDARY", "Volume on secondary storage usage"),
    (27, "VM_SNAPSHOT_ON_PRIMARY", "VM Snapshot on primary storage usage"), (28, "BACKUP", "Backup storage usage"),
    (29, "BUCKET", "Bucket storage usage"), (30, "NETWORK", "Network usage"), (31, "VPC", "VPC usage"))

_LAST_END = "usage.last.end"
_UTC = dt.timezone.utc


# --- dates as CloudStack's API takes them --------------------------------------------------------------


def parse_api_date(text: str, *, end: bool) -> dt.datetime:
    """A DATE parameter: "yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-dd" (00:00:00 for a start,
    23:59:59 for an end); without a zone, the server's zone (the simulator's is UTC). The request pipeline has
    already refused what Java cannot parse; like Java's lenient SimpleDateFormat, month 13 is January of the next
    year and day 32 the first of the next month."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}", text):
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    match = re.match(r"(\d+)-(\d+)-(\d+)(?: (\d+):(\d+):(\d+))?", text)
    if match is None:
        raise errors.param_error(f"Unable to parse date {text} for command listusagerecords, please pass dates in "
                                 "the format mentioned in the api documentation")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    first = dt.datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=_UTC)
    moment = first + dt.timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second)
    if match.group(4) is None and end:
        return moment.replace(hour=23, minute=59, second=59)
    return moment


def setting(config, name: str) -> str | None:
    """A setting's value, or its 4.20 default when the simulator's settings table lacks it."""
    known = facts.settings().get(name)
    return config(name, known.default if known else None)


def _ts(text: str | None) -> float | None:
    return wire.parse_tzdate(text).timestamp() if text else None


def _fmt(ts: float) -> str:
    return wire.format_tzdate(dt.datetime.fromtimestamp(ts, _UTC))


# --- the usage job -------------------------------------------------------------------------------------


def _periods(start: float, end: float, range_minutes: int) -> list[tuple[float, float]]:
    """[start, end) cut at aggregation boundaries (multiples of the range from UTC midnight)."""
    step = max(1, range_minutes) * 60
    midnight = dt.datetime.fromtimestamp(start, _UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    out, cursor = [], start
    boundary = midnight + ((start - midnight) // step + 1) * step
    while cursor < end:
        stop = min(boundary, end)
        out.append((cursor, stop))
        cursor, boundary = stop, boundary + step
    return out


def _overlap(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in intervals)


def _running_intervals(store, vm: dict, now: float) -> list[tuple[float, float]]:
    events = [e for e in store.find("event", resourceid=vm["id"])
              if e.get("type") in ("VM.START", "VM.STOP", "VM.DESTROY", "VM.EXPUNGE")]
    created = _ts(vm.get("created")) or now
    starts_running = (events[0]["type"] != "VM.START") if events else vm.get("state") == "Running"
    out, since = [], created if starts_running else None
    for event in events:
        at = _ts(event.get("created")) or now
        if event["type"] == "VM.START":
            since = at if since is None else since
        elif since is not None:
            out.append((since, at))
            since = None
    if since is not None and vm.get("state") == "Running":
        out.append((since, now))
    return out


def _lifetime(row: dict, now: float) -> list[tuple[float, float]]:
    start = _ts(row.get("created")) or now
    end = _ts(row.get("removed")) or now
    return [(start, end)] if end > start else []


def _sources(store, now: float) -> list[dict]:
    """Every resource that can bill: its type, owner, zone, lifetime intervals and record fields."""
    out = []
    for vm in store.all("virtualmachine"):
        if not vm.get("accountid"):
            continue
        common = {"accountid": vm["accountid"], "domainid": vm.get("domainid"), "zoneid": vm.get("zoneid"),
                  "usageid": vm["id"], "virtualmachineid": vm["id"], "name": vm.get("name"),
                  "offeringid": vm.get("serviceofferingid"), "templateid": vm.get("templateid"),
                  "cpunumber": vm.get("cpunumber"), "cpuspeed": vm.get("cpuspeed"), "memory": vm.get("memory"),
                  "type": vm.get("hypervisor")}
        tail = f" (ServiceOffering: {vm.get('serviceofferingid')}) (Template: {vm.get('templateid')})"
        end = vm.get("removed") or (vm.get("expunged") if isinstance(vm.get("expunged"), str) else None)
        out.append({**common, "usagetype": ALLOCATED_VM, "description": f"{vm.get('name')} allocated{tail}",
                    "intervals": _lifetime({"created": vm.get("created"), "removed": end}, now)})
        out.append({**common, "usagetype": RUNNING_VM, "description": f"{vm.get('name')} running time{tail}",
                    "intervals": _running_intervals(store, vm, now)})
    for vol in store.all("volume"):
        if not vol.get("accountid"):
            continue
        desc = f"Volume Id: {vol['id']} usage time"
        if vol.get("templateid"):
            desc += f" (Template: {vol['templateid']})"
        elif vol.get("diskofferingid"):
            desc += f" (DiskOffering: {vol['diskofferingid']})"
        out.append({"usagetype": VOLUME, "accountid": vol["accountid"], "domainid": vol.get("domainid"),
                    "zoneid": vol.get("zoneid"), "usageid": vol["id"], "size": vol.get("size"), "description": desc,
                    "intervals": _lifetime(vol, now), "virtualmachineid": vol.get("virtualmachineid"),
                    "templateid": vol.get("templateid"), "offeringid": vol.get("diskofferingid")})
    for ip in store.all("publicipaddress"):
        if not ip.get("accountid") or not ip.get("allocated") or ip.get("state") not in ("Allocated", "Releasing"):
            continue
        out.append({"usagetype": IP_ADDRESS, "accountid": ip["accountid"], "domainid": ip.get("domainid"),
                    "zoneid": ip.get("zoneid"), "usageid": ip["id"], "description": f"IPAddress: {ip['ipaddress']}",
                    "issourcenat": bool(ip.get("issourcenat")), "issystem": False,
                    "intervals": _lifetime({"created": ip["allocated"]}, now)})
    system_accounts = {a["id"] for a in store.all("account") if a.get("accounttype") == 1 and a.get("name") == "system"}
    for tpl in store.all("template"):
        if not tpl.get("accountid") or tpl.get("templatetype") in ("BUILTIN", "SYSTEM") or tpl["accountid"] in system_accounts:
            continue
        is_iso = (tpl.get("format") or "").upper() == "ISO"
        size = tpl.get("size") or 0
        for zone_id in tpl.get("zoneids") or [tpl.get("zoneid")]:
            out.append({"usagetype": ISO if is_iso else TEMPLATE, "accountid": tpl["accountid"],
                        "domainid": tpl.get("domainid"), "zoneid": zone_id, "usageid": tpl["id"], "size": size,
                        "templateid": tpl["id"], "intervals": _lifetime(tpl, now),
                        "description": f"{'ISO' if is_iso else 'Template'} Id:{tpl['id']} Size:{size}"})
    for snap in store.all("snapshot"):
        if not snap.get("accountid"):
            continue
        size = snap.get("physicalsize") or snap.get("size") or 0
        out.append({"usagetype": SNAPSHOT, "accountid": snap["accountid"], "domainid": snap.get("domainid"),
                    "zoneid": snap.get("zoneid"), "usageid": snap["id"], "size": size, "intervals": _lifetime(snap, now),
                    "description": f"Snapshot Id:{snap['id']} Size:{size}"})
    for vmsnap in store.all("vmsnapshot"):
        if not vmsnap.get("accountid"):
            continue
        out.append({"usagetype": VM_SNAPSHOT, "accountid": vmsnap["accountid"], "domainid": vmsnap.get("domainid"),
                    "zoneid": vmsnap.get("zoneid"), "usageid": vmsnap["id"], "intervals": _lifetime(vmsnap, now),
                    "virtualmachineid": vmsnap.get("virtualmachineid"),
                    "description": f"VMSnapshot Id: {vmsnap['id']} Usage: VM Id: {vmsnap.get('virtualmachineid')}"})
    for net in store.all("network"):
        if not net.get("accountid") or net.get("issystem"):
            continue
        out.append({"usagetype": NETWORK, "accountid": net["accountid"], "domainid": net.get("domainid"),
                    "zoneid": net.get("zoneid"), "usageid": net["id"], "networkid": net["id"],
                    "offeringid": net.get("networkofferingid"), "intervals": _lifetime(net, now),
                    "description": f"Network usage for network ID: {net['id']}, network offering: "
                                   f"{net.get('networkofferingid')}"})
    for vpc in store.all("vpc"):
        if not vpc.get("accountid"):
            continue
        out.append({"usagetype": VPC, "accountid": vpc["accountid"], "domainid": vpc.get("domainid"),
                    "zoneid": vpc.get("zoneid"), "usageid": vpc["id"], "vpcid": vpc["id"],
                    "intervals": _lifetime(vpc, now), "description": f"VPC usage for VPC ID: {vpc['id']}"})
    return out


def generate(store, config, now: float) -> int:
    """Run the usage job up to ``now``; the number of records written."""
    sources = _sources(store, now)
    last_end = store.get_meta(_LAST_END)
    if last_end is None:
        starts = [a for s in sources for a, _ in s["intervals"]]
        last_end = min(starts) if starts else now
    try:
        range_minutes = int(setting(config, "usage.stats.job.aggregation.range") or 1440)
    except ValueError:
        range_minutes = 1440
    written = 0
    for lo, hi in _periods(last_end, now, range_minutes):
        for source in sources:
            seconds = _overlap(source["intervals"], lo, hi)
            if seconds <= 0:
                continue
            hours = seconds / 3600.0
            fields = {k: v for k, v in source.items() if k != "intervals" and v is not None}
            store.insert("usagerecord", {**fields, "rawusage": hours, "usage": f"{display_hours(hours)} Hrs",
                                         "startdate": _fmt(lo), "enddate": _fmt(hi - 1), "start_ts": lo, "end_ts": hi})
            written += 1
    store.set_meta(_LAST_END, now)
    return written


def display_hours(hours: float) -> str:
    """DecimalFormat("#.######")."""
    text = f"{hours:.6f}".rstrip("0").rstrip(".")
    return text or "0"


# --- queries ---------------------------------------------------------------------------------------------


def check_dates(start: dt.datetime, end: dt.datetime) -> None:
    if start > end:
        raise errors.invalid_value(f"Incorrect Date Range. Start date: {_java_date(start)} is after end date:"
                                   f"{_java_date(end)}")


def _java_date(moment: dt.datetime) -> str:
    """java.util.Date.toString() in UTC."""
    return moment.astimezone(_UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def records_between(store, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Records whose period overlaps [start, end], in the order the job wrote them."""
    lo, hi = start.timestamp(), end.timestamp()
    return [r for r in store.all("usagerecord") if r["start_ts"] <= hi and r["end_ts"] > lo]


def remove_raw(store, config, interval_days: int, now: float) -> bool:
    """removeRawUsageRecords: drop records older than ``interval_days``; False within 15 minutes of the job's
    daily execution time (``usage.stats.job.exec.time``, HH:MM in UTC)."""
    if interval_days is None or interval_days <= 0:
        raise errors.invalid_value("Invalid interval value. Interval to remove cloud_usage records should be greater than 0")
    exec_time = setting(config, "usage.stats.job.exec.time")
    if exec_time and re.fullmatch(r"\d{1,2}:\d{1,2}", exec_time):
        hour, minute = (int(x) for x in exec_time.split(":"))
        today = dt.datetime.fromtimestamp(now, _UTC).replace(hour=hour % 24, minute=minute % 60, second=0, microsecond=0)
        if abs(now - today.timestamp()) < 15 * 60:
            return False
    cutoff = now - interval_days * 86400
    for row in store.all("usagerecord"):
        if row["end_ts"] <= cutoff:
            store.delete("usagerecord", row["id"])
    return True
