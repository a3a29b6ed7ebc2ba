"""An embedded CloudStack management server speaking the real wire protocol.

``start_simulator()`` runs one in background threads; ``marvin2 simulator``
runs one in the foreground. It imports nothing from marvin2 but ``wire``.
See HANDLERS.md for adding APIs.
"""
from marvin2.simulator.sim import Simulator, start_simulator

__all__ = ["Simulator", "start_simulator"]
