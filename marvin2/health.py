"""One health check of the configured cloud, before any test needs it.

A wrong port, a wrong key or a server that is down used to surface as one
identical traceback per test (thousands of lines) and a run that went on
for minutes. :func:`check_cloud` asks the cloud a handful of read-only
questions in order, stops at the first thing that is wrong and says, in one
message, which endpoint, what failed and what to do:

1. reachable: ``listCapabilities`` answers (refused / timed out / TLS / DNS);
2. credentials accepted (401: names the first characters of the API key only);
3. the CloudStack version;
4. the zone of the config exists;
5. every name in ``test_data`` (template, offerings) exists.

Both the pytest plugin (before the first test) and ``marvin2 verify-config``
use it. It never raises for a cloud problem: the result says what happened.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Health", "check_cloud", "describe_failure", "key_hint", "TEST_DATA_LOOKUPS"]

# test_data key -> (what it is, lookup function name in marvin2.resources.lookup)
TEST_DATA_LOOKUPS: dict[str, tuple[str, str]] = {
    "template": ("template", "find_template"),
    "service_offering": ("service offering", "find_service_offering"),
    "service_offering_large": ("service offering", "find_service_offering"),
    "disk_offering": ("disk offering", "find_disk_offering"),
    "network_offering": ("network offering", "find_network_offering"),
    "vpc_offering": ("VPC offering", "find_vpc_offering"),
    "vpc_network_offering": ("network offering", "find_network_offering"),
    "domain": ("domain", "find_domain"),
}

# How much time the check allows itself: a run should fail in seconds, not minutes.
CHECK_CONNECT_TIMEOUT = 5.0
CHECK_READ_TIMEOUT = 30.0


@dataclass
class Health:
    """What the check found. ``problem`` is None when the cloud is usable."""

    endpoint: str
    config_path: str = ""
    version: str | None = None
    zone: str | None = None
    hypervisor: str | None = None
    problem: str | None = None     # what failed, e.g. "connection refused"
    advice: str | None = None      # what to do about it
    kind: str | None = None        # unreachable | timeout | tls | credentials | zone | test_data | error
    found: dict[str, str] = field(default_factory=dict)  # test_data key -> id

    @property
    def ok(self) -> bool:
        return self.problem is None

    def message(self) -> str:
        """The one message a user sees when the check failed."""
        where = f"{self.endpoint}" + (f" (config {self.config_path})" if self.config_path else "")
        text = f"marvin2: the cloud at {where} is not usable: {self.problem}"
        if self.advice:
            text += f". {self.advice}"
        return text


def key_hint(api_key: str | None) -> str:
    """The first characters of an API key, enough to tell which key it was, never the key."""
    if not api_key:
        return "(none)"
    return f"'{api_key[:4]}...'" if len(api_key) > 8 else "'...'"


def describe_failure(error: BaseException, endpoint: str, api_key: str | None, config_path: str = "") -> tuple[str, str, str]:
    """(kind, problem, advice) for an exception raised while talking to the cloud."""
    from marvin2.client.errors import CloudStackError, ListApisDenied, TransportError

    where = f" in {config_path}" if config_path else ""
    if isinstance(error, CloudStackError) and (error.errorcode == 401 or getattr(error, "http_status", None) == 401):
        return ("credentials", f"the server refused the credentials (401) of API key {key_hint(api_key)}",
                f"Check api_key/secret_key of management_servers{where} (and the clock of this machine: "
                "signed requests expire)")
    if isinstance(error, ListApisDenied):
        return ("credentials", f"the account of API key {key_hint(api_key)} may not call listApis",
                f"Use an admin's keys in management_servers{where}")
    if isinstance(error, TransportError):
        reason = error.reason
        lowered = reason.lower()
        if "refused" in lowered:
            return ("unreachable", "connection refused",
                    f"Is the management server running, and are the host and port of its url{where} right?")
        if "read timeout" in lowered or "no answer" in lowered:
            return ("timeout", f"the server accepted the connection but did not answer ({reason})",
                    "The management server may be starting or overloaded; try again, or raise timeouts.read")
        if "timed out" in lowered or "timeout" in lowered:
            return ("timeout", f"connecting timed out ({reason})",
                    f"Check the host, port and firewall of the url{where}")
        if "tls" in lowered or "ssl" in lowered or "certificate" in lowered:
            return ("tls", reason, f"Check verify/ca_bundle/client_cert of management_servers{where}")
        if "name or service not known" in lowered or "nodename nor servname" in lowered or "resolve" in lowered:
            return ("unreachable", f"the host name does not resolve ({reason})", f"Check the url{where}")
        return ("unreachable", reason, f"Check the url{where} and that the management server runs")
    if isinstance(error, CloudStackError):
        return ("error", f"{error.command} answered errorcode {error.errorcode}: {error.errortext}",
                "See the management server's log")
    return ("error", f"{type(error).__name__}: {error}", "")


def check_cloud(connect: Callable[[], Any], *, endpoint: str, api_key: str | None, zone: str | None,
                test_data: dict | None, config_path: str = "", hypervisor: str | None = None) -> Health:
    """Run the checks in order; the first failure ends them.

    ``connect()`` gives an API client of the cloud (it asks listCapabilities
    and listApis, so unreachable servers and rejected keys show up there).
    """
    from marvin2.resources import lookup
    from marvin2.resources.errors import ResourceNotFound

    health = Health(endpoint=endpoint, config_path=config_path, hypervisor=hypervisor)

    def failed(error: BaseException) -> Health:
        health.kind, health.problem, health.advice = describe_failure(error, endpoint, api_key, config_path)
        return health

    try:
        api = connect()
    except Exception as error:  # noqa: BLE001 - every failure becomes the one message
        return failed(error)
    try:
        try:
            answer = api.call("listCapabilities", {})
            if isinstance(answer, list):  # the client unwraps the single "capability" record
                answer = answer[0] if answer else {}
            if isinstance(answer, dict) and isinstance(answer.get("capability"), dict):
                answer = answer["capability"]
            health.version = str((answer or {}).get("cloudstackversion") or "") or None
        except Exception as error:  # noqa: BLE001
            return failed(error)
        where = f" (set `zone:` in {config_path}, or --zone)" if config_path else ""
        try:
            found_zone = lookup.find_zone(api, zone)
        except ResourceNotFound as error:
            health.kind, health.problem, health.advice = "zone", str(error), f"Choose an existing zone{where}"
            return health
        except Exception as error:  # noqa: BLE001
            return failed(error)
        health.zone = found_zone.get("name")
        for key, wanted in (test_data or {}).items():
            if key not in TEST_DATA_LOOKUPS or not isinstance(wanted, str) or not wanted:
                continue
            what, function = TEST_DATA_LOOKUPS[key]
            finder = getattr(lookup, function)
            try:
                if function in ("find_template", "find_network_offering"):
                    record = finder(api, wanted, found_zone.get("id"))
                else:
                    record = finder(api, wanted)
            except ResourceNotFound as error:
                health.kind = "test_data"
                health.problem = f"test_data {key} names a {what} the cloud does not have: {error}"
                health.advice = f"Fix test_data.{key}" + (f" in {config_path}" if config_path else "")
                return health
            except Exception as error:  # noqa: BLE001
                return failed(error)
            health.found[key] = str(record.get("id") or "")
        return health
    finally:
        try:
            api.close()
        except Exception:  # noqa: BLE001 - closing must not hide the result
            pass
