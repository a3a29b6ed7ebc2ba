"""The marvin2 API client: a library usable from scripts, notebooks or pytest.

It never imports pytest, allure or the simulator. ``marvin2.connect`` is the
usual entry point; ``marvin2.client.connect`` is the same without config
files and the embedded simulator.
"""
from marvin2.client.api import API, ApiMethod
from marvin2.client.connect import connect
from marvin2.client.errors import (
    AsyncJobFailed,
    AsyncJobTimeout,
    CloudStackError,
    ListApisDenied,
    MarvinError,
    ParameterError,
    SpecError,
    TransportError,
    UnknownApiError,
)
from marvin2.client.events import CallEvent, JobEvent
from marvin2.client.record import Record
from marvin2.client.spec import ApiSpec, ParamSpec, ResponseField, Spec, SpecCache
from marvin2.client.transport import ServerSettings

__all__ = [
    "API",
    "ApiMethod",
    "ApiSpec",
    "AsyncJobFailed",
    "AsyncJobTimeout",
    "CallEvent",
    "CloudStackError",
    "JobEvent",
    "ListApisDenied",
    "MarvinError",
    "ParamSpec",
    "ParameterError",
    "Record",
    "ResponseField",
    "ServerSettings",
    "Spec",
    "SpecCache",
    "SpecError",
    "TransportError",
    "UnknownApiError",
    "connect",
]
