"""Projects: create, resources owned by the project, members, suspend/activate, delete."""
import pytest

from marvin2.client import CloudStackError

from .helpers import ids, listed

pytestmark = [pytest.mark.tags("projects", "smoke"), pytest.mark.requires("projects")]


@pytest.mark.tags("quick-test")
def test_create_project(make, user_api, test_account):
    project = make.project(displaytext="marvin2 project")
    assert project.state == "Active"
    assert project.displaytext == "marvin2 project"
    owners = project.get("owner") or [{"account": project.get("account")}]
    assert test_account.name in [o.get("account") for o in owners]
    assert project.id in ids(user_api.listProjects(id=project.id))


@pytest.mark.tags("deploy-vm", "networks")
@pytest.mark.zone_type("Advanced")
def test_vm_and_network_owned_by_the_project(make, create_network, deploy_vm, user_api):
    project = make.project()
    network = create_network(projectid=project.id)
    assert network.projectid == project.id
    vm = deploy_vm(projectid=project.id, networkids=[network.id])
    assert vm.projectid == project.id
    assert vm.id in ids(user_api.listVirtualMachines(projectid=project.id))
    assert vm.id not in ids(user_api.listVirtualMachines()), "project resources are listed only with projectid"


def test_add_an_account_to_the_project(make, user_api, cloud):
    project = make.project()
    other = make.account(purpose="member")
    user_api.addAccountToProject(projectid=project.id, account=other.name)
    members = {m.account: m.role for m in user_api.listProjectAccounts(projectid=project.id)}
    assert members.get(other.name) == "Regular"
    assert project.id in ids(make.api_for(other).listProjects(id=project.id))


def test_suspend_and_activate(make, user_api):
    project = make.project()
    assert user_api.suspendProject(id=project.id).state == "Suspended"
    assert user_api.activateProject(id=project.id).state == "Active"


def test_delete_project(make, user_api):
    project = make.project()
    user_api.deleteProject(id=project.id)
    assert project.id not in ids(listed(user_api, "listProjects", id=project.id))


@pytest.mark.tags("negative", "isolation")
def test_non_member_cannot_see_the_project(make, user_api):
    project = make.project()
    stranger = make.api_for(make.account(purpose="stranger"))
    assert project.id not in ids(listed(stranger, "listProjects", id=project.id))
    with pytest.raises(CloudStackError) as refused:
        stranger.listVirtualMachines(projectid=project.id)
    assert refused.value.errorcode in (431, 531)
