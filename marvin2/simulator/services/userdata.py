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


# --- a VM's user data from its template's link (UserVmManagerImpl.finalizeUserData) --------------------

_TYPES = (("#cloud-config", "text/cloud-config"), ("#!", "text/x-shellscript"),
          ("#cloud-boothook", "text/cloud-boothook"), ("#include", "text/x-include-url"))


def _content_type(text: str) -> str:
    """CloudInitUserDataProvider's format detection from the first header line."""
    header = next((line for line in text.split("\n")
                   if (line.startswith("#") and not line.startswith("##")) or line.startswith("Content-Type:")), None)
    if header is None:
        raise errors.internal_error("Failed to detect the user data format type as it does not contain a header")
    for prefix, content_type in _TYPES:
        if header.lower() == prefix or (prefix in ("#!", "#include") and header.startswith(prefix)):
            return content_type
    raise errors.internal_error(f"Cannot recognise the user data format type from the header line: {header}.Supported "
                                f"types are: cloud-config, bash script, cloud-boothook, include file or MIME")


def append_userdata(first_b64: str, second_b64: str) -> str:
    """The APPEND policy: both user data as one multipart/mixed MIME message (base64), one part per content
    type (same-type contents joined by a newline). Same structure as the cloud-init provider's, not byte-equal."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    parts: dict[str, list[str]] = {}
    for encoded in (first_b64, second_b64):
        text = base64.b64decode(encoded).decode("utf-8", errors="replace")
        parts.setdefault(_content_type(text), []).append(text)
    message = MIMEMultipart("mixed")
    for content_type, texts in parts.items():
        message.attach(MIMEText("\n".join(texts), content_type.split("/", 1)[1], "utf-8"))
    return base64.b64encode(message.as_bytes()).decode("ascii")


def finalize_userdata(store, userdata: str | None, userdata_id: str | None, template: dict | None) -> str | None:
    """The user data a VM gets from the given user data, a registered one and its template's linked one."""
    linked_id = (template or {}).get("userdataid")
    if not userdata and not userdata_id and not linked_id:
        return None
    if userdata_id and userdata:
        raise errors.invalid_value("Both userdata and userdata ID inputs are not allowed, please provide only one")
    given = store.get("userdata", userdata_id)["userdata"] if userdata_id else userdata
    if not linked_id:
        return given
    linked = store.get("userdata", linked_id)
    policy = template.get("userdatapolicy") or "ALLOWOVERRIDE"
    if policy == "DENYOVERRIDE" and given:
        raise errors.internal_error(f"UserData input is not allowed here since template {template['name']} is "
                                    f"configured to deny any userdata")
    if linked is None and (policy == "APPEND" or not given):
        raise errors.internal_error(f"UserData linked to the template {template['name']} is not found")
    if policy == "APPEND":
        return append_userdata(linked["userdata"], given) if given else linked["userdata"]
    return given or linked["userdata"]
