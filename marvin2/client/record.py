"""``Record``: a dict with attribute access, the type of every API result.

Responses are decoded with ``json.loads(..., object_hook=Record)``, so every
JSON object at any depth is a Record without a second pass over the data.
"""
from __future__ import annotations

import json
from typing import Any

from marvin2 import wire

__all__ = ["Record", "loads", "mask_response"]

_MASK = "********"


class Record(dict):
    """A dict whose keys are also attributes: ``vm.id == vm["id"]``.

    Keys that clash with dict methods (``items``, ``keys``, ``count``...) are
    reachable with ``record["items"]``. The repr masks secret fields
    (``secretkey``, ``password``, ``sessionkey``...), so a Record printed in a
    failing assertion never leaks them.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"record has no field {name!r} (fields: {', '.join(sorted(map(str, self))) or 'none'})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return sorted(set(dir(dict)) | {k for k in self if isinstance(k, str) and k.isidentifier()})

    def __repr__(self) -> str:
        shown = {k: (_MASK if isinstance(k, str) and k.lower() in wire.SECRET_PARAM_NAMES else v) for k, v in self.items()}
        return f"Record({shown!r})"

    __str__ = __repr__

    def copy(self) -> "Record":
        return Record(self)

    @classmethod
    def wrap(cls, value: Any) -> Any:
        """Convert nested dicts (and dicts inside lists) into Records."""
        if isinstance(value, dict):
            return cls((k, cls.wrap(v)) for k, v in value.items())
        if isinstance(value, list):
            return [cls.wrap(v) for v in value]
        return value


def loads(data: bytes | str) -> Any:
    """Decode a JSON response into Records."""
    return json.loads(data, object_hook=Record)


def mask_response(value: Any) -> Any:
    """A deep copy of a decoded response with secret fields masked (for events and logs)."""
    if isinstance(value, dict):
        return Record(
            (k, _MASK if isinstance(k, str) and k.lower() in wire.SECRET_PARAM_NAMES else mask_response(v))
            for k, v in value.items()
        )
    if isinstance(value, list):
        return [mask_response(v) for v in value]
    return value
