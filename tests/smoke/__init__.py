"""The marvin2 smoke pack: short checks of CloudStack features (see README.md here).

A package, so that its module names (``smoke.test_vpc``...) never clash with
test modules of the same name elsewhere in the repository.
"""
