"""Console access to VMs: createConsoleEndpoint (the URL of the VM's console, served by the zone's CPVM)."""
from __future__ import annotations

from marvin2.simulator.services.capacity import describe_vm
from marvin2.simulator.declare import P, api, declare_object
from marvin2.simulator.services import systemvm_urls

declare_object("consoleendpoint", {
    "result": ("boolean", "whether an endpoint was made"), "details": "why not, when result is false",
    "url": "the console URL", "websocket": ("map", "token, host, port, path and extra of the VNC websocket")})

# ConsoleAccessManagerImpl: the VM states without a console.
NO_CONSOLE_STATES = ("Stopped", "Error", "Destroyed")


def _refused(details: str) -> dict:
    return {"result": False, "details": details}


@api("createConsoleEndpoint", response="consoleendpoint",
     description="The URL of a running VM's console through the zone's console proxy (https on the proxy's name "
                 "with consoleproxy.sslEnabled and consoleproxy.url.domain). A refusal is result=false with details.",
     params=[P("virtualmachineid", "the VM", entity="virtualmachine"),
             P("token", "extra security token, passed on to the console")])
def create_console_endpoint(ctx):
    # ConsoleAccessManagerImpl.generateConsoleEndpoint answers refusals in the response, never as API errors.
    vm = ctx.store.get("virtualmachine", ctx.get("virtualmachineid"))
    if vm is None or vm.get("removed"):
        return _refused(f"Cannot find VM with ID {ctx.get('virtualmachineid')}")
    if not ctx.caller.is_root_admin and not ctx.can_access(vm):
        return _refused("Permission denied")
    zone = ctx.store.get("zone", vm["zoneid"]) or {}
    if zone.get("type") == "Edge":
        return _refused("Console access is not supported for Edge zones")
    if vm.get("state") in NO_CONSOLE_STATES:
        return _refused(f"Server Internal Error: VM {describe_vm(vm)} must be running to connect console, "
                        "sending blank response for console access request")
    if not vm.get("hostid"):
        return _refused(f"Server Internal Error: VM {describe_vm(vm)} lost host info, sending blank response for "
                        "console access request")
    access = systemvm_urls.console_access(ctx, vm["zoneid"])
    if access is None:
        return _refused("Server Internal Error: Console access will be ready in a few minutes. Please try it again later.")
    websocket = {"token": access.token, "host": access.websocket_host, "port": access.websocket_port,
                 "path": "websockify"}
    if ctx.get("token"):
        websocket["extra"] = ctx.get("token")
    url = access.url + (f"&extra={ctx.get('token')}" if ctx.get("token") else "")
    return {"result": True, "url": url, "websocket": websocket}
