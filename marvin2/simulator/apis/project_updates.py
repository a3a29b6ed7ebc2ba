"""updateProject (thin: the rules are in services/project_updates.py; the answer is listProjects' rendering)."""
from __future__ import annotations

from marvin2.simulator import errors
from marvin2.simulator.context import Job
from marvin2.simulator.declare import P, api
from marvin2.simulator.services import internal_calls, project_updates
from marvin2.simulator.services.common import record_event


@api("updateProject", response="project", instance_type="Project", related="listProjects",
     description="Renames a project, changes its description, hands its ownership to a member account "
                 "(swapowner) or changes a member's role.",
     params=[P("id", "the project", entity="project"), P("account", "member account: new owner, or whose role changes"),
             P("displaytext", "new description"), P("userid", "member user whose role changes", entity=""),
             P("roletype", "Admin or Regular (with swapowner=false)"),
             P("swapowner", "true (default): make account the owner"), P("name", "new name")])
def update_project(ctx):
    project = ctx.store.get("project", ctx.get("id"))
    if project.get("removed"):
        raise errors.invalid_value(f"Unable to find project by id {project['id']}")

    def run(jctx):
        current = jctx.store.get("project", project["id"])
        row = project_updates.update(jctx, current, name=jctx.get("name"), displaytext=jctx.get("displaytext"),
                                     account_name=jctx.get("account"), user_id=jctx.get("userid"),
                                     role_text=jctx.get("roletype"), swap_owner=jctx.get("swapowner", True))
        record_event(jctx, "PROJECT.UPDATE", f"updating project {row['name']}", resource_id=row["id"],
                     resource_type="Project")
        listed = internal_calls.run_inline(jctx.sim, "listProjects", {"id": row["id"], "listall": "true"},
                                           caller=jctx.caller)
        return listed.items[0]

    return Job(run, instance_id=project["id"])
