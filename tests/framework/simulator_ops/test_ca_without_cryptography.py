"""The simulator does not require ``cryptography``: without it every API module loads and the CA APIs
answer a clear 530 naming the missing package."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_ca_apis_without_cryptography():
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "cryptography" or name.startswith("cryptography."):
                    raise ImportError("blocked for this test")
        sys.meta_path.insert(0, Block())
        from marvin2.simulator import start_simulator
        from marvin2.simulator.errors import ApiError
        from marvin2.simulator.services import ca
        sim = start_simulator(port=0, db=":memory:", profile="instant", seed=None)
        try:
            ca.ca_certificate_pem(sim.store, sim.config_value, None)
        except ApiError as error:
            print(error.errorcode, error.errortext)
        finally:
            sim.stop()
    """)
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "530 The simulator's CA needs the 'cryptography' Python package (pip install cryptography)"
