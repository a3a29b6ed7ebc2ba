"""Sub-commands of the ``marvin2`` command, one module each (see marvin2/cli.py)."""
