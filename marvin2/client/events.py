"""Instrumentation events, for listeners added with ``api.add_listener``.

The client knows nothing of pytest or allure; the plugin subscribes to these
and turns them into report steps. Every field is already masked: listeners
may log or attach them as they are.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Union

__all__ = ["CallEvent", "JobEvent", "Event", "Listener", "Listeners"]

log = logging.getLogger("marvin2.client")


@dataclass(frozen=True)
class CallEvent:
    """One HTTP exchange with a management server (sent after it ends).

    ``status`` is the HTTP status (None when no answer came), ``response`` the
    decoded body with secrets masked (None when there was none), ``error`` the
    exception the exchange raised (None on success). ``internal`` marks calls
    the client makes on its own behalf (login, listCapabilities, listApis,
    queryAsyncJobResult polls) so that reports can fold them away.
    """

    command: str
    params_masked: dict
    status: int | None
    duration: float
    response: Any
    error: BaseException | None
    endpoint: str
    internal: bool = False

    @property
    def params(self) -> dict:
        return self.params_masked


@dataclass(frozen=True)
class JobEvent:
    """One async job waited for, after it ended.

    ``status`` is ``"succeeded"``, ``"failed"``, ``"cancelled"`` or ``"timeout"``;
    ``duration`` counts from the start of the wait.
    """

    jobid: str
    command: str | None
    status: str
    duration: float
    result: Any
    error: BaseException | None


Event = Union[CallEvent, JobEvent]
Listener = Callable[[Event], Any]


class Listeners:
    """A list of callbacks; a failing callback is logged, never breaks the call."""

    __slots__ = ("_callbacks",)

    def __init__(self) -> None:
        self._callbacks: tuple[Listener, ...] = ()

    def add(self, callback: Listener) -> None:
        if not callable(callback):
            raise TypeError(f"listener must be callable, got {type(callback).__name__}")
        self._callbacks = self._callbacks + (callback,)

    def remove(self, callback: Listener) -> None:
        self._callbacks = tuple(c for c in self._callbacks if c != callback)

    def __bool__(self) -> bool:
        return bool(self._callbacks)

    def emit(self, event: Event) -> None:
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:  # instrumentation must not change the outcome of a call
                log.exception("marvin2 listener %r failed on %s", callback, type(event).__name__)
