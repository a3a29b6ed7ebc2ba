"""Never silent: long waits are announced; every test has a timeout from the config."""
from __future__ import annotations

import socket

import pytest

from marvin2.pytest_plugin.waiting import Watchdog

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_the_watchdog_announces_a_long_call_at_most_every_notice_seconds():
    lines = []
    calls = [("listZones", "http://cloud/client/api", 100.0)]
    watchdog = Watchdog(5, lines.append, "gw0", in_flight=lambda: calls)
    for now in (101, 104.9, 105, 106, 109, 110, 111):
        watchdog.check(now)
    assert lines == ["marvin2: gw0 still waiting 5s for listZones on http://cloud/client/api",
                     "marvin2: gw0 still waiting 10s for listZones on http://cloud/client/api"]
    calls.clear()                       # the call ended: forgotten
    watchdog.check(200)
    calls.append(("listHosts", "http://cloud/client/api", 198.0))
    watchdog.check(201)
    assert len(lines) == 2              # 3 s: not yet worth a line


SILENT_TEST = """
    import pytest
    from marvin2.pytest_plugin.session import connect_api

    def test_waits_for_a_silent_server(pytestconfig):
        with pytest.raises(Exception, match="read timeout"):
            connect_api(pytestconfig, retries=0)
"""


@pytest.mark.parametrize("workers", [(), ("-n", "1")], ids=["alone", "xdist"])
def test_a_silent_server_is_announced_while_the_run_waits(pytester, pack, workers):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel accepts connections; nothing ever answers
        port = silent.getsockname()[1]
        pack(test_silent=SILENT_TEST)
        (pytester.path / "silent.yaml").write_text(
            f"management_servers:\n  - url: http://127.0.0.1:{port}/client/api\n    api_key: k\n    secret_key: s\n"
            "zone: z\nhypervisor: KVM\ntimeouts: {connect: 2, read: 7}\n")
        pytester.makeini("[pytest]\nmarvin_slow_call_notice = 2\n")
        # --no-health-check: the header's health check would wait for the silent server too
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", "silent.yaml",
                                               "--no-health-check", *workers, timeout=120)
    result.assert_outcomes(passed=1)
    notices = [l for l in result.stderr.lines if "still waiting" in l and "listCapabilities" in l]
    assert 2 <= len(notices) <= 4, result.stderr.str()   # 7 s of waiting, a line every 2 s at most
    assert f"127.0.0.1:{port}" in notices[0]


def test_every_test_gets_the_config_timeout_unless_it_has_its_own(pytester, pack):
    (pytester.path / "t.yaml").write_text("simulator: {}\ntimeouts: {test: 1}\n")
    pack(test_slow="""
        import time
        import pytest

        def test_hangs():
            time.sleep(30)

        @pytest.mark.timeout(60)
        def test_has_its_own():
            time.sleep(1.5)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--marvin-config", "t.yaml", timeout=60)
    result.assert_outcomes(passed=1, failed=1)
    assert "Timeout (>1.0s" in result.stdout.str()
