"""Capability markers: decided from the config (and --hypervisor), with reasons naming both."""
from __future__ import annotations

import pytest

CAPABILITY_PACK = """
    import pytest

    @pytest.mark.requires("vpc")
    def test_needs_vpc(): pass

    @pytest.mark.requires("vpc", "security_groups")
    def test_needs_security_groups(): pass

    @pytest.mark.zone_type("Advanced")
    def test_advanced_zone(): pass

    @pytest.mark.zone_type("Basic")
    def test_basic_zone(): pass

    @pytest.mark.hypervisor("KVM", "XenServer")
    def test_kvm_or_xen(): pass

    @pytest.mark.hypervisor_not("KVM")
    def test_not_on_kvm(): pass

    @pytest.mark.required_hardware(True)
    def test_real_hardware(): pass

    def test_plain(): pass
"""


def outcomes(result) -> dict[str, str]:
    found = {}
    for line in result.outlines:
        for outcome in ("PASSED", "SKIPPED", "ERROR", "FAILED"):
            if f" {outcome}" in line and "::" in line:
                found[line.split("::")[1].split(" ")[0]] = outcome
    return found


def run(pytester, *args):
    return pytester.runpytest_inprocess("-v", "-rs", "-p", "no:cacheprovider",
                                        "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


def test_decisions_and_reasons_for_a_real_cloud(pytester, pack, offline_config):
    pack(test_caps=CAPABILITY_PACK)
    result = run(pytester, "--marvin-config", str(offline_config))
    assert outcomes(result) == {
        "test_needs_vpc": "PASSED",
        "test_needs_security_groups": "SKIPPED",
        "test_advanced_zone": "PASSED",
        "test_basic_zone": "SKIPPED",
        "test_kvm_or_xen": "PASSED",
        "test_not_on_kvm": "SKIPPED",
        "test_real_hardware": "PASSED",   # a real KVM cloud has real hardware
        "test_plain": "PASSED",
    }
    text = result.stdout.str()
    # reasons name the capability/value and the config file; the location is the test's, not the plugin's
    assert ("test_caps.py:7: requires capability 'security_groups', not listed under `capabilities` in config "
            "offline.yaml (it lists: projects, vpc)") in text
    assert "needs a Basic zone; config offline.yaml has zone_network_type Advanced" in text
    assert "not for hypervisor KVM (config offline.yaml)" in text
    assert "markers.py" not in text


def test_hypervisor_option_overrides_the_config(pytester, pack, offline_config):
    pack(test_caps=CAPABILITY_PACK)
    result = run(pytester, "--marvin-config", str(offline_config), "--hypervisor", "VMware",
                 "-k", "kvm_or_xen or not_on_kvm")
    assert outcomes(result) == {"test_kvm_or_xen": "SKIPPED", "test_not_on_kvm": "PASSED"}
    assert "needs hypervisor KVM or XenServer; --hypervisor says VMware" in result.stdout.str()


def test_simulator_config_skips_hardware_tests_without_starting_anything(pytester, pack, simulator_config):
    pack(test_caps=CAPABILITY_PACK)
    result = run(pytester, "--marvin-config", str(simulator_config))
    found = outcomes(result)
    assert found["test_real_hardware"] == "SKIPPED"
    assert found["test_not_on_kvm"] == "PASSED"       # hypervisor is Simulator
    assert found["test_kvm_or_xen"] == "SKIPPED"
    assert ("required_hardware=True needs a real hypervisor, but config simulator.yaml runs the embedded "
            "simulator") in result.stdout.str()
    # capability decisions read the config only: no simulator was started for them
    assert not list(pytester.path.glob(".marvin2/runs/*/shared/simulator.log"))


def test_undecidable_markers_fail_clearly(pytester, pack):
    pack(test_one="""
        import pytest

        @pytest.mark.requires("vpc")
        def test_needs_vpc(): pass

        def test_plain(): pass
    """)
    result = run(pytester)  # no configs/simulator.yaml in this directory
    assert outcomes(result) == {"test_needs_vpc": "FAILED", "test_plain": "PASSED"} or \
        outcomes(result) == {"test_needs_vpc": "ERROR", "test_plain": "PASSED"}
    assert "cannot decide capability markers: marvin2 config" in result.stdout.str()
    assert "simulator.yaml does not exist (the default; choose one with --marvin-config" in result.stdout.str()


def test_config_without_zone_type_says_so(pytester, pack):
    (pytester.path / "bare.yaml").write_text(
        "management_servers:\n  - url: http://127.0.0.1:9/client/api\n    api_key: k\n    secret_key: s\n")
    pack(test_one="""
        import pytest

        @pytest.mark.zone_type("Advanced")
        def test_advanced(): pass

        @pytest.mark.hypervisor_not("Simulator")
        def test_not_sim(): pass
    """)
    result = run(pytester, "--marvin-config", "bare.yaml")
    assert outcomes(result) == {"test_advanced": "SKIPPED", "test_not_sim": "SKIPPED"}
    text = result.stdout.str()
    assert "needs a Advanced zone, but config bare.yaml does not set zone_network_type" in text
    assert "config bare.yaml does not set hypervisor" in text
