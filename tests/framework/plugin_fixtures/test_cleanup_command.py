"""`marvin2 cleanup` on a fake cloud: sources, order, dry run, exit codes, ledger updates."""
from __future__ import annotations

import sys

import pytest

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent / "resources"))
from resource_fakes import FakeCloud, create_recorded_run  # noqa: E402

import marvin2  # noqa: E402
from marvin2 import cli, resources as r  # noqa: E402
from marvin2.client.errors import CloudStackError  # noqa: E402
from marvin2.resources import ledger as L  # noqa: E402

RUN = "20260102-030405-cafe01"
CONFIG = """\
management_servers:
  - url: http://127.0.0.1:9/client/api
    api_key: k
    secret_key: s
timeouts:
  job: 7
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    cloud = FakeCloud()
    monkeypatch.setattr(marvin2, "connect", lambda **kw: cloud)
    config = tmp_path / "cloud.yaml"
    config.write_text(CONFIG)
    results = tmp_path / "runs" / RUN
    with L.LedgerWriter(results, run_id=RUN, worker="gw0") as writer:
        account, net, vm = create_recorded_run(cloud, writer, RUN)
    vol = r.create_volume(cloud, zoneid="z", diskofferingid="d", run_id=RUN)  # never reached the ledger
    other = cloud.add("network", name="not-ours")
    return cloud, config, results, {"account": account, "network": net, "vm": vm, "volume": vol, "other": other}


def test_deletes_leftovers_in_order_and_records_them(setup, capsys):
    cloud, config, results, made = setup
    code = cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results), "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"run {RUN}: ledger in {results}: 3 resource(s) recorded, 3 not deleted" in out
    lines = [line.split()[:2] for line in out.splitlines() if line.startswith("  ")]
    assert lines == [["deleted", "vm"], ["deleted", "volume"], ["deleted", "network"], ["deleted", "account"]]
    assert "done: 4 deleted, 0 already gone, 0 failed" in out
    assert {k: v for k, v in ((k, cloud.ids(k)) for k in ("vm", "volume", "network", "account"))} == {
        "vm": set(), "volume": set(), "network": {made["other"].id}, "account": set()}
    assert L.outstanding(L.read_ledger(results, run_id=RUN)) == []
    # a second run finds nothing
    assert cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results), "--config", str(config)]) == 0
    assert "nothing left to delete" in capsys.readouterr().out


def test_dry_run_lists_and_keeps(setup, capsys):
    cloud, config, results, made = setup
    assert cli.main(["cleanup", "--results-dir", str(results.parent), "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"run {RUN}:" in out  # the latest run of the directory
    assert "dry run: 4 would be deleted" in out
    assert made["vm"].id in cloud.ids("vm")


def test_failure_gives_exit_1_and_the_rest_is_deleted(setup, capsys):
    cloud, config, results, made = setup
    cloud.fail_call[("deleteNetwork", made["network"].id)] = CloudStackError("deleteNetwork", 530, "busy router")
    code = cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results), "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED     network" in out and "busy router" in out
    assert cloud.ids("vm") == cloud.ids("account") == set()


def test_no_search_uses_the_ledger_only(setup, capsys):
    cloud, config, results, made = setup
    assert cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results), "--config", str(config), "--no-search"]) == 0
    assert made["volume"].id in cloud.ids("volume")  # only names/tags knew it


def test_unknown_directory_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["cleanup", "--results-dir", str(tmp_path / "nope"), "--config", str(tmp_path / "x.yaml")])
    assert code == 2
    assert "no results directory" in capsys.readouterr().err


def test_in_memory_simulator_config_has_nothing_to_clean(tmp_path, capsys):
    config = tmp_path / "sim.yaml"
    config.write_text("simulator:\n  profile: instant\n")
    assert cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(tmp_path), "--config", str(config)]) == 0
    assert "in-memory database" in capsys.readouterr().out


# --- the run's own cloud (run.json) ------------------------------------------------------------


def _record_run(results, config_path):
    from marvin2.config import load_config
    from marvin2.run_record import write_run_record

    write_run_record(results, run_id=RUN, config_path=config_path, config=load_config(config_path))


def test_without_config_the_run_s_own_config_is_used(setup, tmp_path, monkeypatch, capsys):
    cloud, config, results, made = setup
    remote = tmp_path / "elsewhere" / "remote.yaml"
    remote.parent.mkdir()
    remote.write_text(CONFIG.replace("127.0.0.1:9", "10.1.2.3:8080"))
    _record_run(results, remote)
    used = []
    monkeypatch.setattr(marvin2, "connect", lambda **kw: used.append(kw["config"]) or cloud)
    monkeypatch.chdir(tmp_path)  # the default config (configs/simulator.yaml) would be another cloud
    code = cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert used == [remote.resolve()] and f"using the run's config {remote.resolve()}" in out
    assert "done: 4 deleted" in out


@pytest.mark.parametrize("change, why", [
    (lambda text: text.replace("127.0.0.1:9", "10.9.9.9:8080"), "this config points at http://10.9.9.9:8080"),
    (lambda text: text.replace("api_key: k", "api_key: another-key"), "this config uses API key anot..."),
])
def test_a_config_of_another_cloud_or_identity_is_refused(setup, tmp_path, capsys, change, why):
    cloud, config, results, made = setup
    _record_run(results, config)
    other = tmp_path / "other.yaml"
    other.write_text(change(CONFIG))
    code = cli.main(["cleanup", "--run-id", RUN, "--results-dir", str(results), "--config", str(other)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"refusing to clean run {RUN} with {other}" in err and why in err and "run.json" in err
    assert cloud.ids("vm") == {made["vm"].id}, "nothing may be deleted on a refused cleanup"
    assert "another-key" not in err and " s\n" not in err


def test_run_json_records_config_endpoint_and_identity_without_secrets(tmp_path):
    from marvin2.config import load_config
    from marvin2.run_record import read_run_record, write_run_record

    config = tmp_path / "cloud.yaml"
    config.write_text(CONFIG.replace("api_key: k", "api_key: AKEY-0123456789").replace("secret_key: s", "secret_key: SKEY-987654321"))
    write_run_record(tmp_path, run_id=RUN, config_path=config, config=load_config(config))
    text = (tmp_path / "run.json").read_text()
    assert "0123456789" not in text and "SKEY" not in text
    assert read_run_record(tmp_path) == {"run_id": RUN, "config": str(config.resolve()),
                                         "endpoints": ["http://127.0.0.1:9/client/api"],
                                         "identity": "API key AKEY...", "fingerprint": read_run_record(tmp_path)["fingerprint"]}


def test_the_run_summary_says_kept_resources(tmp_path):
    import json

    from marvin2.commands.run import _summary

    (tmp_path / "ledger-summary.json").write_text(json.dumps({"created": 16, "kept": [{"id": str(n)} for n in range(16)],
                                                              "leaks": 0}))
    lines = _summary(RUN, tmp_path, 0, 1.0)
    kept = next(line for line in lines if "resource(s) created" in line)
    assert "kept 16 resource(s)" in kept and "none left behind" not in kept
    assert f"marvin2 cleanup --run-id {RUN} --results-dir {tmp_path}" in kept
