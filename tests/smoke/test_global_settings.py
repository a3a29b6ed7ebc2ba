"""Global settings: list, update and restore, validation of values.

Tests that change a global value are serial (nothing else runs meanwhile)
and restore the old value afterwards (the plugin's ``global_settings`` fixture).
"""
import pytest

from marvin2.client import CloudStackError

from .helpers import only

pytestmark = pytest.mark.tags("global-settings", "smoke")

LB_ALGORITHMS = ("static", "roundrobin", "shuffle")


def _setting(cloud, name):
    return only([c for c in cloud.listConfigurations(name=name) or [] if c.name == name], f"setting {name}")


@pytest.mark.tags("quick-test")
def test_list_tls_and_agent_settings(cloud):
    for name in ("consoleproxy.sslEnabled", "secstorage.encrypt.copy"):
        assert _setting(cloud, name).value in ("true", "false")
    for name in ("consoleproxy.url.domain", "secstorage.ssl.cert.domain"):
        _setting(cloud, name)  # present (its value may be empty)
    assert _setting(cloud, "indirect.agent.lb.algorithm").value in LB_ALGORITHMS


def test_filter_by_category(cloud):
    advanced = cloud.listConfigurations(category="Advanced") or []
    assert advanced and {c.category for c in advanced} == {"Advanced"}


@pytest.mark.serial
@pytest.mark.tags("disruptive", "certificates", "system-vms")
def test_console_proxy_tls_settings(cloud, global_settings):
    global_settings.set("consoleproxy.sslEnabled", "true")
    global_settings.set("consoleproxy.url.domain", "*.marvin2.test")
    assert _setting(cloud, "consoleproxy.sslEnabled").value == "true"
    assert _setting(cloud, "consoleproxy.url.domain").value == "*.marvin2.test"


@pytest.mark.serial
@pytest.mark.tags("disruptive", "certificates", "storage")
def test_secondary_storage_tls_settings(cloud, global_settings):
    global_settings.set("secstorage.encrypt.copy", "true")
    global_settings.set("secstorage.ssl.cert.domain", "*.marvin2.test")
    assert _setting(cloud, "secstorage.encrypt.copy").value == "true"
    assert _setting(cloud, "secstorage.ssl.cert.domain").value == "*.marvin2.test"


@pytest.mark.serial
@pytest.mark.tags("disruptive")
@pytest.mark.parametrize("algorithm", LB_ALGORITHMS)
def test_indirect_agent_lb_algorithm_values(cloud, global_settings, algorithm):
    answer = global_settings.set("indirect.agent.lb.algorithm", algorithm)
    assert (answer.name, answer.value) == ("indirect.agent.lb.algorithm", algorithm)
    assert _setting(cloud, "indirect.agent.lb.algorithm").value == algorithm


def _refused_and_unchanged(cloud, name: str, value: str) -> None:
    before = _setting(cloud, name).value
    with pytest.raises(CloudStackError) as refused:
        cloud.updateConfiguration(name=name, value=value)
    assert refused.value.errorcode == 431
    assert _setting(cloud, name).value == before


@pytest.mark.serial
@pytest.mark.tags("negative")
def test_invalid_lb_algorithm_is_refused(cloud):
    _refused_and_unchanged(cloud, "indirect.agent.lb.algorithm", "fastest")


@pytest.mark.serial
@pytest.mark.tags("negative")
def test_invalid_boolean_is_refused(cloud):
    _refused_and_unchanged(cloud, "consoleproxy.sslEnabled", "perhaps")


@pytest.mark.tags("negative")
def test_unknown_setting_is_refused(cloud):
    with pytest.raises(CloudStackError) as refused:
        cloud.updateConfiguration(name="marvin2.no.such.setting", value="1")
    assert refused.value.errorcode == 431


def test_account_scoped_value_leaves_the_global_one(cloud, global_settings, test_account):
    name = "enable.additional.vm.configuration"
    global_value = _setting(cloud, name).value
    flipped = "false" if global_settings.get(name, accountid=test_account.id) == "true" else "true"
    global_settings.set(name, flipped, accountid=test_account.id)
    assert global_settings.get(name, accountid=test_account.id) == flipped
    assert _setting(cloud, name).value == global_value


@pytest.mark.tags("negative", "roles")
def test_users_may_not_change_settings(user_api, user_api_full_spec):
    assert "updateConfiguration" not in user_api.spec
    with pytest.raises(CloudStackError) as refused:
        user_api_full_spec.updateConfiguration(name="expunge.delay", value="1")
    assert refused.value.errorcode == 432
