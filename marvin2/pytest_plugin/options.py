"""Every command-line option and ini setting of the marvin2 plugin, in one place.

Other plugin modules read them through :func:`get_option`, which applies the
precedence command line > ini file > default, so that nobody re-implements
"is it in the ini too?" logic.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

GROUP = "marvin2"
DEFAULT_CONFIG = "configs/simulator.yaml"
CONFIG_ENV = "MARVIN2_CONFIG"  # the config path when no --marvin-config is given (before ini and default)
ACCOUNT_SCOPES = ("worker", "module")
CLEANUP_MODES = ("background", "inline")

# option dest -> (ini name, default); options without an ini twin are absent.
_INI_TWINS: dict[str, tuple[str, Any]] = {
    "marvin_config": ("marvin_config", DEFAULT_CONFIG),
    "marvin_zone": ("marvin_zone", None),
    "marvin_hypervisor": ("marvin_hypervisor", None),
    "marvin_account_scope": ("marvin_account_scope", "worker"),
    "marvin_results_dir": ("marvin_results_dir", None),
    "marvin_keep_resources": ("marvin_keep_resources", False),
    "marvin_cleanup": ("marvin_cleanup", "background"),
    "marvin_leak_check": ("marvin_leak_check", True),
    "marvin_serial_timeout": ("marvin_serial_timeout", 1800.0),
    "marvin_simulator_timeout": ("marvin_simulator_timeout", 60.0),
    "marvin_keep_runs": ("marvin_keep_runs", 20),
    "marvin_health_check": ("marvin_health_check", True),
    "marvin_max_transport_failures": ("marvin_max_transport_failures", 10),
    "marvin_slow_call_notice": ("marvin_slow_call_notice", 5.0),
}


def _true_false(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    # argparse turns this into "argument --required-hardware: invalid ... value"
    raise ValueError(text)


_true_false.__name__ = "true|false"  # what argparse prints in its error


def _account_scope(text: str) -> str:
    if text not in ACCOUNT_SCOPES:
        raise ValueError(text)
    return text


_account_scope.__name__ = "worker|module"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "marvin2 (CloudStack integration tests)")
    group.addoption(
        "--marvin-config",
        dest="marvin_config",
        metavar="PATH",
        default=None,
        help=f"marvin2 YAML config: the cloud to test, or `simulator:` to start the embedded one "
        f"(default: ini marvin_config, else {DEFAULT_CONFIG} under the rootdir).",
    )
    group.addoption("--zone", dest="marvin_zone", metavar="NAME", default=None,
                    help="zone to test in (overrides the config's `zone`).")
    group.addoption("--hypervisor", dest="marvin_hypervisor", metavar="NAME", default=None,
                    help="hypervisor under test, e.g. KVM (overrides the config's `hypervisor`).")
    group.addoption(
        "--tags",
        dest="marvin_tags",
        action="append",
        default=[],
        metavar="TAG[,TAG...]",
        help="select by tag, Marvin style: commas = all of, repeated --tags = any of, "
        "!tag = not. Example: --tags advanced,quick-test --tags vpc,!slow",
    )
    group.addoption(
        "--required-hardware",
        dest="marvin_required_hardware",
        type=_true_false,
        default=None,
        metavar="true|false",
        help="select tests by @pytest.mark.required_hardware (unmarked tests count as false).",
    )
    group.addoption("--simulator-profile", dest="marvin_simulator_profile", default=None,
                    choices=("instant", "fast", "realistic"),
                    help="timing profile of the embedded simulator (overrides the config's simulator.profile; "
                    "realistic = job durations of a real cloud, scaled down).")
    group.addoption("--run-id", dest="marvin_run_id", metavar="ID", default=None,
                    help="identifier of this run (default: generated; shared by all xdist workers).")
    group.addoption("--results-dir", dest="marvin_results_dir", metavar="DIR", default=None,
                    help="where this run writes its results (default: <rootdir>/.marvin2/runs/<run-id>).")
    group.addoption("--keep-resources", dest="marvin_keep_resources", action="store_true", default=None,
                    help="do not delete what the tests created (for debugging; see `marvin2 cleanup`).")
    group.addoption("--cleanup", dest="marvin_cleanup", choices=CLEANUP_MODES, default=None,
                    help="background (default): a test's resources are deleted while the next test runs; "
                         "inline: in the test's own teardown.")
    group.addoption("--no-leak-check", dest="marvin_leak_check", action="store_false", default=None,
                    help="skip the end-of-run check for resources left behind.")
    group.addoption("--no-health-check", dest="marvin_health_check", action="store_false", default=None,
                    help="do not check the cloud (reachable, keys, zone, test_data) before the first test.")
    group.addoption(
        "--account-scope",
        dest="marvin_account_scope",
        type=_account_scope,
        default=None,
        metavar="worker|module",
        help="one isolated test account per xdist worker (default) or per test module.",
    )

    parser.addini("marvin_config", f"marvin2 YAML config (default {DEFAULT_CONFIG})", default=None)
    parser.addini("marvin_zone", "zone to test in (overrides the config)", default=None)
    parser.addini("marvin_hypervisor", "hypervisor under test (overrides the config)", default=None)
    parser.addini("marvin_account_scope", "worker (default) or module", default=None)
    parser.addini("marvin_results_dir", "results directory (default .marvin2/runs/<run-id>)", default=None)
    parser.addini("marvin_keep_resources", "keep created resources (debugging)", type="bool", default=None)
    parser.addini("marvin_cleanup", "background (default) or inline: when a test's resources are deleted",
                  default=None)
    parser.addini("marvin_leak_check", "check for leaked resources at the end (default true)", type="bool",
                  default=None)
    parser.addini("marvin_serial_timeout",
                  "seconds a test waits for @serial exclusivity before failing (default 1800)", default=None)
    parser.addini("marvin_simulator_timeout",
                  "seconds to wait for the embedded simulator to be ready (default 60)", default=None)
    parser.addini("marvin_keep_runs",
                  "how many run folders to keep under .marvin2/runs (older ones are removed; default 20)", default=None)
    parser.addini("marvin_health_check", "check the cloud before the first test (default true)", type="bool",
                  default=None)
    parser.addini("marvin_max_transport_failures",
                  "stop the run after this many transport failures in a row (cloud down; default 10, 0 = never)",
                  default=None)
    parser.addini("marvin_slow_call_notice",
                  "print a notice when an API call waits longer than this many seconds (default 5, 0 = never)",
                  default=None)


def get_option(config: pytest.Config, dest: str) -> Any:
    """The value of a marvin2 option: command line, else ini, else default.

    ``dest`` is the option's dest name (``marvin_config``, ``marvin_zone``,
    ``marvin_account_scope``, ...). Raises ``pytest.UsageError`` for an ini
    value that does not parse.
    """
    value = config.getoption(dest, default=None)
    if value is not None and value != []:
        return value
    twin = _INI_TWINS.get(dest)
    if twin is None:
        return value
    ini_name, default = twin
    ini_value = config.getini(ini_name)
    if ini_value in (None, "", []):
        return default
    if dest == "marvin_account_scope" and ini_value not in ACCOUNT_SCOPES:
        raise pytest.UsageError(f"ini option marvin_account_scope = {ini_value!r}: expected worker or module")
    if dest == "marvin_cleanup" and ini_value not in CLEANUP_MODES:
        raise pytest.UsageError(f"ini option marvin_cleanup = {ini_value!r}: expected {' or '.join(CLEANUP_MODES)}")
    if dest == "marvin_max_transport_failures":
        try:
            return max(0, int(ini_value))
        except ValueError:
            raise pytest.UsageError(f"ini option {ini_name} = {ini_value!r}: expected a whole number") from None
    if dest == "marvin_keep_runs":
        try:
            return max(1, int(ini_value))
        except ValueError:
            raise pytest.UsageError(f"ini option {ini_name} = {ini_value!r}: expected a whole number of runs") from None
    if dest in ("marvin_serial_timeout", "marvin_simulator_timeout", "marvin_slow_call_notice"):
        try:
            return float(ini_value)
        except ValueError:
            raise pytest.UsageError(f"ini option {ini_name} = {ini_value!r}: expected a number of seconds") from None
    return ini_value


def config_path(config: pytest.Config) -> tuple[Path, bool]:
    """``(path, explicit)`` of the marvin2 YAML config.

    Precedence: ``--marvin-config``, then ``$MARVIN2_CONFIG``, then ini
    ``marvin_config``, then the default. Relative paths resolve against the
    invocation directory when given on the command line or in the
    environment, and against the rootdir when they come from the ini file or
    the default. ``explicit`` is False only for the built-in default.
    """
    cli_value = config.getoption("marvin_config", default=None)
    if cli_value:
        path = Path(cli_value).expanduser()
        return (path if path.is_absolute() else Path(config.invocation_params.dir) / path), True
    env_value = os.environ.get(CONFIG_ENV)  # tests outside the checkout: no rootdir config to fall back on
    if env_value:
        path = Path(env_value).expanduser()
        return (path if path.is_absolute() else Path(config.invocation_params.dir) / path), True
    ini_value = config.getini("marvin_config")
    raw = ini_value or DEFAULT_CONFIG
    path = Path(raw).expanduser()
    return (path if path.is_absolute() else Path(config.rootpath) / path), bool(ini_value)
