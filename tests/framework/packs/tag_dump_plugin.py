"""A pytest plugin (loaded with ``-p``) that writes every collected test's tags
to the JSON file named by $MARVIN2_TAG_DUMP, independently of any selection."""
import json
import os


def pytest_collection_modifyitems(config, items):
    # Runs before marvin2's own selection hooks deselect anything (tryfirst
    # is not needed: we only read, and we dump the full collection).
    dump = {}
    for item in items:
        tags = set()
        for mark in item.iter_markers("tags"):
            tags.update(str(tag) for tag in mark.args)
        dump[item.nodeid] = sorted(tags)
    with open(os.environ["MARVIN2_TAG_DUMP"], "w", encoding="utf-8") as out:
        json.dump(dump, out)


pytest_collection_modifyitems.tryfirst = True
