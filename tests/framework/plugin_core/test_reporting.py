"""allure steps/labels/environment/categories, the terminal summary, and no secrets in any report."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from marvin2.pytest_plugin.reporting import CATEGORIES, _public_endpoint, mask_deep

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

REPORTED_PACK = """
    \"\"\"Zones of the simulator.\"\"\"
    import pytest

    @pytest.mark.tags("infrastructure", "quick-test")
    def test_list_zone_by_name(cloud):
        assert [z.name for z in cloud.listZones(name="Sandbox-simulator")] == ["Sandbox-simulator"]

    @pytest.mark.tags("network", "negative")
    def test_bad_zone_id_is_refused(cloud):
        cloud.listZones(id="no-such-zone")

    @pytest.mark.tags("resource-tags")
    def test_async_tagging(cloud):
        zone = cloud.listZones()[0]
        cloud.createTags(resourceids=zone.id, resourcetype="Zone", tags={"purpose": "report-test"})

    @pytest.mark.tags("slow")
    def test_skipped_one():
        pytest.skip("not today")
"""


def results(allure_dir: Path) -> dict[str, dict]:
    by_name = {}
    for path in allure_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        by_name[data["name"]] = data
    return by_name


def labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def reported_run(pytester, pack, simulator_config):
    pack(test_zones=REPORTED_PACK)
    (pytester.path / "out").mkdir()
    (pytester.path / "out" / "leaks.json").write_text(json.dumps({"leaks": [
        {"kind": "network", "name": "m2-net-1", "id": "1234-abcd", "test": "test_zones.py::test_x", "worker": "gw0"},
    ]}))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--marvin-config", str(simulator_config), "--results-dir", "out",
        "--no-leak-check", "--alluredir", "out/allure", "--junitxml", "out/junit.xml", timeout=120)
    return result, pytester.path / "out"


def test_allure_reports_and_terminal_summary(pytester, pack, simulator_config):
    # One run (xdist, embedded simulator) checked two ways: it takes seconds.
    result, out = reported_run(pytester, pack, simulator_config)
    check_allure(result, out)
    check_terminal_summary(result, out)


def check_allure(result, out):
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    allure_dir = out / "allure"
    by_name = results(allure_dir)

    listed = by_name["test_list_zone_by_name"]
    assert labels(listed, "tag") == ["infrastructure", "quick-test"] or \
        sorted(labels(listed, "tag")) == ["infrastructure", "quick-test"]
    assert labels(listed, "feature") == ["infrastructure"]
    assert labels(listed, "story") == ["Zones of the simulator"]
    steps = listed["steps"]
    assert [s["name"].split(" (")[0] for s in steps] == ["listZones"]
    step = steps[0]
    assert step["status"] == "passed" and step["stop"] >= step["start"]
    assert {"name": "name", "value": "Sandbox-simulator"} in step["parameters"]
    assert not any(p["name"].lower() in ("apikey", "signature") for p in step["parameters"])
    attachment = allure_dir / step["attachments"][0]["source"]
    assert "Sandbox-simulator" in attachment.read_text()

    refused = by_name["test_bad_zone_id_is_refused"]
    assert refused["status"] in ("failed", "broken")
    assert sorted(labels(refused, "tag")) == ["negative", "networks"]
    assert refused["steps"][-1]["status"] == "failed"
    assert "431" in refused["steps"][-1]["statusDetails"]["message"]

    tagged = by_name["test_async_tagging"]
    job_steps = [s for s in tagged["steps"] if s["name"].startswith("async job createTags")]
    assert len(job_steps) == 1, [s["name"] for s in tagged["steps"]]
    assert any(p["name"] == "job id" and p["value"] for p in job_steps[0]["parameters"])

    env = dict(line.split("=", 1) for line in (allure_dir / "environment.properties").read_text().splitlines())
    assert env["cloudstack.version"] == "4.20.2.0"
    assert env["cloud.zone"] == "Sandbox-simulator" and env["cloud.hypervisor"] == "Simulator"
    assert env["cloud.endpoint"].startswith("http://127.0.0.1:") and env["cloud.endpoint"].endswith("/client/api")
    assert env["xdist.workers"] == "2"
    run_id = env["marvin2.run_id"]
    assert run_id and f"run id:      {run_id}" in result.stdout.str()
    categories = json.loads((allure_dir / "categories.json").read_text())
    assert [c["name"] for c in categories] == [c["name"] for c in CATEGORIES]


def check_terminal_summary(result, out):
    result.stdout.fnmatch_lines([
        "*marvin2: outcomes per tag*",
        "tag * passed * failed * skipped",
        "infrastructure * 1 * 0 * 0",
        "negative * 0 * 1 * 0",
        "networks * 0 * 1 * 0",
        "quick-test * 1 * 0 * 0",
        "resource-tags * 1 * 0 * 0",
        "slow * 0 * 0 * 1",
        "*marvin2: slowest tests*",
        "*marvin2: resource leaks*",
        "1 resource(s) left behind:",
        "network m2-net-1 (1234-abcd), created by test_zones.py::test_x",
        "*marvin2: results*",
        f"results dir: {out}",
    ])


def test_categories_match_client_error_texts():
    import re

    from marvin2.client.errors import AsyncJobFailed, AsyncJobTimeout, CloudStackError, TransportError

    def category(error: BaseException) -> str:
        message = f"{type(error).__module__}.{type(error).__name__}: {error}"  # what allure stores
        for entry in CATEGORIES:
            if re.fullmatch(entry["messageRegex"], message):
                return entry["name"]
        return "none"

    assert category(CloudStackError("listZones", 431, "bad id", cserrorcode=9999)) == "API errors: 431 invalid parameter"
    assert category(CloudStackError("deleteZone", 432, "no", cserrorcode=9999)) == "API errors: 432 permission denied"
    assert category(CloudStackError("x", 999, "odd")) == "API errors: other codes"
    assert category(AsyncJobFailed("deployVirtualMachine", 530, "boom", jobid="j1")) == "Async job failures"
    assert category(AsyncJobTimeout("j1", "deployVirtualMachine", 10.0, 10.0, 0)) == "Async job timeouts"
    assert category(TransportError("listZones", "connection refused")) == \
        "Infrastructure: cloud unreachable, simulator or config problems"


def test_masking_and_public_endpoint():
    body = {"userkeys": {"apikey": "A", "secretkey": "S"}, "list": [{"password": "P", "name": "n"}]}
    assert mask_deep(body) == {"userkeys": {"apikey": "********", "secretkey": "********"},
                               "list": [{"password": "********", "name": "n"}]}
    assert _public_endpoint("https://user:pw@host:8443/client/api?apiKey=x") == "https://host:8443/client/api"


# --- secrets ---------------------------------------------------------------------------------

ADMIN_PASSWORD = "Adm1n-Pa55-Zebra-7741"
ACCOUNT_PASSWORD = "Acc0unt-Pa55-Quokka-3318"

SECRETS_PACK = f"""
    import os
    import pytest
    from marvin2.pytest_plugin.session import connect_api

    def test_user_keys_and_login(cloud, pytestconfig):
        domain = cloud.listDomains(name="ROOT")[0]
        account = cloud.createAccount(accounttype=0, email="s@example.org", firstname="s", lastname="t",
                                      username="secret-tester", password="{ACCOUNT_PASSWORD}", domainid=domain.id)
        user = account.user[0]
        keys = cloud.registerUserKeys(id=user.id)
        with open(os.environ["SECRETS_OUT"], "w") as out:   # outside the results, for the grep
            out.write(keys.secretkey + " " + keys.apikey)
        # the answers that carry a user's keys again: listUsers, getUserKeys
        assert cloud.listUsers(id=user.id)[0].apikey == keys.apikey
        assert cloud.getUserKeys(id=user.id).apikey == keys.apikey
        as_user = connect_api(pytestconfig, api_key=keys.apikey, secret_key=keys.secretkey)
        assert as_user.listZones()
        by_login = connect_api(pytestconfig, username="secret-tester", password="{ACCOUNT_PASSWORD}", domain="/")
        assert by_login.listZones()
        cloud.updateUser(id=user.id, password="{ACCOUNT_PASSWORD}")
        as_user.close(); by_login.close()

    def test_failure_while_holding_secrets(cloud, pytestconfig):
        print("calling with", cloud)
        cloud.listZones(id="missing-zone-id")
"""


def test_no_secret_reaches_allure_or_junit(pytester, pack, monkeypatch):
    from marvin2.client import connect
    from marvin2.simulator import start_simulator

    sim = start_simulator(port=0, profile="instant")
    try:
        admin = connect(sim.endpoint, api_key=sim.admin_api_key, secret_key=sim.admin_secret_key)
        admin_user = admin.listUsers(username="admin")[0]
        admin.updateUser(id=admin_user.id, password=ADMIN_PASSWORD)
        admin.close()
        (pytester.path / "cloud.yaml").write_text(
            "management_servers:\n"
            f"  - url: {sim.endpoint}\n"
            "    username: admin\n"
            "    password: ${SECRETS_TEST_ADMIN_PASSWORD}\n"
            "zone: Sandbox-simulator\nhypervisor: Simulator\n")
        monkeypatch.setenv("SECRETS_TEST_ADMIN_PASSWORD", ADMIN_PASSWORD)
        secrets_out = pytester.path / "user-secret.txt"
        monkeypatch.setenv("SECRETS_OUT", str(secrets_out))
        pack(test_secrets=SECRETS_PACK)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--marvin-config", "cloud.yaml", "--results-dir", "out", "--no-leak-check",
            "--alluredir", "out/allure", "--junitxml", "out/junit.xml", "-o", "junit_logging=all",
            "-l", timeout=120)
        result.assert_outcomes(passed=1, failed=1)
        user_secret, user_api_key = secrets_out.read_text().split()
        assert len(user_secret) > 20 and len(user_api_key) > 20
        secrets = {"admin secret key": sim.admin_secret_key, "admin password": ADMIN_PASSWORD,
                   "account password": ACCOUNT_PASSWORD, "user secret key": user_secret,
                   "admin API key": sim.admin_api_key, "user API key": user_api_key}

        files = [p for p in (pytester.path / "out").rglob("*") if p.is_file()]
        assert pytester.path / "out" / "junit.xml" in files
        texts = {str(p): p.read_text(errors="replace") for p in files}
        texts["terminal output"] = result.stdout.str() + result.stderr.str()
        for where, text in texts.items():
            for what, secret in secrets.items():
                assert secret not in text, f"{what} found in {where}"
        # ...and the reports did record the calls that carried them (masked)
        everything = "\n".join(texts.values())
        for command in ("createAccount", "registerUserKeys", "updateUser", "listUsers", "getUserKeys"):
            assert command in everything
        assert "********" in everything
    finally:
        sim.stop()


def test_steps_mask_secrets_even_if_an_event_carries_them(pytester, pack):
    # Defence in depth: the client masks its events, and the steps mask again.
    pack(test_fake_events="""
        from marvin2.client.events import CallEvent, JobEvent
        from marvin2.pytest_plugin import session

        def test_listener_gets_raw_secrets(pytestconfig):
            listeners = pytestconfig.stash[session._LISTENERS]
            call = CallEvent(command="createUser", params_masked={"username": "u", "password": "Raw-Pa55-Leak-1"},
                             status=200, duration=0.01,
                             response={"user": {"id": "1", "secretkey": "Raw-Secret-Leak-2"}}, error=None,
                             endpoint="http://someone:Raw-Pa55-Leak-3@127.0.0.1:8080/client/api?apiKey=k")
            job = JobEvent(jobid="j-1", command="registerUserKeys", status="succeeded", duration=0.02,
                           result={"userkeys": {"apikey": "a", "secretkey": "Raw-Secret-Leak-4"}}, error=None)
            for listener in listeners:
                listener(call)
                listener(job)
    """)
    (pytester.path / "x.yaml").write_text("simulator: {}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir", "allure",
                                           "--marvin-config", "x.yaml", timeout=60)
    result.assert_outcomes(passed=1)
    text = "\n".join(p.read_text() for p in (pytester.path / "allure").glob("*"))
    for leak in ("Raw-Pa55-Leak-1", "Raw-Secret-Leak-2", "Raw-Pa55-Leak-3", "Raw-Secret-Leak-4"):
        assert leak not in text, leak
    steps = next(iter(results(pytester.path / "allure").values()))["steps"]
    assert [s["name"] for s in steps] == ["createUser (10 ms)", "async job registerUserKeys j-1: succeeded (0.02 s)"]
    assert {"name": "password", "value": "********"} in steps[0]["parameters"]
    assert {"name": "endpoint", "value": "http://127.0.0.1:8080/client/api"} in steps[0]["parameters"]
