"""Annotations (AnnotationManagerImpl): admins' comments on resources, listed newest first.

Every annotation API is Admin-only in 4.20 (the commands' ``authorized``), so the manager's rules for
other roles (owned entities, visible types) never apply; the admin paths are kept as written, including
``listAnnotations id=``, which only finds an annotation when ``userid`` names its author and it is
admins-only (getSingleAnnotationListByUuid).
"""
from __future__ import annotations

from marvin2 import wire
from marvin2.simulator import errors

# EntityType: name -> (store kind holding the entity, field naming it; users allowed).
ENTITY_TYPES = {
    "VM": ("virtualmachine", "instancename"), "VOLUME": ("volume", "name"), "SNAPSHOT": ("snapshot", "name"),
    "VM_SNAPSHOT": ("vmsnapshot", "name"), "INSTANCE_GROUP": ("instancegroup", "name"),
    "SSH_KEYPAIR": ("sshkeypair", "name"), "USER_DATA": ("userdata", "name"), "NETWORK": ("network", "name"),
    "VPC": ("vpc", "name"), "PUBLIC_IP_ADDRESS": ("publicipaddress", "ipaddress"),
    "VPN_CUSTOMER_GATEWAY": ("vpncustomergateway", "name"), "TEMPLATE": ("template", "name"),
    "ISO": ("template", "name"), "KUBERNETES_CLUSTER": ("kubernetescluster", "name"),
    "SERVICE_OFFERING": ("serviceoffering", "name"), "DISK_OFFERING": ("diskoffering", "name"),
    "NETWORK_OFFERING": ("networkoffering", "name"), "ZONE": ("zone", "name"), "POD": ("pod", "name"),
    "CLUSTER": ("cluster", "name"), "HOST": ("host", "name"), "DOMAIN": ("domain", "name"),
    "PRIMARY_STORAGE": ("storagepool", "name"), "SECONDARY_STORAGE": ("imagestore", "name"),
    "VR": ("router", "name"), "SYSTEM_VM": ("systemvm", "name"), "AUTOSCALE_VM_GROUP": ("autoscalevmgroup", "name"),
    "MANAGEMENT_SERVER": ("managementserver", "name"), "OBJECT_STORAGE": ("objectstore", "name"),
}
_ENUM = "org.apache.cloudstack.annotation.AnnotationService.EntityType"


def entity_type(text: str | None) -> str:
    """EntityType.valueOf: exact (upper-case) names only."""
    if text not in ENTITY_TYPES:
        raise errors.invalid_value(f"No enum constant {_ENUM}.{text}")
    return text


def entity_name(store, row: dict) -> str | None:
    kind, field = ENTITY_TYPES[row["entitytype"]]
    entity = store.get(kind, row.get("entityid"))
    return entity.get(field) if entity else None


def add(store, text: str | None, type_name: str | None, entity_id: str | None, admins_only: bool, user: dict) -> dict:
    kind = entity_type(type_name)
    seq = 1 + (store.get_meta("annotation.seq") or 0)
    store.set_meta("annotation.seq", seq)
    return store.insert("annotation", {"annotation": text, "entitytype": kind, "entityid": entity_id,
                                       "adminsonly": bool(admins_only), "userid": user["id"], "seq": seq})


def _live(store) -> list[dict]:
    rows = [r for r in store.all("annotation") if not r.get("removed")]
    return sorted(rows, key=lambda r: (r["created"], r["seq"]), reverse=True)


def search(store, *, annotation_id: str | None, entity_type_name: str | None, entity_id: str | None,
           user_id: str | None, annotation_filter: str | None, keyword: str | None, caller_user_id: str) -> list[dict]:
    """listAnnotations as the manager answers a root admin."""
    if entity_type_name and annotation_id:
        raise errors.invalid_value("I can search for an annotation on an entity or for a specific annotation, not both")
    if annotation_id and (entity_type_name is not None or entity_id is not None):
        raise errors.invalid_value("I will either search for a specific annotation or for annotations on an entity, "
                                   "not both")
    wanted = (annotation_filter or "all").lower()
    if wanted == "self" and not user_id:
        user_id = caller_user_id
    rows = _live(store)
    if annotation_id:
        return [r for r in rows if r["id"] == annotation_id and r["userid"] == user_id and r["adminsonly"]]
    if entity_type_name:
        rows = [r for r in rows if r["entitytype"] == entity_type_name]
        if entity_id:
            rows = [r for r in rows if r.get("entityid") == entity_id]
    elif entity_id:
        first = next((r for r in rows if r.get("entityid") == entity_id), None)
        if first is None:
            return []
        rows = [r for r in rows if r["entitytype"] == first["entitytype"] and r.get("entityid") == entity_id]
    if user_id:
        rows = [r for r in rows if r["userid"] == user_id]
    if keyword:
        rows = [r for r in rows if keyword.lower() in (r.get("annotation") or "").lower()]
    return rows


def remove(store, annotation_id: str) -> dict:
    row = store.get("annotation", annotation_id)
    if row is None or row.get("removed"):
        raise errors.internal_error(f"Annotation id:{annotation_id} does not exist; cannot remove it")
    return store.update("annotation", row["id"], removed=wire.now_text())


def set_visibility(store, annotation_id: str, admins_only: bool) -> dict:
    row = store.get("annotation", annotation_id)
    if row is None or row.get("removed"):
        raise errors.internal_error(f"Only admins can update annotations' visibility. Cannot update visibility for "
                                    f"annotation with id: {annotation_id} - Annotation id:{annotation_id} does not exist")
    return store.update("annotation", row["id"], adminsonly=bool(admins_only))
