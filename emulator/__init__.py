"""A local Bitrix24 stand-in: portals, the OAuth server and a control API.

The emulator imports nothing of the service. `EmulatorServer` runs it on
loopback sockets (every portal on its own port), `create_app` gives the ASGI
app for in-process use, and `EmulatorClient` drives the control API.
"""

from emulator.client import EmulatorClient, EmulatorControlError
from emulator.core import Emulator
from emulator.courier import Courier
from emulator.faults import DroppedConnection
from emulator.limits import LimitSettings
from emulator.registration import AppRegistration
from emulator.server import EmulatorServer
from emulator.web import EmulatorApp, create_app

__all__ = [
    "AppRegistration",
    "Courier",
    "DroppedConnection",
    "Emulator",
    "EmulatorApp",
    "EmulatorClient",
    "EmulatorControlError",
    "EmulatorServer",
    "LimitSettings",
    "create_app",
]
