"""The URLs the system VMs serve, as an operator sees them: console proxy access and secondary storage downloads.

Console (ConsoleProxyInfo / ConsoleAccessManagerImpl): with ``consoleproxy.sslEnabled=true`` and a
``consoleproxy.url.domain``, the root is ``https://`` + the CPVM's public IP with dashes + the domain
after its ``*`` (``*.example.org`` -> ``1-2-3-4.example.org``; a domain without ``*`` is used as it is);
otherwise ``http://`` + the public IP (SSL without a domain is switched off). The page is
``/resource/noVNC/vnc.html?autoconnect=true&port=<vnc port>&token=<token>``, the VNC websocket port
8443 when SSL is on and a certificate was uploaded, else 8080.

Downloads (CloudStackImageStoreDriverImpl.generateCopyUrl): ``http://<SSVM public IP>/userdata/<uuid>/<name>``;
with ``secstorage.encrypt.copy=true`` and a ``secstorage.ssl.cert.domain``, https on the SSVM's name
built the same way. ``<name>`` is the object's name, runs of other characters than letters and digits
made one ``-``, plus the format's file extension.

A real management server reads these four settings when it starts (they are not dynamic); the simulator
applies a change at once.
"""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from marvin2.simulator import errors

FILE_EXTENSIONS = {"QCOW2": "qcow2", "RAW": "raw", "VHD": "vhd", "ISO": "iso", "OVA": "ova", "VHDX": "vhdx",
                   "BAREMETAL": "BAREMETAL", "VMDK": "vmdk", "VDI": "vdi", "TAR": "tar", "ZIP": "zip", "DIR": "dir"}


def _true(value) -> bool:
    return str(value or "").strip().lower() == "true"


def host_name(address: str, domain: str | None) -> str:
    """ConsoleProxyInfo.formatProxyAddress / generateCopyUrl: the name a system VM is reached by."""
    if not domain or not domain.strip():
        return address
    if domain.startswith("*"):
        return address.replace(".", "-") + domain[1:]
    return domain


def _running(store, zone_id: str, kind: str) -> dict | None:
    return next((vm for vm in store.find("systemvm", zoneid=zone_id, systemvmtype=kind)
                 if vm.get("state") == "Running" and not vm.get("removed") and vm.get("publicip")), None)


# --- console ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleAccess:
    url: str
    websocket_host: str
    websocket_port: str
    token: str


def console_access(ctx, zone_id: str) -> ConsoleAccess | None:
    """The console URL of a VM of the zone, through its running CPVM (None when it has none with a public IP)."""
    proxy = _running(ctx.store, zone_id, "consoleproxy")
    if proxy is None:
        return None
    domain = ctx.config("consoleproxy.url.domain", "") or ""
    ssl = _true(ctx.config("consoleproxy.sslEnabled", "false")) and bool(domain.strip())
    address = host_name(proxy["publicip"], domain)
    root = f"https://{address}" if ssl else f"//{address}"       # the proxy listens on 443 / 80: no port shown
    has_certificate = ctx.store.find_one("certificate", kind="site") is not None
    vnc_port = 8443 if ssl and has_certificate else 8080
    token = secrets.token_urlsafe(48)       # stands for the encrypted client parameters of a real server
    url = f"{root}/resource/noVNC/vnc.html?autoconnect=true&port={vnc_port}&token={token}"
    if not url.startswith("https"):
        url = "http:" + url
    return ConsoleAccess(url, address, str(vnc_port), token)


# --- secondary storage downloads ----------------------------------------------------------------------------


def object_name(name: str | None, fmt: str | None) -> str:
    """createObjectNameForExtractUrl: the cleaned name plus the format's extension."""
    cleaned = re.sub(r"-{2,}", "-", re.sub(r"[^a-zA-Z0-9]+", "-", (name or "").strip())) if (name or "").strip() else ""
    cleaned = cleaned or str(uuid.uuid4())
    extension = FILE_EXTENSIONS.get((fmt or "").upper())
    return f"{cleaned}.{extension}" if extension else cleaned


def download_url(ctx, zone_id: str, name: str | None, fmt: str | None, install_path: str) -> str:
    """The URL of an extracted template, ISO or volume, served by the zone's running SSVM."""
    ssvm = _running(ctx.store, zone_id, "secondarystoragevm")
    if ssvm is None:
        raise errors.internal_error(f"Unable to create a link for entity at {install_path} on ssvm, "
                                    "No remote endpoint to send command, check if host or ssvm is down?")
    domain = ctx.config("secstorage.ssl.cert.domain", "") or ""
    secure = _true(ctx.config("secstorage.encrypt.copy", "false")) and bool(domain.strip())
    host = host_name(ssvm["publicip"], domain if secure else None)
    return f"{'https' if secure else 'http'}://{host}/userdata/{uuid.uuid4()}/{object_name(name, fmt)}"
