"""API modules: every module in this package declares its handlers with ``@api``.

``load_all()`` imports each module once (the declarations register
themselves in ``declare.REGISTRY``); a new module needs no registration.
"""
from __future__ import annotations

import importlib
import pkgutil

_loaded = False
# The core modules load first, so a module that declares an API only when the
# core has not (see routers.py) sees the core's declarations whatever it imports.
CORE_MODULES = ("identity", "infra", "meta")


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for name in CORE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True
