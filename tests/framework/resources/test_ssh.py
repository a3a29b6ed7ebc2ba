"""marvin2.resources.ssh: SSH into guests, with timeouts on every wait and no password shown.

Two kinds of test: a tiny SSH server on loopback (paramiko's server classes,
in a thread) for the real protocol (exec, exit status, stdout/stderr, a
command that never ends, a wrong password), and a fake client with a fake
clock for the retry schedule. No guest, no network; well under a second each.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest

paramiko = pytest.importorskip("paramiko")

from marvin2.resources.ssh import (  # noqa: E402 - after the importorskip
    GuestShell, SshCommandTimeout, SshError, SshSettings, SshUnreachable, ssh_connect,
)

PASSWORD = "S3cret-guest-pw"


# --- a tiny SSH server ----------------------------------------------------------------------------


class _Guest(paramiko.ServerInterface):
    """Password auth for root; ``exec`` runs one of a few scripted commands."""

    def __init__(self):
        self.commands: list[str] = []

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        ok = username == "root" and password == PASSWORD
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        self.commands.append(command.decode())
        if command == b"no-answer":
            time.sleep(2)  # the server never says "exec ok" in time (this stalls its transport thread)
            return False
        threading.Thread(target=self._execute, args=(channel, command.decode()), daemon=True).start()
        return True

    @staticmethod
    def _execute(channel, command):
        # Answer only once the client has its "exec ok" (it then closes stdin: EOF here); an answer
        # sent sooner could overtake that reply, and the client would see a closed channel.
        deadline = time.monotonic() + 5
        while not channel.eof_received and time.monotonic() < deadline:
            time.sleep(0.002)
        if command == "hostname":
            channel.sendall(b"guest-1\n")
            channel.send_exit_status(0)
        elif command == "fail":
            channel.sendall(b"partial\n")
            channel.sendall_stderr(b"boom\n")
            channel.send_exit_status(3)
        elif command == "big":
            # More than the SSH window (2 MiB): only a reader that drains while waiting gets it all.
            chunk = b"x" * 65536
            for _ in range(48):
                channel.sendall(chunk)
            channel.send_exit_status(0)
        elif command == "hang":
            return  # never answers; the client must give up
        else:
            channel.sendall_stderr(f"unknown command {command}\n".encode())
            channel.send_exit_status(127)
        channel.close()


class TinySshServer:
    def __init__(self, host_key):
        self.host_key = host_key
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.guest = _Guest()
        self.transports: list = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(sock)
            transport.add_server_key(self.host_key)
            self.transports.append(transport)
            try:
                transport.start_server(server=self.guest)
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()

    def close(self):
        self.listener.close()
        for transport in self.transports:
            transport.close()


@pytest.fixture(scope="module")
def host_key():
    return paramiko.RSAKey.generate(2048)


@pytest.fixture
def server(host_key):
    srv = TinySshServer(host_key)
    yield srv
    srv.close()


def _connect(server, **kwargs):
    return ssh_connect("127.0.0.1", server.port, SshSettings("root", PASSWORD), **kwargs)


def test_run_gives_status_stdout_and_stderr(server):
    with _connect(server, timeout=10) as shell:
        assert shell.run("hostname", timeout=5) == (0, "guest-1\n", "")
        assert shell.run("fail", timeout=5) == (3, "partial\n", "boom\n")
    assert server.guest.commands == ["hostname", "fail"]


def test_output_larger_than_the_ssh_window_is_read_while_the_command_runs(server):
    with _connect(server, timeout=10) as shell:
        status, out, err = shell.run("big", timeout=10)
    assert (status, len(out), err) == (0, 48 * 65536, "")


def test_a_command_that_never_ends_times_out(server):
    with _connect(server, timeout=10) as shell:
        started = time.monotonic()
        with pytest.raises(SshCommandTimeout, match=r"'hang' on root@127.0.0.1:\d+ did not finish within 0.3s"):
            shell.run("hang", timeout=0.3)
        assert time.monotonic() - started < 3
        # The session is still usable after a command was given up.
        assert shell.run("hostname", timeout=5)[0] == 0


def test_a_server_that_never_starts_the_command_times_out(server):
    shell = _connect(server, timeout=10)
    started = time.monotonic()
    with pytest.raises(SshCommandTimeout, match=r"'no-answer' on root@127.0.0.1:\d+: the server did not start it "
                                                 r"within 0.3s"):
        shell.run("no-answer", timeout=0.3)
    assert time.monotonic() - started < 1.5
    shell.close()


def test_a_closed_session_says_so(server):
    shell = _connect(server, timeout=10)
    shell.close()
    with pytest.raises(SshError, match="the SSH session to root@127.0.0.1:\\d+ is closed"):
        shell.run("hostname")


def test_a_wrong_password_gives_up_at_the_timeout_without_showing_it(server):
    settings = SshSettings("root", "Wrong-pw-123")
    started = time.monotonic()
    with pytest.raises(SshUnreachable) as caught:
        ssh_connect("127.0.0.1", server.port, settings, timeout=1.0, connect_timeout=1.0, retry_interval=0.1)
    assert time.monotonic() - started < 5
    text = str(caught.value)
    assert "could not SSH to root@127.0.0.1" in text and "within 1s" in text
    assert "Authentication" in text and "Wrong-pw-123" not in text


def test_nothing_listening_is_retried_until_the_timeout():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    # The port is closed now: every attempt is refused at once.
    with pytest.raises(SshUnreachable, match=r"within 0.5s \(\d+ attempt\(s\)\); last error: NoValidConnectionsError: .*Unable to connect to port"):
        ssh_connect("127.0.0.1", port, SshSettings("root", PASSWORD), timeout=0.5, retry_interval=0.1)


# --- the retry schedule, with a fake client and clock ------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient:
    """Fails ``failures`` times (the booting guest), then connects; records what it was asked."""

    attempts: list[dict] = []

    def __init__(self, clock, failures):
        self.clock, self.failures = clock, failures
        self.closed = False

    def set_missing_host_key_policy(self, policy):
        assert isinstance(policy, paramiko.AutoAddPolicy)

    def connect(self, host, **kwargs):
        FakeClient.attempts.append(kwargs)
        self.clock.now += 1.0  # each attempt takes a second
        if len(FakeClient.attempts) <= self.failures:
            raise ConnectionRefusedError(111, "Connection refused")

    def close(self):
        self.closed = True


@pytest.fixture
def fake():
    FakeClient.attempts = []
    return FakeClock()


def test_retries_every_interval_until_the_guest_answers(fake):
    settings = SshSettings("centos", PASSWORD)
    shell = ssh_connect("10.1.1.5", 2222, settings, timeout=300, connect_timeout=10, retry_interval=5,
                        client_factory=lambda: FakeClient(fake, failures=2), clock=fake, sleep=fake.sleep)
    assert isinstance(shell, GuestShell) and shell.where == "centos@10.1.1.5:2222"
    assert len(FakeClient.attempts) == 3 and fake.sleeps == [5, 5]
    first = FakeClient.attempts[0]
    assert (first["username"], first["password"], first["look_for_keys"], first["allow_agent"]) == (
        "centos", PASSWORD, False, False)
    assert first["timeout"] == first["banner_timeout"] == first["auth_timeout"] == 10
    assert PASSWORD not in repr(shell)


def test_no_attempt_waits_past_the_deadline(fake):
    with pytest.raises(SshUnreachable, match=r"within 14s \(3 attempt\(s\)\)"):
        ssh_connect("10.1.1.5", 22, SshSettings(), timeout=14, connect_timeout=10, retry_interval=5,
                    client_factory=lambda: FakeClient(fake, failures=99), clock=fake, sleep=fake.sleep)
    # t=0: attempt (1 s) + 5 s pause; t=6: attempt + 5 s; t=12: attempt waits at most the 2 s left, then stops.
    assert [a["timeout"] for a in FakeClient.attempts] == [10, 8, 2]
    assert fake.sleeps == [5, 5, 1]
    assert fake.now <= 1000 + 14 + 1


def test_timeouts_must_be_positive():
    with pytest.raises(ValueError, match="timeout must be > 0"):
        ssh_connect("10.1.1.5", 22, SshSettings(), timeout=0)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        GuestShell(object(), "root@h:22").run("true", timeout=0)


def test_settings_never_show_the_password():
    settings = SshSettings.from_test_data({"ssh_username": "centos", "ssh_password": PASSWORD,
                                           "ssh_private_key": "/keys/id_rsa"})
    assert (settings.username, settings.password, settings.key_filename) == ("centos", PASSWORD, "/keys/id_rsa")
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert SshSettings.from_test_data(None) == SshSettings("root", None, None)
    vm_login = settings.with_password("Vm-generated-1")
    assert (vm_login.username, vm_login.password, vm_login.key_filename) == ("centos", "Vm-generated-1", None)
    assert "Vm-generated-1" not in repr(vm_login)
