"""Errors a handler raises; the server turns them into CloudStack error envelopes.

The HTTP status of an error response equals its ``errorcode`` (a CloudStack
habit), and ``cserrorcode`` names the Java exception class family that a real
server would have thrown: 9999 for every error the API layer raises itself
(a ServerApiException without a cause: missing/invalid parameters, unknown or
unavailable commands), the business exception's own code otherwise (4350
InvalidParameterValue, 4365 PermissionDenied ...), none on 401s and login errors.
"""
from __future__ import annotations

# cserrorcode values of the Java exceptions a real server maps errors from.
CS_SERVER = 9999
CS_CLOUD_RUNTIME = 4250
CS_INVALID_PARAMETER = 4350
CS_PERMISSION_DENIED = 4365
CS_RESOURCE_ALLOCATION = 4370
CS_RESOURCE_IN_USE = 4375
CS_RESOURCE_UNAVAILABLE = 4380
CS_INSUFFICIENT_CAPACITY = 4325
CS_CONCURRENT_OPERATION = 4300
CS_UNAVAILABLE_COMMAND = 4555     # never sent on the API path (a 432 is a ServerApiException: 9999)


class ApiError(Exception):
    """A CloudStack API error: HTTP status = ``errorcode``.

    ``cserrorcode=None`` omits the field (credential failures do that).
    """

    def __init__(self, errorcode: int, errortext: str, cserrorcode: int | None = CS_SERVER):
        super().__init__(errortext)
        self.errorcode = errorcode
        self.errortext = errortext
        self.cserrorcode = cserrorcode

    def __repr__(self) -> str:
        return f"ApiError({self.errorcode}, {self.errortext!r})"


def param_error(text: str) -> ApiError:
    """431, as a real server raises for a parameter it cannot use (ServerApiException)."""
    return ApiError(431, text, CS_SERVER)


def malformed_parameter(key_and_hint: str) -> ApiError:
    """430 from ParamUnpackWorker: a parameter name with ``[`` that is not ``name[int].field``."""
    return ApiError(430, f"Unable to decode parameter {key_and_hint}", CS_SERVER)


def unsupported(text: str) -> ApiError:
    """432 (UNSUPPORTED_ACTION_ERROR): unknown command or one the caller's role may not call."""
    return ApiError(432, text, CS_SERVER)


def required_but_empty(param: str) -> ApiError:
    """431 for a required parameter sent empty: ParamProcessWorker throws InvalidParameterValueException (4350)."""
    return ApiError(431, f"Invalid value provided for API arg: {param}", CS_INVALID_PARAMETER)


def invalid_value(text: str) -> ApiError:
    """431 from an InvalidParameterValueException thrown by the business logic."""
    return ApiError(431, text, CS_INVALID_PARAMETER)


def permission_denied(text: str) -> ApiError:
    """531 PermissionDeniedException (e.g. acting on another account's resource)."""
    return ApiError(531, text, CS_PERMISSION_DENIED)


def internal_error(text: str) -> ApiError:
    """530, the generic "it failed" of a real server."""
    return ApiError(530, text, CS_CLOUD_RUNTIME)


def resource_limit(text: str) -> ApiError:
    """532 ResourceAllocationException: a resource limit was exceeded."""
    return ApiError(532, text, CS_RESOURCE_ALLOCATION)


def insufficient_capacity(text: str) -> ApiError:
    """533 InsufficientCapacityException (no free IP, no host ...)."""
    return ApiError(533, text, CS_INSUFFICIENT_CAPACITY)


def resource_unavailable(text: str) -> ApiError:
    """534 ResourceUnavailableException."""
    return ApiError(534, text, CS_RESOURCE_UNAVAILABLE)


def resource_in_use(text: str) -> ApiError:
    """536 ResourceInUseException (delete something still referenced)."""
    return ApiError(536, text, CS_RESOURCE_IN_USE)


def missing_parameter(command: str, param: str) -> ApiError:
    return param_error(f"Unable to execute API command {command.lower()} due to missing parameter {param}")


def bad_value(command: str, param: str, value: str) -> ApiError:
    return param_error(f"Unable to execute API command {command.lower()} due to invalid value {value} for parameter {param}")


def unknown_uuid(command: str, param: str, value: str) -> ApiError:
    return param_error(
        f"Unable to execute API command {command.lower()} due to invalid value. Invalid parameter {param} "
        f"value={value} due to incorrect long value format, or entity does not exist or due to incorrect "
        "parameter annotation for the field in api cmd class."
    )


def not_implemented(api_name: str, version: str) -> ApiError:
    """530 for an API a real server offers and the simulator does not: said plainly, never a 401 or 432."""
    return ApiError(530, f"{api_name} is a CloudStack {version} API that the marvin2 simulator does not implement",
                    CS_CLOUD_RUNTIME)
