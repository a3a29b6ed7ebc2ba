"""Tags: the vocabulary, collection errors for typos, -m identifiers, --tags semantics."""
from __future__ import annotations

import pytest

from marvin2.pytest_plugin import vocabulary
from marvin2.pytest_plugin.markers import TagClause, parse_tag_expressions, select

TAGGED_PACK = """
    import pytest

    @pytest.mark.tags("quick-test", "deploy-vm")
    def test_quick_deploy(): pass

    @pytest.mark.tags("deploy-vm", "slow")
    def test_slow_deploy(): pass

    @pytest.mark.tags("vpc")
    def test_vpc(): pass

    @pytest.mark.tags("network")          # the alias
    def test_network_alias(): pass

    @pytest.mark.tags("networks", "quick-test")
    class TestNetworks:
        def test_in_class(self): pass

    def test_untagged(): pass
"""

def selected(result) -> set[str]:
    """Names of the tests that passed (every test in TAGGED_PACK passes)."""
    names = set()
    for line in result.outlines:
        if line.endswith(" PASSED") or " PASSED " in line:
            names.add(line.split("::")[-1].split(" ")[0])
    return names


def run(pytester, *args):
    # in-process: about a second per run saved on this slow shared machine
    return pytester.runpytest_inprocess("-v", "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                        *args)


# --- the registry --------------------------------------------------------------------


def test_vocabulary_has_the_design_tags():
    for tag in ("advanced", "basic", "sg", "advancedsg", "advancedns", "eip", "quick-test", "deploy-vm", "vpc",
                "templates", "roles", "service-offerings", "storage", "routers", "networks", "usage", "accounts",
                "smoke", "component", "negative", "slow", "disruptive", "simulator-only"):
        assert tag in vocabulary.TAGS, tag
    assert vocabulary.canonical("network") == "networks"


@pytest.mark.parametrize("typo, expected", [
    ("adeancedsg", "advancedsg"), ("smokes", "smoke"), ("Simulator", "simulator-only"),
    ("quick_test", "quick-test"), ("deploy-vms", "deploy-vm"), ("netwrk", "networks"),
])
def test_unknown_tags_suggest_the_closest(typo, expected):
    with pytest.raises(vocabulary.UnknownTagError) as caught:
        vocabulary.canonical(typo)
    assert caught.value.suggestion == expected
    assert f"did you mean {expected!r}" in str(caught.value)


def test_no_suggestion_for_nonsense():
    with pytest.raises(vocabulary.UnknownTagError) as caught:
        vocabulary.canonical("zzzzqqq")
    assert caught.value.suggestion is None
    assert "did you mean" not in str(caught.value)


# --- --tags semantics (pure) --------------------------------------------------------------


def test_comma_is_and_repeat_is_or_bang_is_not():
    clauses = parse_tag_expressions(["deploy-vm,!slow", "vpc"])
    assert clauses == [TagClause(frozenset({"deploy-vm"}), frozenset({"slow"})),
                       TagClause(frozenset({"vpc"}), frozenset())]
    assert select(clauses, ["deploy-vm", "quick-test"])
    assert not select(clauses, ["deploy-vm", "slow"])
    assert select(clauses, ["vpc", "slow"])
    assert not select(clauses, ["networks"])
    assert not select(clauses, [])
    assert select([], [])  # no --tags: everything


def test_tag_expressions_reject_typos_and_contradictions():
    with pytest.raises(pytest.UsageError, match="did you mean 'quick-test'"):
        parse_tag_expressions(["quik-test"])
    with pytest.raises(pytest.UsageError, match="empty tag"):
        parse_tag_expressions(["vpc,,slow"])
    with pytest.raises(pytest.UsageError, match="both required and excluded"):
        parse_tag_expressions(["vpc,!vpc"])
    assert parse_tag_expressions([" network , !slow "])[0].required == {"networks"}


# --- end to end ----------------------------------------------------------------------------


def test_typo_in_a_marker_is_a_collection_error_naming_the_closest_tag(pytester, pack):
    pack(test_typo="""
        import pytest

        @pytest.mark.tags("adeancedsg", "smoke")
        def test_one(): pass

        def test_two(): pass
    """)
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting test_typo.py*",
        "*test_typo.py::test_one: unknown tag 'adeancedsg'; did you mean 'advancedsg'?*",
    ])
    result.assert_outcomes(errors=1)


MISUSED = {
    "test_bad_empty": ('tags()', "needs at least one tag"),
    "test_bad_type": ('tags(3)', "tag names are strings"),
    "test_bad_hardware": ('required_hardware("maybe")', "expected True or False"),
    "test_bad_capability": ('requires("vpcc")', "unknown capability 'vpcc'; did you mean 'vpc'?"),
    "test_bad_zone_type": ('zone_type("advanced")', "zone_type takes one of Advanced, Basic"),
    "test_bad_hypervisor": ('hypervisor_not("KMV")', "unknown hypervisor 'KMV'; did you mean 'KVM'?"),
}


def test_misused_markers_are_collection_errors(pytester, pack):
    for module, (marker, _) in MISUSED.items():
        pack(**{module: f"""
            import pytest

            @pytest.mark.{marker}
            def test_one(): pass
        """})
    pack(test_fine="def test_fine(): pass")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=len(MISUSED))
    text = result.stdout.str()
    for module, (_, message) in MISUSED.items():
        assert f"{module}.py::test_one: " in text and message in text, module


def test_dash_m_selects_by_identifier_marker(pytester, pack):
    pack(test_pack=TAGGED_PACK)
    assert selected(run(pytester, "-m", "quick_test or (deploy_vm and not slow)")) == {"test_quick_deploy",
                                                                                       "test_in_class"}
    # canonical and alias identifiers both reach every networks-tagged test, whichever spelling it used
    assert selected(run(pytester, "-m", "network and networks")) == {"test_network_alias", "test_in_class"}


def test_tags_option_keeps_marvin_semantics(pytester, pack):
    pack(test_pack=TAGGED_PACK)
    result = run(pytester, "--tags", "deploy-vm,!slow", "--tags", "vpc", "--tags", "network,quick-test")
    assert selected(result) == {"test_quick_deploy", "test_vpc", "test_in_class"}
    result.assert_outcomes(passed=3, deselected=3)
    assert selected(run(pytester, "--tags", "network")) == {"test_network_alias", "test_in_class"}


def test_tags_option_with_a_typo_is_a_usage_error(pytester, pack):
    pack(test_pack=TAGGED_PACK)
    result = run(pytester, "--tags", "quick-test,deploy-mv")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown tag 'deploy-mv'; did you mean 'deploy-vm'?" in result.stderr.str()


def test_required_hardware_selection(pytester, pack):
    pack(test_hw="""
        import pytest

        @pytest.mark.required_hardware(True)
        def test_needs_hardware(): pass

        @pytest.mark.required_hardware("false")     # Marvin's spelling works too
        def test_business_logic(): pass

        def test_unmarked(): pass
    """)
    # No config exists here: selection and required_hardware(False) must not need one.
    assert selected(run(pytester, "--required-hardware", "false")) == {"test_business_logic", "test_unmarked"}
    result = run(pytester, "--required-hardware", "maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--required-hardware: invalid true|false value: 'maybe'" in result.stderr.str()


def test_markers_lists_every_tag_with_its_description(pytester):
    result = run(pytester, "--markers")
    text = result.stdout.str()
    for tag, description in vocabulary.TAGS.items():
        assert f"@pytest.mark.{vocabulary.marker_name(tag)}: tag '{tag}': {description}" in text
    for name in ("tags(*tags)", "required_hardware(flag)", "requires(*capabilities)", "zone_type(type)",
                 "hypervisor(*names)", "hypervisor_not(*names)", "serial"):
        assert f"@pytest.mark.{name}" in text
