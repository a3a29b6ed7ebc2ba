"""Templates: register, create from a volume, update, permissions, extract,
copy, delete.

Tests that wait for a registered template to download need a cloud that can
fetch the URL: the simulator, a config with the `internet_access`
capability, or a test_data ``template_url`` the cloud can reach.
"""
import pytest

from marvin2 import resources as r
from marvin2.client import CloudStackError

from .helpers import ids, listed, only, skip_unless_downloadable

pytestmark = pytest.mark.tags("templates", "smoke", "advanced")


@pytest.fixture
def downloadable(marvin2_config):
    skip_unless_downloadable(marvin2_config, "template_url", "templates")


@pytest.fixture
def ready_template(downloadable, make, user_api, job_timeout):
    """A template the test user registered, downloaded and extractable."""
    registered = make.register_template(isextractable=True)
    return r.wait_for_template_ready(user_api, registered.id, timeout=job_timeout)


@pytest.mark.tags("quick-test")
def test_register_template(make, user_api, zone, template, test_account):
    registered = make.register_template(passwordenabled=True)
    assert registered.ispublic is False
    assert registered.ostypeid == template.ostypeid
    assert registered.zoneid == zone.id
    assert registered.account == test_account.name
    assert registered.passwordenabled is True
    assert registered.templatetype == "USER"
    assert registered.id in ids(user_api.listTemplates(templatefilter="self", id=registered.id))


def test_registered_template_becomes_ready_and_deployable(ready_template, deploy_vm):
    assert ready_template.isready is True
    vm = deploy_vm(templateid=ready_template.id)
    assert (vm.state, vm.templateid) == ("Running", ready_template.id)


def test_template_from_a_stopped_vms_root_volume(deploy_vm, create_template, user_api, template):
    vm = deploy_vm()
    r.stop_vm(user_api, vm.id)
    root = only(user_api.listVolumes(virtualmachineid=vm.id, type="ROOT"))
    created = create_template(volumeid=root.id, passwordenabled=True)
    assert created.isready is True
    assert created.ostypeid == template.ostypeid
    assert created.passwordenabled is True
    assert created.id in ids(user_api.listTemplates(templatefilter="self"))


def test_update_template(make, user_api):
    registered = make.register_template()
    updated = user_api.updateTemplate(id=registered.id, displaytext="marvin2 updated", name=registered.name + "-x")
    assert (updated.displaytext, updated.name) == ("marvin2 updated", registered.name + "-x")


def test_public_template_is_visible_to_other_accounts(ready_template, make, user_api):
    # "executable" lists only ready templates: the template must have downloaded
    registered = ready_template
    other = make.api_for(make.account(purpose="other"))
    assert registered.id not in ids(listed(other, "listTemplates", templatefilter="executable", id=registered.id))

    user_api.updateTemplatePermissions(id=registered.id, ispublic=True)
    assert registered.id in ids(other.listTemplates(templatefilter="executable", id=registered.id))

    user_api.updateTemplatePermissions(id=registered.id, ispublic=False)
    assert registered.id not in ids(listed(other, "listTemplates", templatefilter="executable", id=registered.id))


def test_share_with_one_account(ready_template, make, user_api):
    registered = ready_template
    other_keys = make.account(purpose="other")
    other = make.api_for(other_keys)
    user_api.updateTemplatePermissions(id=registered.id, op="add", accounts=[other_keys.name])
    permissions = user_api.listTemplatePermissions(id=registered.id)
    permission = permissions[0] if isinstance(permissions, list) else permissions
    assert permission.id == registered.id
    assert other_keys.name in (permission.get("account") or [])
    assert registered.id in ids(other.listTemplates(templatefilter="sharedexecutable"))

    user_api.updateTemplatePermissions(id=registered.id, op="remove", accounts=[other_keys.name])
    assert registered.id not in ids(listed(other, "listTemplates", templatefilter="sharedexecutable"))


def test_extract_template(ready_template, user_api):
    extracted = user_api.extractTemplate(id=ready_template.id, mode="HTTP_DOWNLOAD")
    assert extracted.id == ready_template.id
    assert extracted.extractMode == "HTTP_DOWNLOAD"
    assert extracted.url.startswith(("http://", "https://"))


@pytest.mark.tags("negative")
def test_extract_of_a_non_extractable_template_is_refused(downloadable, make, user_api, job_timeout):
    registered = make.register_template(isextractable=False)
    r.wait_for_template_ready(user_api, registered.id, timeout=job_timeout)
    with pytest.raises(CloudStackError) as refused:
        user_api.extractTemplate(id=registered.id, mode="HTTP_DOWNLOAD")
    assert refused.value.errorcode == 431


@pytest.mark.tags("negative")
def test_copy_to_the_same_zone_is_refused(ready_template, cloud, zone):
    with pytest.raises(CloudStackError) as refused:
        cloud.copyTemplate(id=ready_template.id, sourcezoneid=zone.id, destzoneid=zone.id)
    assert refused.value.errorcode == 431


@pytest.mark.requires("multiple_zones")
def test_copy_to_another_zone(ready_template, cloud, zone, user_api, job_timeout):
    other_zone = next(z for z in cloud.listZones() if z.id != zone.id)
    cloud.copyTemplate(id=ready_template.id, sourcezoneid=zone.id, destzoneid=other_zone.id)
    copies = user_api.listTemplates(templatefilter="self", id=ready_template.id) or []
    assert {zone.id, other_zone.id} <= {c.zoneid for c in copies}


def test_delete_template(make, user_api):
    registered = make.register_template()
    user_api.deleteTemplate(id=registered.id)
    assert registered.id not in ids(listed(user_api, "listTemplates", templatefilter="self", id=registered.id))


def test_featured_templates_include_the_test_template(user_api, template, zone):
    # One entry per zone the template is in: ask for the zone under test.
    visible = ids(user_api.listTemplates(templatefilter="executable", id=template.id, zoneid=zone.id))
    assert visible == [template.id], "the configured template is usable by every account"
