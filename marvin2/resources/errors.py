"""Exceptions raised by the resource layer, and the "already gone" test.

Nothing here imports the client: errors coming back from the client are
recognised by their attributes (``errorcode``, ``errortext``), which keeps
this layer usable with any object that behaves like the client.
"""
from __future__ import annotations

import re
from typing import Any, Iterable


class ResourceError(Exception):
    """Base class of every error the resource layer raises itself."""


class ResourceNotFound(ResourceError, LookupError):
    """A lookup by name found nothing; the message lists what does exist."""


class AlreadyGone(ResourceError):
    """Raised by a delete helper that found the resource gone before deleting it."""


class DependentResource(ResourceError):
    """A resource that cannot be deleted by itself now, only with (or after) another one.

    Example: the source NAT IP of an isolated network is released when the
    network is deleted. Cleanups retry such deletes after the others.
    """


class WaitTimeout(ResourceError, TimeoutError):
    """A resource did not reach the wanted state in time."""

    def __init__(self, kind: str, resource_id: str, wanted: str, last_state: Any, elapsed: float, timeout: float):
        self.kind = kind
        self.resource_id = resource_id
        self.wanted = wanted
        self.last_state = last_state
        self.elapsed = elapsed
        self.timeout = timeout
        super().__init__(
            f"{kind} {resource_id} did not become {wanted} within {timeout:g}s "
            f"(waited {elapsed:.1f}s); last state: {last_state if last_state is not None else 'unknown'}"
        )


class ConditionTimeout(ResourceError, TimeoutError):
    """Something a test waits for (with no state field to watch) did not come true in time."""

    def __init__(self, what: str, elapsed: float, timeout: float):
        self.what = what
        self.elapsed = elapsed
        self.timeout = timeout
        super().__init__(f"timed out after {timeout:g}s waiting for {what}")


class ResourceFailed(ResourceError):
    """A resource reached a state it can never leave towards the wanted one (Error, ...)."""

    def __init__(self, kind: str, resource_id: str, wanted: str, state: Any, elapsed: float, detail: str = ""):
        self.kind = kind
        self.resource_id = resource_id
        self.wanted = wanted
        self.state = state
        self.elapsed = elapsed
        text = f"{kind} {resource_id} reached state {state} while waiting for {wanted} (after {elapsed:.1f}s)"
        super().__init__(text + (f": {detail}" if detail else ""))


class CleanupFailed(ResourceError):
    """One summary for every cleanup that failed in a :class:`CleanupStack` run.

    ``failures`` is a list of ``(description, exception)`` pairs, in the order
    the cleanups ran.
    """

    def __init__(self, failures: Iterable[tuple[str, BaseException]]):
        self.failures = list(failures)
        lines = [f"{len(self.failures)} cleanup(s) failed:"]
        for description, error in self.failures:
            lines.append(f"  - {description}: {type(error).__name__}: {error}")
        super().__init__("\n".join(lines))


# Texts a CloudStack server uses when the entity an API names does not exist
# (any more). Codes vary between APIs (431 mostly, 530 for some deletes), so
# the text decides.
_GONE_TEXT = re.compile(
    r"entity does not exist|does not exist|doesn'?t exist|not found|unable to find|could not find|"
    r"cannot find|can'?t find|no longer exists|already (been )?(removed|deleted|expunged)|"
    r"failed to find",
    re.IGNORECASE,
)


def is_gone_error(error: BaseException) -> bool:
    """True when ``error`` says the resource it was about does not exist.

    Used by cleanups: deleting something that is already gone is success.
    """
    if isinstance(error, AlreadyGone):
        return True
    code = getattr(error, "errorcode", None)
    text = getattr(error, "errortext", None)
    if text is None:
        return False
    if code is not None and code not in (404, 431, 530, 534, 535):
        return False
    return bool(_GONE_TEXT.search(str(text)))
