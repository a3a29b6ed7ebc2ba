"""Root conftest of the marvin2 checkout.

The plugin itself comes from the ``pytest11`` entry point of the installed
package (``pip install -e ".[test]"``); nothing here duplicates it.

``pytester`` is enabled here because pytest only accepts ``pytest_plugins``
in the rootdir conftest: the framework's own tests (tests/framework/...)
run pytest inside pytest to check the plugin's behaviour end to end.
"""
pytest_plugins = ["pytester"]
