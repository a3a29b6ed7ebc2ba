"""The client's exceptions (contract in docs/internals.md).

Every message is built from masked parameters and redacted texts: a secret
key, password, session key or signature never reaches an exception text or
repr, because those end up in pytest reports and CI logs.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from marvin2 import wire

__all__ = [
    "MarvinError",
    "CloudStackError",
    "UnknownApiError",
    "ParameterError",
    "AsyncJobFailed",
    "AsyncJobTimeout",
    "TransportError",
    "SpecError",
    "redact",
]

_MASK = "********"
# name=value pairs of secret parameters inside URLs or form bodies that a
# library (requests, urllib3) may quote in its own error texts.
_SECRET_IN_TEXT = re.compile(
    r"(?i)\b(" + "|".join(sorted(wire.SECRET_PARAM_NAMES)) + r")=([^&\s'\"]*)"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with secret ``name=value`` pairs and the given secret values masked."""
    if not text:
        return text
    text = _SECRET_IN_TEXT.sub(lambda m: f"{m.group(1)}={_MASK}", text)
    for secret in secrets:
        # Short values would mask innocent substrings and hide nothing.
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, _MASK)
            # A secret sent on the wire is percent-encoded there.
            encoded = wire.java_urlencode(secret)
            if encoded != secret:
                text = text.replace(encoded, _MASK)
    return text


def _short(params: Mapping[str, Any] | None, limit: int = 400) -> str:
    if not params:
        return "{}"
    text = repr(dict(params))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MarvinError(Exception):
    """Base of every marvin2 error."""

    def __reduce__(self):
        # Subclasses take keyword-only arguments, so the default recipe
        # (cls(*args)) cannot rebuild them; xdist workers pickle exceptions.
        return (_rebuild, (type(self), self.args, self.__dict__.copy()))


class SpecError(MarvinError, ValueError):
    """A listApis document (or a cached copy) that cannot be understood."""


class CloudStackError(MarvinError):
    """The management server answered with an error.

    ``errorcode`` is CloudStack's code (equal to the HTTP status: 431, 530, ...),
    ``cserrorcode`` the cause's code (4350, 9999, ...; absent on 401s).
    ``params`` holds the request's parameters with secrets masked.
    """

    def __init__(
        self,
        command: str,
        errorcode: int | None,
        errortext: str,
        *,
        cserrorcode: int | None = None,
        params: Mapping[str, Any] | None = None,
        endpoint: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.command = command
        self.errorcode = errorcode
        self.cserrorcode = cserrorcode
        self.errortext = errortext
        self.params = wire.mask_secrets(params or {})
        self.endpoint = endpoint
        self.http_status = http_status
        super().__init__(self._message())

    def _message(self) -> str:
        code = f"errorcode {self.errorcode}"
        if self.cserrorcode is not None:
            code += f", cserrorcode {self.cserrorcode}"
        where = f" on {self.endpoint}" if self.endpoint else ""
        return f"{self.command} failed{where} ({code}): {self.errortext} [params {_short(self.params)}]"



class UnknownApiError(MarvinError, ValueError, AttributeError):
    """An API name the connected server does not offer (raised before sending).

    Also an AttributeError, so that ``hasattr(api, "noSuchApi")`` is False.
    """

    def __init__(self, name: str, suggestions: Iterable[str] = (), *, version: str | None = None,
                 role_filtered: bool = False) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        self.version = version
        self.role_filtered = role_filtered
        server = f"CloudStack {version}" if version else "the connected server"
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        if role_filtered:
            # listApis answers with the APIs of the caller's role only: an admin API is absent, not unknown.
            super().__init__(f"API {name!r} is not available to this role: this account's listApis on {server} does "
                             f"not list it (admin-only APIs need an admin's connection, e.g. the `cloud` fixture){hint}")
        else:
            super().__init__(f"unknown API {name!r}: {server} does not offer it{hint}")



class ParameterError(MarvinError, ValueError):
    """A parameter problem found before sending: unknown name, missing, wrong type."""

    def __init__(self, command: str, message: str, *, parameter: str | None = None, suggestions: Iterable[str] = ()) -> None:
        self.command = command
        self.parameter = parameter
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{command}: {message}{hint}")



class AsyncJobFailed(CloudStackError):
    """An async job ended failed (jobstatus 2) or cancelled (3)."""

    def __init__(self, command: str, errorcode: int | None, errortext: str, *, jobid: str, jobresult: Any = None, **kwargs: Any) -> None:
        self.jobid = jobid
        self.jobresult = jobresult
        super().__init__(command, errorcode, errortext, **kwargs)

    def _message(self) -> str:
        return f"async job {self.jobid} of {super()._message()}"


class AsyncJobTimeout(MarvinError):
    """An async job still pending when its timeout ran out (never returned as a result)."""

    def __init__(self, jobid: str, command: str | None, elapsed: float, timeout: float, last_status: Any = None) -> None:
        self.jobid = jobid
        self.command = command
        self.elapsed = elapsed
        self.timeout = timeout
        self.last_status = last_status
        super().__init__(
            f"async job {jobid} of {command or 'unknown command'} still pending after {elapsed:.1f}s "
            f"(timeout {timeout:g}s, last jobstatus {last_status!r})"
        )



class TransportError(MarvinError):
    """The request could not be completed over HTTP (after retries and failover).

    ``maybe_sent`` tells whether the server may have received (and executed)
    the request: a non-read command is then never repeated automatically.
    """

    def __init__(self, command: str, reason: str, *, endpoints: Iterable[str] = (), maybe_sent: bool = False) -> None:
        self.command = command
        self.reason = reason
        self.endpoints = tuple(endpoints)
        self.maybe_sent = maybe_sent
        where = ", ".join(self.endpoints) or "no endpoint"
        note = " (the server may have received it; not repeated because it is not a read)" if maybe_sent else ""
        super().__init__(f"{command}: {reason} [{where}]{note}")



def _rebuild(cls, args, state):
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ListApisDenied(MarvinError):
    """The account's role does not allow listApis, so the client cannot learn the server's APIs."""

    def __init__(self, endpoint: str, cause: CloudStackError) -> None:
        self.endpoint = endpoint
        self.cause = cause
        super().__init__(
            f"cannot connect to {endpoint}: this account's role does not allow listApis (errorcode {cause.errorcode}: "
            f"{cause.errortext}), so the client cannot know which APIs the server offers. Either allow listApis in "
            "the account's role, or give the spec yourself: connect(..., spec=admin_api.spec) with the spec of a "
            "connection to the same server whose role allows listApis (an admin's), or spec='listApis.json' with a "
            "saved listApis answer of that server."
        )
