"""User data (ManagementServerImpl.registerUserData/listUserDatas/deleteUserData, UserDataManagerImpl's
checks, TemplateManagerImpl.linkUserDataToTemplate): named, owned base64 user data an account can link
to its templates and ISOs."""
from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from marvin2.simulator import errors

# NetworkModel.metadataFileNames: user data parameters may not shadow the virtual router's metadata files.
METADATA_FILE_NAMES = ("service-offering", "availability-zone", "local-hostname", "local-ipv4", "public-hostname",
                       "public-ipv4", "instance-id", "vm-id", "public-keys", "cloud-identifier", "cloud-name",
                       "hypervisor-host-name")
MAX_HTTP_POST_LENGTH = 1048576
POLICIES = ("ALLOWOVERRIDE", "APPEND", "DENYOVERRIDE")


def validate_userdata(text: str, max_length: int) -> str:
    """The user data as the server stores it (decoded once from %-escapes, re-encoded with padding).

    The handler does not see the HTTP method, so the 4 KB limit of GET requests is not applied; POST's 1 MB is.
    """
    if "%" in text:
        text = unquote(text)
    try:
        # Commons-codec's isBase64 takes data without its '=' padding; the server re-pads it.
        decoded = base64.b64decode((text + "=" * (-len(text) % 4)).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise errors.invalid_value("User data is not base64 encoded.") from None
    if len(decoded) < 1:
        raise errors.invalid_value("User data is too short.")
    if len(text) > MAX_HTTP_POST_LENGTH:
        raise errors.invalid_value("User data is too long for http POST request")
    if len(text) > max_length:
        raise errors.invalid_value(f"User data has exceeded configurable max length: {max_length}")
    return base64.b64encode(decoded).decode("ascii")


def check_params(params: str | None) -> None:
    if params:
        clashes = [p for p in params.split(",") if p in METADATA_FILE_NAMES]
        if clashes:
            raise errors.invalid_value(f"Params passed here have a few virtual router metadata file names "
                                       f"[{', '.join(clashes)}]")


def register(store, owner: dict, name: str, userdata: str, params: str | None, max_length: int) -> dict:
    check_params(params)
    if store.find_one("userdata", accountid=owner["id"], name=name) is not None:
        raise errors.invalid_value(f"A userdata with name {name} already exists for this account.")
    same = store.find_one("userdata", accountid=owner["id"], userdata=userdata)
    if same is not None:
        raise errors.invalid_value(f"Userdata {same['name']} with same content already exists for this account.")
    stored = validate_userdata(userdata, max_length)
    return store.insert("userdata", {"name": name, "userdata": stored, "params": params or None,
                                     "accountid": owner["id"], "domainid": owner["domainid"]})


def delete(store, row: dict | None, userdata_id: str, owner: dict) -> None:
    if row is None:
        raise errors.invalid_value(f"A UserData with id '{userdata_id}' does not exist for account {owner['name']} "
                                   f"in specified domain id")
    if any(not t.get("removed") for t in store.find("template", userdataid=row["id"])):
        raise errors.internal_error(f"Userdata {row['name']} cannot be removed as it is linked to active template/templates")
    if any(not vm.get("removed") for vm in store.find("virtualmachine", userdataid=row["id"])):
        raise errors.internal_error(f"Userdata {row['name']} cannot be removed as it is being used by some VMs")
    store.delete_where("annotation", entityid=row["id"])
    store.delete("userdata", row["id"])


def link_to_template(store, template_id: str | None, iso_id: str | None, userdata_id: str | None,
                     policy: str | None) -> tuple[dict, str | None]:
    """The template (or ISO) row to link and the policy to store (None when unlinking)."""
    if template_id and iso_id:
        raise errors.invalid_value("Both template ID and ISO ID are passed, API accepts only one")
    if not template_id and not iso_id:
        raise errors.invalid_value("Atleast one of template ID or ISO ID needs to be passed")
    wanted = (policy or "ALLOWOVERRIDE").upper()
    if wanted not in POLICIES:
        raise errors.invalid_value(f"No enum constant org.apache.cloudstack.userdata.UserData.UserDataOverridePolicy."
                                   f"{wanted}")
    row = store.get("template", template_id or iso_id)
    if row is None or row.get("removed"):
        raise errors.invalid_value(f"unable to find template/ISO with id {template_id or iso_id}")
    return row, (wanted if userdata_id else None)
