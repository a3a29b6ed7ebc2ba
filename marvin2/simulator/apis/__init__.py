"""API modules: every module in this package declares its handlers with ``@api``.

``load_all()`` imports each module once (the declarations register
themselves in ``declare.REGISTRY``); a new module needs no registration.
"""
from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True
