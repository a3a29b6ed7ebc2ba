"""Discovery fixtures: zone, domain, template, offerings, looked up ONCE per run.

Session fixtures run once per xdist worker; to look things up once per run,
the first worker to need an item takes a file lock in the run's shared
directory, looks it up and writes it as JSON; the others wait on the lock
and read the file. Names come from the config's ``test_data`` (defaults are
those of a CloudStack simulator zone); a miss fails the tests that need it
with a message listing what exists.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from typing import Any, Callable

import pytest
from filelock import FileLock, Timeout

from marvin2.client.record import Record
from marvin2.pytest_plugin.session import RunContext, zone_name
from marvin2.resources import lookup
from marvin2.resources.errors import ResourceNotFound

DEFAULT_NAMES = {
    "domain": "ROOT",
    "template": "CentOS 5.6 (64-bit) no GUI (Simulator)",
    "service_offering": "Small Instance",
    "disk_offering": "Small",
    "network_offering": "DefaultIsolatedNetworkOfferingWithSourceNatService",
    "vpc_offering": "Default VPC offering",
    "vpc_network_offering": "DefaultIsolatedNetworkOfferingForVpcNetworks",
}
DISCOVERY_DIRNAME = "discovery"
LOCK_TIMEOUT = 600.0  # seconds a worker waits for another worker's lookup
_SLUG = re.compile(r"[^a-z0-9]+")


def configured_name(config: Any, key: str) -> str:
    """``config.test_data[key]`` if set, else the simulator default."""
    data = getattr(config, "test_data", None) or {}
    value = data.get(key)
    return value if isinstance(value, str) and value else DEFAULT_NAMES[key]


def shared_once(context: RunContext, key: str, compute: Callable[[], Any], *, lock_timeout: float = LOCK_TIMEOUT) -> Any:
    """The value of ``compute()``, computed by one process of the run, shared through a JSON file.

    Each real computation is also appended to ``discovery/lookups.log``
    (worker, key), which shows that it happened once per run.
    """
    directory = context.shared_dir / DISCOVERY_DIRNAME
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    path = directory / f"{_SLUG.sub('-', key.lower()).strip('-')[:40]}-{digest}.json"
    try:
        with FileLock(str(path) + ".lock", timeout=lock_timeout):
            if path.exists():
                return Record.wrap(json.loads(path.read_text(encoding="utf-8")))
            value = compute()
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(value, default=str), encoding="utf-8")
            os.replace(tmp, path)
            with open(directory / "lookups.log", "a", encoding="utf-8") as log_file:
                log_file.write(json.dumps({"worker": context.worker_id, "key": key, "time": time.time()}) + "\n")
            return value
    except Timeout:
        raise RuntimeError(f"waited {lock_timeout:g}s for another worker to look up {key!r} "
                          f"(lock {path}.lock); is a worker stuck?") from None


def _discover(request: pytest.FixtureRequest, key: str, compute: Callable[[], Any]) -> Any:
    context = request.getfixturevalue("run_context")
    try:
        return shared_once(context, key, compute)
    except ResourceNotFound as error:
        message = f"marvin2 discovery: {error} (set test_data in {context.config_path})"
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def zone(request: pytest.FixtureRequest, cloud: Any) -> Any:
    """The zone under test: ``--zone``, else the config's ``zone``, else the only zone."""
    name = zone_name(request.config)

    def find() -> Any:
        try:
            return lookup.find_zone(cloud, name)
        except ResourceNotFound as error:
            raise ResourceNotFound(f"{error} (choose with --zone or `zone:` in the config)") from None

    return _discover(request, f"zone:{name or '*'}", find)


def zone_network_type(zone: Any, config: Any = None) -> str:
    """``"Basic"`` or ``"Advanced"``: the zone record's ``networktype``, else the config's ``zone_network_type``.

    The cloud's answer wins over the config's claim (``marvin2 verify-config``
    reports when they differ); the config only fills in for a zone record
    without the field. Neither: Advanced, CloudStack's usual zone.
    """
    for value in ((zone or {}).get("networktype"), getattr(config, "zone_network_type", None)):
        if isinstance(value, str) and value.strip():
            return "Basic" if value.strip().lower() == "basic" else "Advanced"
    return "Advanced"


def is_basic_zone(zone: Any, config: Any = None) -> bool:
    return zone_network_type(zone, config) == "Basic"


@pytest.fixture(scope="session")
def domain(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any) -> Any:
    """The domain test accounts are created in (test_data ``domain``, default ROOT)."""
    path = configured_name(marvin2_config, "domain")
    return _discover(request, f"domain:{path}", lambda: lookup.find_domain(cloud, path))


@pytest.fixture(scope="session")
def template(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any, zone: Any) -> Any:
    """A ready template to deploy VMs from (test_data ``template``)."""
    name = configured_name(marvin2_config, "template")
    return _discover(request, f"template:{zone['id']}:{name}", lambda: lookup.find_template(cloud, name, zone["id"]))


@pytest.fixture(scope="session")
def service_offering(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any) -> Any:
    """A small service offering (test_data ``service_offering``, default Small Instance)."""
    name = configured_name(marvin2_config, "service_offering")
    return _discover(request, f"service_offering:{name}", lambda: lookup.find_service_offering(cloud, name))


@pytest.fixture(scope="session")
def disk_offering(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any) -> Any:
    """A disk offering for data volumes (test_data ``disk_offering``, default Small)."""
    name = configured_name(marvin2_config, "disk_offering")
    return _discover(request, f"disk_offering:{name}", lambda: lookup.find_disk_offering(cloud, name))


@pytest.fixture(scope="session")
def network_offering(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any, zone: Any) -> Any:
    """The isolated network offering (test_data ``network_offering``)."""
    name = configured_name(marvin2_config, "network_offering")
    return _discover(request, f"network_offering:{name}", lambda: lookup.find_network_offering(cloud, name))


@pytest.fixture(scope="session")
def vpc_offering(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any) -> Any:
    """The VPC offering (test_data ``vpc_offering``, default "Default VPC offering")."""
    name = configured_name(marvin2_config, "vpc_offering")
    return _discover(request, f"vpc_offering:{name}", lambda: lookup.find_vpc_offering(cloud, name))


@pytest.fixture(scope="session")
def vpc_network_offering(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any) -> Any:
    """The network offering for VPC tiers (test_data ``vpc_network_offering``)."""
    name = configured_name(marvin2_config, "vpc_network_offering")
    return _discover(request, f"vpc_network_offering:{name}", lambda: lookup.find_network_offering(cloud, name))


@pytest.fixture(scope="session")
def basic_zone_network(request: pytest.FixtureRequest, cloud: Any, marvin2_config: Any, zone: Any) -> Any:
    """The Basic zone's guest network (shared, security groups), the one VMs of the zone are deployed into.

    Only for Basic zones: in an Advanced zone the test fails with a message
    saying so (mark such tests ``zone_type("Basic")``).
    """
    if not is_basic_zone(zone, marvin2_config):
        pytest.fail(f"basic_zone_network: zone {zone.get('name')!r} is an Advanced zone "
                    "(mark the test zone_type('Basic'))", pytrace=False)
    return _discover(request, f"basic_zone_network:{zone['id']}", lambda: lookup.find_basic_zone_network(cloud, zone["id"]))
