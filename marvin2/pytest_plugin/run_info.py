"""Which cloud this run is about: the terminal header and ``<results>/run.json``.

The header names the config file, endpoint, CloudStack version, zone,
hypervisor and run id, so that nobody has to guess which cloud a run is
testing. For a real cloud the version comes from the health check
(cloud_health.py), done here once for the run, before collection (it is
cached in the run's shared directory, so the workers do not ask again); the
embedded simulator is not started just for the header.

``run.json`` (marvin2/run_record.py) lets ``marvin2 cleanup --run-id`` find
the run's cloud and refuse another one.
"""
from __future__ import annotations

import pytest

from marvin2.pytest_plugin.session import (
    MarvinSessionError, hypervisor_name, marvin_config_of, run_context_of, uses_simulator, zone_name,
)


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _information_only(config: pytest.Config) -> bool:
    option = config.option
    return any(getattr(option, name, False) for name in ("help", "version", "markers", "showfixtures"))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not _is_controller(config) or _information_only(config):
        return
    from marvin2.run_record import write_run_record

    try:
        context = run_context_of(config)
        write_run_record(context.results_dir, run_id=context.run_id, config_path=context.config_path,
                         config=marvin_config_of(config))
    except (MarvinSessionError, OSError):
        return  # no config: the fixtures say so; no results dir: nothing to record in


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _information_only(config):
        return []
    try:
        context = run_context_of(config)
        cfg = marvin_config_of(config)
        simulated = uses_simulator(config)
        zone, hypervisor = zone_name(config), hypervisor_name(config)
    except MarvinSessionError as error:
        return [f"marvin2: {error}"]
    from marvin2.run_record import cloud_identity

    endpoint = ", ".join(cloud_identity(cfg)["endpoints"])
    version = "(asked when the simulator starts)" if simulated else _version(config)
    return [f"marvin2: config {context.config_path}",
            f"marvin2: endpoint {endpoint}, CloudStack {version}, zone {zone or '(the only one)'}, "
            f"hypervisor {hypervisor or '?'}, run id {context.run_id}"]


def _version(config: pytest.Config) -> str:
    from marvin2.pytest_plugin.cloud_health import verdict_once
    from marvin2.pytest_plugin.options import get_option

    try:
        result = verdict_once(config) if get_option(config, "marvin_health_check") else None
    except Exception as error:  # noqa: BLE001 - the header must never break the run
        return f"unknown ({type(error).__name__})"
    if result is None:
        return "unknown"
    if not result.get("ok"):
        return f"unknown ({result.get('kind') or 'not usable'})"
    return result.get("version") or "unknown"
