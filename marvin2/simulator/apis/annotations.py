"""Annotations: addAnnotation, listAnnotations, removeAnnotation, updateAnnotationVisibility
(rules in services/annotations.py)."""
from __future__ import annotations

from marvin2.simulator.declare import PAGING, P, api, declare_object
from marvin2.simulator.services import annotations

declare_object("annotation", {"id": "annotation id", "entitytype": "the type of the annotated entity",
                              "entityid": "the annotated entity", "entityname": "its name", "annotation": "the text",
                              "userid": "the author", "username": "the author's name",
                              "adminsonly": ("boolean", "visible to admins only"), "created": ("date", "created"),
                              "removed": ("date", "removed")})


def render_annotation(ctx, row: dict) -> dict:
    user = ctx.store.get("user", row["userid"])
    return {"id": row["id"], "entitytype": row["entitytype"], "entityid": row.get("entityid"),
            "entityname": annotations.entity_name(ctx.store, row), "annotation": row.get("annotation"),
            "userid": row["userid"], "username": user["username"] if user else None,
            "adminsonly": row["adminsonly"], "created": row["created"], "removed": row.get("removed")}


@api("addAnnotation", response="annotation", description="Adds a comment to an entity.",
     params=[P("annotation", "the text"), P("entitytype", "VM, VOLUME, HOST, ZONE, ..."),
             P("entityid", "the entity"), P("adminsonly", "visible to admins only")])
def add_annotation(ctx):
    row = annotations.add(ctx.store, ctx.get("annotation"), ctx.get("entitytype"), ctx.get("entityid"),
                          ctx.get("adminsonly", False), ctx.caller.user)
    ctx.event("ANNOTATION.CREATE", f"creating an annotation on an entity {row['entitytype']} {row.get('entityid')}")
    return render_annotation(ctx, row)


@api("listAnnotations", response="annotation", description="Lists annotations, newest first.",
     params=[*PAGING, P("id", "an annotation"), P("entitytype", "entity type"), P("entityid", "an entity"),
             P("userid", "the author"), P("annotationfilter", "all or self")])
def list_annotations(ctx):
    rows = annotations.search(ctx.store, annotation_id=ctx.get("id"), entity_type_name=ctx.get("entitytype"),
                              entity_id=ctx.get("entityid"), user_id=ctx.get("userid"),
                              annotation_filter=ctx.get("annotationfilter"), keyword=ctx.get("keyword"),
                              caller_user_id=ctx.caller.user["id"])
    return ctx.paginate([render_annotation(ctx, r) for r in rows])


@api("removeAnnotation", response="annotation", description="Removes an annotation.",
     params=[P("id", "the annotation")])
def remove_annotation(ctx):
    row = annotations.remove(ctx.store, ctx.get("id"))
    ctx.event("ANNOTATION.REMOVE", f"removing an annotation on an entity {row['entitytype']} {row.get('entityid')}")
    return render_annotation(ctx, row)


@api("updateAnnotationVisibility", response="annotation", description="Makes an annotation admins-only or not.",
     params=[P("id", "the annotation"), P("adminsonly", "visible to admins only")])
def update_annotation_visibility(ctx):
    return render_annotation(ctx, annotations.set_visibility(ctx.store, ctx.get("id"), ctx.get("adminsonly")))
