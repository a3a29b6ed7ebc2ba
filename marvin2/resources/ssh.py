"""SSH into guest VMs, for tests that run on real hardware (``required_hardware``).

    from marvin2.resources.ssh import SshSettings, ssh_connect
    settings = SshSettings.from_test_data(config.test_data)        # ssh_username / ssh_password / ssh_private_key
    with ssh_connect("198.51.100.7", 2222, settings, timeout=300) as shell:
        status, out, err = shell.run("hostname", timeout=60)

paramiko is imported only when a connection is made, so the rest of marvin2
(and every simulator run) works without it. Every wait has a timeout: the
connection is retried until ``timeout`` (a fresh guest needs time to boot
and to get its password), each attempt's TCP connect, banner and
authentication are bounded by ``connect_timeout``, and a command is given up
after its own ``timeout``. Passwords never appear in a repr, a log line or an
error text.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from marvin2.resources.errors import ResourceError

log = logging.getLogger("marvin2.resources.ssh")

DEFAULT_USERNAME = "root"
# How long a connect attempt waits before the next one: a booting guest
# refuses connections for a while, and trying faster only adds noise.
RETRY_INTERVAL = 5.0
_POLL = 0.02   # seconds between looks at a running command's channel


class SshError(ResourceError):
    """SSH to a guest failed: it never answered in time, or a command did not finish in time."""


class SshUnreachable(SshError, TimeoutError):
    """No SSH session could be opened within the timeout; the message says the last error."""


class SshCommandTimeout(SshError, TimeoutError):
    """A command run in a guest did not finish within its timeout."""


@dataclass(frozen=True)
class SshSettings:
    """Who to log in as: a password, a private key file, or both (the password also unlocks the key)."""

    username: str = DEFAULT_USERNAME
    password: str | None = field(default=None, repr=False)
    key_filename: str | None = None

    @classmethod
    def from_test_data(cls, test_data: Mapping[str, Any] | None) -> "SshSettings":
        """From a config's ``test_data``: ``ssh_username`` (default root), ``ssh_password``, ``ssh_private_key``."""
        data = test_data or {}
        key = data.get("ssh_private_key")
        return cls(username=data.get("ssh_username") or DEFAULT_USERNAME, password=data.get("ssh_password"),
                   key_filename=str(key) if key else None)

    def with_password(self, password: str) -> "SshSettings":
        """The same user logging in with ``password`` only (e.g. one CloudStack generated for the VM)."""
        return replace(self, password=password, key_filename=None)


def _paramiko() -> Any:
    try:
        import paramiko
    except ImportError as error:  # pragma: no cover - paramiko is a test dependency
        raise SshError("SSH into guests needs paramiko: pip install paramiko") from error
    return paramiko


def _redact(text: str, settings: SshSettings) -> str:
    # paramiko's own messages do not show the password; this makes sure of it
    # for every text we build from them.
    return text.replace(settings.password, "********") if settings.password else text


class GuestShell:
    """An open SSH session into a guest; ``run`` gives ``(exit status, stdout, stderr)``."""

    def __init__(self, client: Any, where: str, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.where = where   # user@host:port, for messages
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"GuestShell({self.where})"

    def run(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        """Run ``command`` (with no input); its output is read while it runs (a full pipe cannot stall it).

        Raises :class:`SshCommandTimeout` when it has not finished after ``timeout`` seconds.
        """
        if timeout is None or timeout <= 0:
            raise ValueError(f"running {command!r} on {self.where}: timeout must be > 0 seconds, got {timeout!r}")
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise SshError(f"the SSH session to {self.where} is closed")
        deadline = self._clock() + timeout
        channel = transport.open_session(timeout=timeout)
        self._exec(channel, command, timeout)
        channel.shutdown_write()   # no input: the command sees the end of it at once
        out, err = bytearray(), bytearray()
        while True:
            got = _drain(channel, out, err)
            if channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
                break
            if self._clock() >= deadline:
                channel.close()
                raise SshCommandTimeout(f"{command!r} on {self.where} did not finish within {timeout:g}s "
                                        f"(output so far: {len(out)} bytes)")
            if not got:
                self._sleep(_POLL)
        return channel.recv_exit_status(), out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def _exec(self, channel: Any, command: str, timeout: float) -> None:
        # paramiko's exec_command waits for the server's "exec ok" with no limit of
        # its own; closing the channel ends that wait, so a timer does it.
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            try:
                channel.close()
            except Exception:
                # EOFError or paramiko's SSHException: the transport is already
                # gone (session closed), so there is nothing left to end.
                pass

        watchdog = threading.Timer(timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            channel.exec_command(command)
        except Exception as error:
            if expired.is_set():
                raise SshCommandTimeout(f"{command!r} on {self.where}: the server did not start it within "
                                        f"{timeout:g}s") from error
            raise
        finally:
            watchdog.cancel()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "GuestShell":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _drain(channel: Any, out: bytearray, err: bytearray) -> bool:
    """Move what the channel has buffered into ``out``/``err``; True when anything came."""
    got = False
    while channel.recv_ready():
        out += channel.recv(65536)
        got = True
    while channel.recv_stderr_ready():
        err += channel.recv_stderr(65536)
        got = True
    return got


def ssh_connect(host: str, port: int = 22, settings: SshSettings | None = None, *, timeout: float = 300.0,
                connect_timeout: float = 10.0, retry_interval: float = RETRY_INTERVAL,
                client_factory: Callable[[], Any] | None = None, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] = time.sleep) -> GuestShell:
    """Open an SSH session to a guest, retrying until ``timeout`` seconds have passed.

    Each attempt (TCP connect, SSH banner, authentication) waits at most
    ``connect_timeout`` and never past the overall deadline. Host keys are
    accepted as they come: guests are made for the test and their keys are
    new every time. ``client_factory`` (default ``paramiko.SSHClient``) is for tests.
    """
    if timeout is None or timeout <= 0:
        raise ValueError(f"SSH to {host}:{port}: timeout must be > 0 seconds, got {timeout!r}")
    settings = settings or SshSettings()
    paramiko = _paramiko()
    factory = client_factory or paramiko.SSHClient
    where = f"{settings.username}@{host}:{port}"
    deadline = clock() + timeout
    attempts = 0
    last_error: BaseException | None = None
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            break
        attempts += 1
        client = factory()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        wait = max(0.1, min(connect_timeout, remaining))
        try:
            client.connect(host, port=port, username=settings.username, password=settings.password,
                           key_filename=settings.key_filename, timeout=wait, banner_timeout=wait, auth_timeout=wait,
                           look_for_keys=False, allow_agent=False)
            return GuestShell(client, where, clock=clock, sleep=sleep)
        except (OSError, paramiko.SSHException, EOFError) as error:
            last_error = error
            client.close()
            log.debug("SSH to %s, attempt %d: %s", where, attempts, _redact(f"{type(error).__name__}: {error}",
                                                                             settings))
            sleep(min(retry_interval, max(0.0, deadline - clock())))
    detail = _redact(f"{type(last_error).__name__}: {last_error}", settings) if last_error else "no attempt made"
    raise SshUnreachable(f"could not SSH to {where} within {timeout:g}s ({attempts} attempt(s)); last error: {detail}")
