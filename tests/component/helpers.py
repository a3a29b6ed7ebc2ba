"""Plain helpers of the component pack (no fixtures here: those are in conftest.py and the plugin)."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from marvin2.client import CloudStackError
from marvin2.resources.base import Created
from marvin2.resources.lookup import listed  # noqa: F401 - re-exported: 431 / "does not exist" -> []
from marvin2.resources.naming import unique_name
from marvin2.resources.settings import setting_value  # noqa: F401 - re-exported for the pack's modules
from marvin2.resources.waiters import wait_until  # noqa: F401 - re-exported for the pack's modules


def ids(items: list | None) -> list[str]:
    return [item["id"] for item in items or []]


def only(items: Any, what: str = "item") -> Any:
    """The single element of a list answer; a clear assertion error otherwise."""
    assert isinstance(items, list) and len(items) == 1, f"expected exactly one {what}, got {items!r}"
    return items[0]


# An InvalidParameterValueException raised while an async job runs is reported
# with the job's result code 530 by older servers and 431 by newer ones (the
# job dispatcher learnt to map it to PARAM_ERROR); both are CloudStack.
JOB_PARAM_ERROR = (431, 530)


def expect_error(errorcode: int | tuple[int, ...], call: Callable[..., Any], *args: Any, **kwargs: Any) -> CloudStackError:
    """Run ``call``; it must raise a CloudStackError with ``errorcode`` (or one of several). Returns the error."""
    with pytest.raises(CloudStackError) as caught:
        call(*args, **kwargs)
    error = caught.value
    wanted = errorcode if isinstance(errorcode, tuple) else (errorcode,)
    assert error.errorcode in wanted, (
        f"{error.command}: expected error {errorcode}, got {error.errorcode}: {error.errortext}")
    return error


def refused_api_text(api_name: str, account_name: str) -> re.Pattern:
    """The 432 text of a command the caller's role may not call: 4.20 names the calling user's uuid
    (``... for the account for user id [<uuid>].``), 4.18-4.19 the account's toString (``Account [{...}]``
    with its ``accountName``)."""
    return re.compile(
        rf"The API \[{re.escape(api_name)}\] does not exist or is not available for the account "
        rf"(for user id \[[0-9a-f-]{{36}}\]|Account \[.*\"accountName\":\"{re.escape(account_name)}\".*\])\.")


def nic_ips(vm: Any) -> list[str]:
    return [nic["ipaddress"] for nic in vm.get("nic") or [] if nic.get("ipaddress")]


def send_deploys(factory: Any, specs: list[dict], *, purpose: str = "par") -> list:
    """Send several deploys without waiting (wait=False), so their jobs overlap on the server.

    ``factory`` is the plugin's ResourceFactory (``resource_factory`` or
    ``module_factory``); each spec holds deployVirtualMachine parameters
    (default: the test's zone, offering and template) plus optional ``api``
    (default: the test user). Each VM is registered for cleanup the moment
    its id is known. Returns the immediate answers (``id``, ``jobid``) in spec order.
    """
    defaults = {"zoneid": factory.fixture("zone")["id"], "serviceofferingid": factory.fixture("service_offering")["id"],
                "templateid": factory.fixture("template")["id"]}
    answers = []
    for spec in specs:
        spec = dict(spec)
        api, owner = factory.api_and_owner(spec.pop("api", None))
        name = unique_name(purpose, factory.run_id)
        answer = api.deployVirtualMachine(**{**defaults, "name": name, "displayname": name, **spec}, wait=False)
        factory.tracker.on_created_by(owner)(Created("vm", answer["id"], "deployVirtualMachine", name))
        answers.append(answer)
    return answers


def deploy_parallel(factory: Any, specs: list[dict], *, purpose: str = "par") -> list:
    """:func:`send_deploys`, then every job waited for together; the VM records in spec order.

    A failed deploy raises (after every job has ended).
    """
    answers = send_deploys(factory, specs, purpose=purpose)
    # The root admin may poll every account's jobs: one polling loop for all of them.
    return factory.fixture("cloud").wait_for_jobs([a["jobid"] for a in answers],
                                                  timeout=factory.job_timeout("deployVirtualMachine") or 600)


def entries(api, template_id: str, **filters) -> list:
    """One listTemplates entry per zone the template is in."""
    return listed(api, "listTemplates", templatefilter="self", id=template_id, **filters)
