"""Template copies that are refused before any second zone is involved.

Copying into the zone the template is already in, and into a zone that does
not exist. (Split from test_template_copy_zones.py, whose module-scoped
second zone these tests do not need: they run on another worker.)
"""
from __future__ import annotations

import uuid

import pytest

from .helpers import JOB_PARAM_ERROR, entries, expect_error

pytestmark = [pytest.mark.tags("component", "templates", "advanced")]


@pytest.mark.tags("negative")
def test_copy_into_the_same_zone_is_refused(register_template, zone, user_api):
    tmpl = register_template()
    error = expect_error(JOB_PARAM_ERROR, user_api.copyTemplate, id=tmpl.id, sourcezoneid=zone.id, destzoneid=zone.id)
    assert error.errortext == "Please specify different source and destination zones."
    assert [e.zoneid for e in entries(user_api, tmpl.id)] == [zone.id]


@pytest.mark.tags("negative")
def test_copy_to_an_unknown_zone_is_refused(register_template, user_api):
    tmpl = register_template()
    unknown = str(uuid.uuid4())
    error = expect_error(431, user_api.copyTemplate, id=tmpl.id, destzoneid=unknown)
    assert unknown in error.errortext
