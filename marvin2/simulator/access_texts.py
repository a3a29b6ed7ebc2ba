"""CloudStack 4.20's permission-denied texts and the way they print accounts and domains.

Tests written against a real server match these texts (``does not have permission to operate within
domain``, ``Unable to use network``, ``Can't create/list resources for account`` ...), so the simulator
builds them the same way. The Java objects print themselves as ``Account [{"id":2,"accountName":"admin",
"uuid":"..."}]`` and ``Domain {"id":1,"name":"ROOT","path":"/","uuid":"..."}`` (AccountVO/DomainVO
``toString``: selected fields as JSON, in declaration order); ``id`` there is the database number.

A core module (it imports only ``errors``): the request context, the list scope and services all use it.
"""
from __future__ import annotations

from marvin2.simulator import errors

# DomainChecker.validateCallerHasAccessToEntityOwner: the text for any owned row the caller may not touch.
NO_ACCESS_TO_RESOURCE = "Caller does not have permission to operate with provided resource."


def account_number(store, account: dict) -> int:
    """A stable small number for an account (the ``2`` of ``i-2-15-VM``): 2 is the first admin."""
    if account.get("internalid"):
        return int(account["internalid"])
    key = f"acctno.{account['id']}"
    number = store.get_meta(key)
    if number is None:
        if account.get("accounttype") == 1 and account.get("name") == "admin":
            number = 2
        else:
            number = int(store.get_meta("seq.account", 0)) + 1
            store.set_meta("seq.account", number)
            number += 2
        store.set_meta(key, number)
    return int(number)


def domain_number(domain: dict) -> int | str:
    return domain.get("internalid", domain["id"])


def account_text(store, account: dict) -> str:
    return (f'Account [{{"id":{account_number(store, account)},"accountName":"{account.get("name")}",'
            f'"uuid":"{account["id"]}"}}]')


def domain_text(domain: dict) -> str:
    return (f'Domain {{"id":{domain_number(domain)},"name":"{domain.get("name")}","path":"{domain.get("path")}",'
            f'"uuid":"{domain["id"]}"}}')


def outside_domain(store, caller_account: dict, domain: dict) -> errors.ApiError:
    """DomainChecker.checkAccess(Account, Domain): the caller may not work in ``domain``."""
    return errors.permission_denied(f"Account {account_text(store, caller_account)} does not have permission to "
                                    f"operate within domain id={domain['id']}")


def no_access_to_resource() -> errors.ApiError:
    return errors.permission_denied(NO_ACCESS_TO_RESOURCE)


def not_for_other_account(account_name: str, domain: dict | None, domain_id: str) -> errors.ApiError:
    """AccountManagerImpl.finalizeOwner: a user named another account (the text shows the domain's number)."""
    number = domain_number(domain) if domain else domain_id
    return errors.permission_denied(
        f"Can't create/list resources for account {account_name} in domain {number}, permission denied")


def unable_to_use_network(network_id: str) -> errors.ApiError:
    """NetworkModelImpl.checkAccountNetworkPermissions."""
    return errors.permission_denied(f"Unable to use network with id= {network_id}, permission denied")


def shared_network_not_in_domain(network_id: str, domain_id: str) -> errors.ApiError:
    """NetworkModelImpl.checkDomainNetworkPermissions."""
    return errors.permission_denied(f"Shared network id={network_id} is not available in domain id={domain_id}")


def network_text(network: dict) -> str:
    number = network.get("internalid", network["id"])
    offering = network.get("networkofferingnumber", network.get("networkofferingid"))
    return (f'Network {{"id": {number}, "name": "{network.get("name")}", "uuid": "{network["id"]}", '
            f'"networkofferingid": {offering}}}')


def network_not_operable(store, network: dict, caller_account: dict, caller_kind: str) -> errors.ApiError:
    """NetworkModelImpl.checkNonSharedNetworkOperatePermissions (``caller_kind``: "normal user", "domain admin")."""
    return errors.permission_denied(f"network {network_text(network)} cannot be operated by {caller_kind} "
                                    f"{account_text(store, caller_account)}")


def template_text(template: dict) -> str:
    """VMTemplateVO.toString."""
    number = template.get("internalid", template["id"])
    return (f'Template {{"id":{_json(number)},"uuid":"{template["id"]}","name":"{template.get("name")}",'
            f'"uniqueName":"{template.get("uniquename") or template.get("name")}","format":"{template.get("format")}"}}')


def no_launch_permission(store, account: dict, template: dict) -> errors.ApiError:
    """DomainChecker.checkAccess for a private template the account neither owns nor was given."""
    return errors.permission_denied(f"Account {account_text(store, account)} does not have permission to launch "
                                    f"instances from template {template_text(template)}")


def only_own_public_templates() -> errors.ApiError:
    return errors.permission_denied("Domain Admin and regular users can modify only their own Public templates")


def _json(value) -> str:
    return str(value) if isinstance(value, int) else f'"{value}"'
