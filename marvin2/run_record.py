"""``<results>/run.json``: which config, cloud and identity a run used (no secrets).

``marvin2 cleanup --run-id X`` reads it, so that the resources of a run made
with ``--config remote.yaml`` are looked for on that cloud and not on the
default config's; and it refuses to clean when the config it is given points
at another cloud or another identity than the run's.

The identity is a fingerprint (a hash of the API key, or of user@domain for a
password login) plus the key's first characters: enough to tell two
identities apart, never enough to use one.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["RUN_RECORD", "cloud_identity", "write_run_record", "read_run_record", "mismatch"]

RUN_RECORD = "run.json"
SIMULATOR = "embedded simulator"


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def cloud_identity(config: Any) -> dict[str, Any]:
    """``{"endpoints": [...], "identity": "...", "fingerprint": "..."}`` of a loaded config."""
    if _field(config, "simulator"):
        return {"endpoints": [SIMULATOR], "identity": "simulator admin", "fingerprint": ""}
    servers = list(_field(config, "management_servers") or [])
    endpoints = [str(_field(s, "url")) for s in servers]
    first = servers[0] if servers else None
    api_key = _field(first, "api_key") if first is not None else None
    if api_key:
        identity = f"API key {api_key[:4]}..."
        secret_basis = f"apikey:{api_key}"
    else:
        user = _field(first, "username") if first is not None else None
        domain = (_field(first, "domain") if first is not None else None) or "/"
        identity = f"user {user} in domain {domain}"
        secret_basis = f"user:{user}@{domain}"
    fingerprint = hashlib.sha256(secret_basis.encode("utf-8")).hexdigest()[:16]
    return {"endpoints": endpoints, "identity": identity, "fingerprint": fingerprint}


def write_run_record(results_dir: Path, *, run_id: str, config_path: Path, config: Any) -> Path:
    record = {"run_id": run_id, "config": str(Path(config_path).resolve()), **cloud_identity(config)}
    path = results_dir / RUN_RECORD
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_run_record(results_dir: Path) -> dict | None:
    try:
        data = json.loads((results_dir / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def mismatch(record: dict, config: Any) -> str | None:
    """Why ``config`` is not the cloud and identity of the run ``record`` (None when it is)."""
    now = cloud_identity(config)
    if record.get("endpoints") != now["endpoints"]:
        return (f"the run used {', '.join(record.get('endpoints') or ['?'])}, "
                f"this config points at {', '.join(now['endpoints']) or '?'}")
    if record.get("fingerprint") != now["fingerprint"]:
        return f"the run used {record.get('identity')}, this config uses {now['identity']}"
    return None
