"""The system VMs' TLS as an operator sees it: the URLs the console proxy and the secondary storage VM serve.

With ``consoleproxy.sslEnabled=true`` and ``consoleproxy.url.domain=*.example.org`` a console endpoint is
``https://a-b-c-d.example.org/...`` (the CPVM's public IP with dashes); a domain without ``*`` is used as it
is. With ``secstorage.encrypt.copy=true`` and ``secstorage.ssl.cert.domain`` set, extracted templates and
volumes download over https from the SSVM's name built the same way. Blank settings give plain http URLs
on the IP addresses.

On a real management server these settings are read at start-up (``isdynamic`` false): run this pack
against it after a restart, or against the simulator, which applies them at once.

The tests that change the settings are serial: every other test waits while they run. What they only read
(a running VM, an extractable volume and template) is made once for the module and shared, so the serial
stretch of a run is short.
"""
import pytest

from .helpers import only

pytestmark = pytest.mark.tags("system-vms", "certificates", "smoke", "advanced")

CONSOLE_PAGE = "/resource/noVNC/vnc.html?autoconnect=true&port="


def _public_ip(cloud, zone, kind):
    running = [vm for vm in cloud.listSystemVms(zoneid=zone.id, systemvmtype=kind) or [] if vm.state == "Running"]
    vm = only(running, f"running {kind}")
    assert vm.get("publicip"), f"the {kind} has a public IP"
    return vm.publicip


def _dashed(address):
    return address.replace(".", "-")


@pytest.fixture
def running_vm(deploy_vm):
    """A VM of the test's own (it may stop it)."""
    return deploy_vm()


@pytest.fixture(scope="module")
def detached_volume(_module_resources, shared_vm, user_api):
    """A data volume that has been on primary storage (attached once), now detached: extractable. Shared."""
    volume = _module_resources.volume()
    user_api.attachVolume(id=volume.id, virtualmachineid=shared_vm.id)
    user_api.detachVolume(id=volume.id)
    return volume


@pytest.fixture(scope="module")
def extractable_template(cloud, _module_resources, detached_volume):
    """A template of the test account made from the module's data volume (ready when its job ends: no
    download), made extractable by the root admin (updateTemplatePermissions). Shared."""
    template = _module_resources.template(volumeid=detached_volume.id)
    cloud.updateTemplatePermissions(id=template.id, isextractable=True)
    return template


def _console_url(user_api, vm):
    endpoint = user_api.createConsoleEndpoint(virtualmachineid=vm.id)
    assert endpoint.result is True, endpoint.get("details")
    assert endpoint.websocket.path == "websockify" and endpoint.websocket.token
    return endpoint.url


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_console_endpoint_is_https_on_the_proxy_name(cloud, zone, global_settings, user_api, shared_vm):
    global_settings.set("consoleproxy.sslEnabled", "true")
    global_settings.set("consoleproxy.url.domain", "*.example.org")
    address = _public_ip(cloud, zone, "consoleproxy")
    url = _console_url(user_api, shared_vm)
    assert url.startswith(f"https://{_dashed(address)}.example.org{CONSOLE_PAGE}"), url


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_console_endpoint_uses_a_static_domain_as_it_is(cloud, zone, global_settings, user_api, shared_vm):
    global_settings.set("consoleproxy.sslEnabled", "true")
    global_settings.set("consoleproxy.url.domain", "console.example.org")
    url = _console_url(user_api, shared_vm)
    assert url.startswith(f"https://console.example.org{CONSOLE_PAGE}"), url


@pytest.mark.serial
@pytest.mark.tags("disruptive")
def test_console_endpoint_is_plain_http_on_the_ip_with_blank_settings(cloud, zone, global_settings, user_api,
                                                                      shared_vm):
    global_settings.set("consoleproxy.sslEnabled", "false")
    global_settings.set("consoleproxy.url.domain", "")
    address = _public_ip(cloud, zone, "consoleproxy")
    url = _console_url(user_api, shared_vm)
    assert url.startswith(f"http://{address}{CONSOLE_PAGE}"), url


@pytest.mark.tags("negative")
def test_console_endpoint_of_a_stopped_vm_is_refused(user_api, running_vm):
    user_api.stopVirtualMachine(id=running_vm.id)
    endpoint = user_api.createConsoleEndpoint(virtualmachineid=running_vm.id)
    assert endpoint.result is False and "must be running to connect console" in endpoint.details
    assert not endpoint.get("url")


@pytest.mark.serial
@pytest.mark.tags("disruptive", "storage")
def test_extracted_volume_downloads_over_https_from_the_storage_vm(cloud, zone, global_settings, user_api,
                                                                   detached_volume):
    global_settings.set("secstorage.encrypt.copy", "true")
    global_settings.set("secstorage.ssl.cert.domain", "*.example.org")
    address = _public_ip(cloud, zone, "secondarystoragevm")
    extracted = user_api.extractVolume(id=detached_volume.id, zoneid=zone.id, mode="HTTP_DOWNLOAD")
    assert extracted.id == detached_volume.id and extracted.state == "DOWNLOAD_URL_CREATED"
    assert extracted.url.startswith(f"https://{_dashed(address)}.example.org/userdata/"), extracted.url


@pytest.mark.serial
@pytest.mark.tags("disruptive", "storage")
def test_extracted_volume_is_plain_http_on_the_ip_with_blank_settings(cloud, zone, global_settings, user_api,
                                                                      detached_volume):
    global_settings.set("secstorage.encrypt.copy", "false")
    global_settings.set("secstorage.ssl.cert.domain", "")
    address = _public_ip(cloud, zone, "secondarystoragevm")
    extracted = user_api.extractVolume(id=detached_volume.id, zoneid=zone.id, mode="HTTP_DOWNLOAD")
    assert extracted.url.startswith(f"http://{address}/userdata/"), extracted.url


@pytest.mark.serial
@pytest.mark.tags("disruptive", "templates")
def test_extracted_template_downloads_over_https_on_a_static_domain(cloud, zone, global_settings, user_api,
                                                                    extractable_template):
    template = extractable_template
    global_settings.set("secstorage.encrypt.copy", "true")
    global_settings.set("secstorage.ssl.cert.domain", "downloads.example.org")
    extracted = user_api.extractTemplate(id=template.id, mode="HTTP_DOWNLOAD", zoneid=zone.id)
    assert extracted.url.startswith("https://downloads.example.org/userdata/"), extracted.url
    # An encrypted copy needs the domain: without one the server falls back to http on the SSVM's IP.
    global_settings.set("secstorage.ssl.cert.domain", "")
    address = _public_ip(cloud, zone, "secondarystoragevm")
    extracted = user_api.extractTemplate(id=template.id, mode="HTTP_DOWNLOAD", zoneid=zone.id)
    assert extracted.url.startswith(f"http://{address}/userdata/"), extracted.url
