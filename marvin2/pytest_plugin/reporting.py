"""Reports: allure steps and labels, allure environment/categories, terminal summary.

- With ``--alluredir``, every API call made through ``session.connect_api``
  becomes an allure step (command, masked parameters, duration, response
  attached as masked JSON), every waited async job a step with its job id;
  a test's tags become allure ``tag`` labels and its category tags
  ``feature`` labels (story: the test module). The controller writes
  ``environment.properties`` and ``categories.json`` once, at the end.
- On the controller (or the only process), the terminal summary shows
  outcomes per tag, the slowest tests, leaks reported by the ledger in
  ``<results_dir>/leaks.json``, and where the results are.
"""
from __future__ import annotations

import json
import platform
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

import pytest

from marvin2 import wire
from marvin2.pytest_plugin import vocabulary
from marvin2.pytest_plugin.background_cleanup import BackgroundJob, cleaner_of, current_job
from marvin2.pytest_plugin.markers import item_tags
from marvin2.pytest_plugin.serial import WAIT_PROPERTY
from marvin2.pytest_plugin.session import (
    RUN_CONTEXT,
    MarvinSessionError,
    add_api_listener,
    admin_api,
    cloud_started,
    hypervisor_name,
    marvin_config_of,
    run_context_of,
    zone_name,
)

__all__ = ["LEAKS_FILE", "mask_deep", "AllureApiSteps", "environment_properties", "CATEGORIES"]

LEAKS_FILE = "leaks.json"
_MAX_ATTACHMENT = 256 * 1024
_OUTCOMES = pytest.StashKey["_Outcomes"]()


# --- masking -------------------------------------------------------------------------


def mask_deep(value: Any) -> Any:
    """``wire.mask_secrets`` applied at every level of a JSON-like structure."""
    if isinstance(value, Mapping):
        return {k: mask_deep(v) for k, v in wire.mask_secrets(value).items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(v) for v in value]
    return value


def _public_endpoint(url: str | None) -> str:
    """The endpoint without user info or query (credentials never reach reports)."""
    if not url:
        return "unknown"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# --- allure steps from client events -----------------------------------------------------


def _allure_listener(config: pytest.Config):
    return config.pluginmanager.get_plugin("allure_listener")


def _alluredir(config: pytest.Config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)


class AllureApiSteps:
    """Client listener turning CallEvent/JobEvent into allure steps of the running test.

    Events arrive after the fact, so each step is created with its real start
    (now - duration) and stop times. Calls the client makes for itself
    (``internal``: login, listApis, job polls) are left out; the job step
    stands for its polls. Events outside any test or fixture are dropped.
    """

    def __init__(self, config: pytest.Config):
        self.config = config
        # allure's reporter is not thread-safe; tests may call APIs from threads.
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        if getattr(event, "internal", False):
            return
        job = current_job()
        if job is not None:
            # A background cleanup (background_cleanup.py): the running test is another one. Kept, and written
            # when the cleanup is waited for, under a step of its own (replay_background_job).
            job.events.append((time.time(), event))
            return
        listener = _allure_listener(self.config)
        if listener is None:
            return
        with self._lock:
            self._event_step(listener.allure_logger, event)

    def replay_background_job(self, job: BackgroundJob) -> None:
        """Write a finished background cleanup's calls as one step of the test or fixture that waited for it."""
        listener = _allure_listener(self.config)
        if listener is None or not job.events:
            return
        from allure_commons.model2 import TestStepResult
        from allure_commons.utils import uuid4

        reporter = listener.allure_logger
        with self._lock:
            parent = uuid4()
            first = min(when - getattr(event, "duration", 0.0) for when, event in job.events)
            reporter.start_step(None, parent, TestStepResult(name=f"background cleanup of {job.node_id}",
                                                             start=int(first * 1000)))
            if reporter.get_item(parent) is None:
                reporter.stop_step(parent)  # waited for outside any test or fixture: nothing to attach it to
                return
            for when, event in job.events:
                self._event_step(reporter, event, stop=int(when * 1000))
            last = max(when for when, _ in job.events)
            # A failed call inside may be a delete of something already gone (success): the job's outcome decides.
            failed = job.done() and job.future.exception() is not None
            reporter.stop_step(parent, stop=int(last * 1000), status="failed" if failed else "passed")

    def _event_step(self, reporter, event, stop: int | None = None) -> None:
        """One client event as a step (``stop``: when it ended, for events written after the fact)."""
        if hasattr(event, "jobid") and not hasattr(event, "params_masked"):
            self._job_step(reporter, event, stop)
        else:
            self._call_step(reporter, event, stop)

    def _call_step(self, reporter, event, stop: int | None = None) -> None:
        params = mask_deep(dict(event.params_masked or {}))
        for name in list(params):
            if name.lower() in _WIRE_ONLY_PARAMS:
                del params[name]
        parameters = {name: _text(value) for name, value in sorted(params.items())}
        parameters["endpoint"] = _public_endpoint(event.endpoint)
        if event.status is not None:
            parameters["http status"] = str(event.status)
        title = f"{event.command} ({event.duration * 1000:.0f} ms)"
        error = event.error
        if error is None and event.status is not None and event.status >= 400:
            error = _HttpErrorStatus(event.status, event.response)
        self._step(reporter, title, parameters, event.duration, error, event.response, "response", stop)

    def _job_step(self, reporter, event, stop: int | None = None) -> None:
        parameters = {"job id": str(event.jobid), "status": str(event.status),
                      "duration": f"{event.duration:.2f} s"}
        title = f"async job {event.command or ''} {event.jobid}: {event.status} ({event.duration:.2f} s)".replace("  ", " ")
        self._step(reporter, title, parameters, event.duration, event.error, event.result, "job result", stop)

    def _step(self, reporter, title: str, parameters: dict, duration: float, error, body, body_name: str,
              stop: int | None = None) -> None:
        from allure_commons.model2 import Parameter, StatusDetails, TestStepResult
        from allure_commons.types import AttachmentType
        from allure_commons.utils import now, uuid4

        stop = now() if stop is None else stop
        step = TestStepResult(name=title, start=stop - int(duration * 1000),
                              parameters=[Parameter(name=k, value=v) for k, v in parameters.items()])
        step_uuid = uuid4()
        reporter.start_step(None, step_uuid, step)
        if reporter.get_item(step_uuid) is None:
            reporter.stop_step(step_uuid)  # no test or fixture running: allure keeps it as an orphan; drop it
            return
        if body is not None:
            text = json.dumps(mask_deep(body), indent=2, sort_keys=True, default=str)
            if len(text) > _MAX_ATTACHMENT:
                text = text[:_MAX_ATTACHMENT] + f"\n... (truncated, {len(text)} characters in all)"
            reporter.attach_data(uuid4(), text, name=body_name, attachment_type=AttachmentType.JSON,
                                 parent_uuid=step_uuid)
        if error is None:
            status, details = "passed", None
        else:
            # An API error is the cloud saying no (failed); anything else broke the exchange.
            is_api_error = hasattr(error, "errorcode")
            status = "failed" if is_api_error else "broken"
            name = "" if isinstance(error, _HttpErrorStatus) else f"{type(error).__name__}: "
            details = StatusDetails(message=f"{name}{error}")
        reporter.stop_step(step_uuid, stop=stop, status=status, statusDetails=details)


# Request plumbing rather than what the test asked for: left out of the steps.
_WIRE_ONLY_PARAMS = frozenset({"command", "apikey", "response", "signature", "signatureversion", "expires",
                               "sessionkey"})


class _HttpErrorStatus(Exception):
    """An error answer the client will raise after the event; shown on the step."""

    def __init__(self, status: int, body: Any):
        inner = body
        if isinstance(body, Mapping) and len(body) == 1 and isinstance(next(iter(body.values())), Mapping):
            inner = next(iter(body.values()))  # still in its envelope
        text = inner.get("errortext", "") if isinstance(inner, Mapping) else ""
        self.errorcode = status
        super().__init__(f"HTTP {status}: {text}" if text else f"HTTP {status}")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


# --- allure labels --------------------------------------------------------------------------


def _story(item: pytest.Item) -> str:
    module = getattr(item, "module", None)
    doc = (getattr(module, "__doc__", None) or "").strip().splitlines()
    name = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
    return doc[0].rstrip(".") if doc else name


def _add_allure_labels(item: pytest.Item) -> None:
    # Tags need no label of their own: allure-pytest turns the identifier
    # markers (quick_test) into tag labels, which _respell_tag_labels respells.
    tags = item_tags(item)
    features = [tag for tag in tags if tag in vocabulary.CATEGORIES]
    if features:
        item.add_marker(pytest.mark.allure_label(*features, label_type="feature"))
        item.add_marker(pytest.mark.allure_label(_story(item), label_type="story"))


_CANONICAL_BY_MARKER = {vocabulary.marker_name(tag): tag for tag in vocabulary.TAGS}
_CANONICAL_BY_MARKER.update({vocabulary.marker_name(a): t for a, t in vocabulary.ALIASES.items()})


def _respell_tag_labels(result) -> None:
    """Tag labels of an allure result in the vocabulary's spelling, each once."""
    seen = set()
    labels = []
    for label in result.labels:
        if label.name == "tag":
            label.value = _CANONICAL_BY_MARKER.get(label.value, label.value)
            if label.value in seen:
                continue
            seen.add(label.value)
        labels.append(label)
    result.labels = labels


def _register_tag_spelling(config: pytest.Config) -> None:
    import allure_commons

    class TagLabelSpelling:
        # Before the file writer (tryfirst), on every result this process writes.
        @allure_commons.hookimpl(tryfirst=True)
        def report_result(self, result):
            _respell_tag_labels(result)

    plugin = TagLabelSpelling()
    allure_commons.plugin_manager.register(plugin)
    config.add_cleanup(lambda: allure_commons.plugin_manager.unregister(plugin))


# --- allure environment and categories ------------------------------------------------------

# Allure matches messageRegex against the whole status message, which for an
# exception is "module.ClassName: text" (see marvin2/client/errors.py).
CATEGORIES: list[dict] = [
    {"name": "Async job timeouts", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*AsyncJobTimeout: .*"},
    {"name": "Async job failures", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*AsyncJobFailed: .*"},
    {"name": "API errors: 401 authentication", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*\(errorcode 401\b.*"},
    {"name": "API errors: 431 invalid parameter", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*\(errorcode 431\b.*"},
    {"name": "API errors: 432 permission denied", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*\(errorcode 432\b.*"},
    {"name": "API errors: 436 not enough capacity", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*\(errorcode 436\b.*"},
    {"name": "API errors: 530 internal error", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*\(errorcode 530\b.*"},
    {"name": "API errors: other codes", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*CloudStackError: .*"},
    {"name": "Client-side API misuse (unknown API or parameter)", "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*(UnknownApiError|ParameterError): .*"},
    {"name": "Infrastructure: cloud unreachable, simulator or config problems",
     "matchedStatuses": ["failed", "broken"],
     "messageRegex": r"(?s).*(TransportError: |embedded simulator|marvin2 config|cannot decide capability markers|"
                     r"waited .*s to run).*"},
]


def _properties_line(key: str, value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n")
    return f"{key}={text}"


def environment_properties(config: pytest.Config) -> dict[str, str]:
    """What ran against what: no credentials, never starts a simulator by itself."""
    import marvin2

    context = run_context_of(config)
    env: dict[str, str] = {"marvin2.run_id": context.run_id, "marvin2.config": str(context.config_path)}
    try:
        env["cloud.zone"] = zone_name(config) or "not set"
        env["cloud.hypervisor"] = hypervisor_name(config) or "not set"
        cfg = marvin_config_of(config)
        if cfg.zone_network_type:
            env["cloud.zone_network_type"] = cfg.zone_network_type
        env["cloud.kind"] = "embedded simulator" if cfg.simulator else "management servers"
    except MarvinSessionError as error:
        env["cloud.error"] = str(error).splitlines()[0]
        return env | _versions(marvin2)
    if cloud_started(config):
        try:
            api = admin_api(config)
            capabilities = api.listCapabilities()
            # The client unwraps it to a list of one record; tolerate the raw shapes too.
            if isinstance(capabilities, list):
                capabilities = capabilities[0] if capabilities else {}
            if isinstance(capabilities, Mapping) and "capability" in capabilities:
                capabilities = capabilities["capability"]
            if not isinstance(capabilities, Mapping):
                capabilities = {}
            env["cloudstack.version"] = str(capabilities.get("cloudstackversion", "unknown"))
            env["cloud.endpoint"] = _public_endpoint(getattr(api, "endpoint", None))
        except Exception as error:  # a report must still be written when the cloud is gone
            env["cloudstack.version"] = f"unavailable ({type(error).__name__})"
    else:
        env["cloudstack.version"] = "not contacted (the embedded simulator was never started)"
    return env | _versions(marvin2)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("marvin2")
    except PackageNotFoundError:
        return "unknown"


def _versions(marvin2_module) -> dict[str, str]:
    return {"marvin2.version": _package_version(), "python": platform.python_version(),
            "pytest": pytest.__version__}


def _write_allure_files(config: pytest.Config, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    env = environment_properties(config)
    outcomes = config.stash.get(_OUTCOMES, None)
    if outcomes is not None and outcomes.workers:
        env["xdist.workers"] = str(len(outcomes.workers))
    lines = [_properties_line(k, v) for k, v in sorted(env.items())]
    (directory / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")


# --- outcomes and terminal summary -------------------------------------------------------------


@dataclass
class _Outcomes:
    outcome: dict[str, str] = field(default_factory=dict)   # nodeid -> passed|failed|error|skipped|xfailed|xpassed
    duration: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    tags: dict[str, tuple] = field(default_factory=dict)
    workers: set = field(default_factory=set)
    serial_waits: dict[str, float] = field(default_factory=dict)  # nodeid -> seconds waited for the run lock

    def add(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        self.duration[nodeid] += report.duration or 0.0
        tags = getattr(report, "marvin2_tags", None)
        if tags is not None:
            self.tags[nodeid] = tuple(tags)
        worker = getattr(report, "worker_id", None)  # set by xdist on reports from workers
        if worker:
            self.workers.add(worker)
        if report.when == "setup":
            for name, value in report.user_properties or ():
                if name == WAIT_PROPERTY:
                    self.serial_waits[nodeid] = float(value)
        current = self.outcome.get(nodeid)
        if hasattr(report, "wasxfail"):
            if report.when == "call" or report.skipped:
                self.outcome[nodeid] = "xfailed" if report.skipped else "xpassed"
            return
        if report.failed:
            self.outcome[nodeid] = "failed" if report.when == "call" else "error"
        elif report.skipped:
            if current is None or current == "passed":
                self.outcome[nodeid] = "skipped"
        elif report.when == "call" and current is None:
            self.outcome[nodeid] = "passed"


_COLUMNS = (("passed", ("passed", "xpassed")), ("failed", ("failed", "error")), ("skipped", ("skipped", "xfailed")))


def _is_reporting_process(config: pytest.Config) -> bool:
    context = config.stash.get(RUN_CONTEXT, None)
    return context is not None and context.is_controller


def pytest_configure(config: pytest.Config) -> None:
    if _alluredir(config):
        steps = AllureApiSteps(config)
        add_api_listener(config, steps)
        cleaner_of(config).on_waited.append(steps.replay_background_job)
        _register_tag_spelling(config)
    config.stash[_OUTCOMES] = _Outcomes()
    if not config.pluginmanager.has_plugin("marvin2.reporting.collector"):
        config.pluginmanager.register(_ReportCollector(config), "marvin2.reporting.collector")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _alluredir(config):
        for item in items:
            _add_allure_labels(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    # Travels with the report from xdist workers to the controller (plain JSON data).
    report.marvin2_tags = list(item_tags(item))
    return report


class _ReportCollector:
    """Counts outcomes per test on the process that prints the summary
    (a plugin object because pytest_runtest_logreport gets no config)."""

    def __init__(self, config: pytest.Config):
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if _is_reporting_process(self.config):
            self.config.stash[_OUTCOMES].add(report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    directory = _alluredir(config)
    if directory and _is_reporting_process(config):
        _write_allure_files(config, Path(directory).resolve())


def _leak_lines(results_dir: Path) -> list[str] | None:
    """Lines about leaks from the ledger's files (docs/internals.md): ``leaks.json``
    exists only when something was left behind; ``ledger-summary.json`` always
    has the counts when the leak check ran. None when neither exists."""
    path = results_dir / LEAKS_FILE
    if not path.is_file():
        summary = results_dir / "ledger-summary.json"
        try:
            data = json.loads(summary.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, Mapping):
            return None
        kept = len(data.get("kept") or [])
        if kept:  # --keep-resources: left on purpose, but left
            return [f"{data.get('created', '?')} resource(s) created, kept {kept} resource(s) (--keep-resources); "
                    f"remove them with: {data.get('cleanup_command') or 'marvin2 cleanup'}"]
        return [f"{data.get('created', '?')} resource(s) created, none left behind"]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"cannot read {path}: {error}"]
    leaks = data.get("leaks", []) if isinstance(data, Mapping) else data
    if not isinstance(leaks, list):
        return [f"unexpected content in {path}"]
    lines = []
    for leak in leaks[:20]:
        if isinstance(leak, Mapping):
            kind = leak.get("kind") or "resource"
            text = f"{kind} {leak.get('name') or ''} ({leak.get('id') or '?'})".replace("  ", " ")
            test = leak.get("test")
            lines.append(f"{text}, created by {test}" if test else text)
        else:
            lines.append(str(leak))
    if len(leaks) > 20:
        lines.append(f"... and {len(leaks) - 20} more (see {path})")
    command = data.get("cleanup_command") if isinstance(data, Mapping) else None
    if command:
        lines.append(f"remove them with: {command}")
    return [f"{len(leaks)} resource(s) left behind:"] + lines if leaks else ["no resources left behind"]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _is_reporting_process(config) or config.option.collectonly:
        return
    outcomes: _Outcomes = config.stash[_OUTCOMES]
    context = run_context_of(config)
    write = terminalreporter.write_line

    per_tag: dict[str, Counter] = defaultdict(Counter)
    for nodeid, outcome in outcomes.outcome.items():
        for tag in outcomes.tags.get(nodeid, ()):
            per_tag[tag][outcome] += 1
    if per_tag:
        terminalreporter.section("marvin2: outcomes per tag")
        width = max(len(tag) for tag in per_tag)
        write(f"{'tag':<{width}}  " + "  ".join(f"{name:>7}" for name, _ in _COLUMNS))
        for tag in sorted(per_tag):
            counts = per_tag[tag]
            write(f"{tag:<{width}}  " + "  ".join(f"{sum(counts[o] for o in group):>7}" for _, group in _COLUMNS))

    slowest = sorted(outcomes.duration.items(), key=lambda pair: pair[1], reverse=True)[:10]
    slowest = [(nodeid, seconds) for nodeid, seconds in slowest if seconds >= 0.05]
    if slowest:
        terminalreporter.section("marvin2: slowest tests (setup + call + teardown)")
        for nodeid, seconds in slowest:
            write(f"{seconds:8.2f}s  {nodeid}")

    if outcomes.serial_waits:
        terminalreporter.section("marvin2: waits for @serial tests")
        waits = outcomes.serial_waits
        write(f"{len(waits)} test(s) waited {sum(waits.values()):.1f}s in all to run beside/without serial tests; "
              f"longest:")
        for nodeid, seconds in sorted(waits.items(), key=lambda pair: pair[1], reverse=True)[:5]:
            write(f"{seconds:8.1f}s  {nodeid}")

    leaks = _leak_lines(context.results_dir)
    if leaks is not None:
        terminalreporter.section("marvin2: resource leaks", red=leaks[0].endswith(":"), green=not leaks[0].endswith(":"))
        for line in leaks:
            write(line)

    terminalreporter.section("marvin2: results")
    write(f"run id:      {context.run_id}")
    write(f"results dir: {context.results_dir}")
    if _alluredir(config):
        write(f"allure:      {Path(_alluredir(config)).resolve()}  (view: allure serve {Path(_alluredir(config)).resolve()})")
    xmlpath = getattr(config.option, "xmlpath", None)
    if xmlpath:
        write(f"junit xml:   {Path(xmlpath).resolve()}")
