"""The local Stripe emulator: localstripe 1.15.10 with payconsole's add-on, on 127.0.0.1.

`EmulatorProcess` runs it as a subprocess; `python -m sync.emulator` (`main`) in the foreground.
Importing this package does not import localstripe.
"""

from sync.emulator.control import ControlClient, EmulatorControlError
from sync.emulator.launcher import EmulatorError, EmulatorProcess, main

__all__ = ["ControlClient", "EmulatorControlError", "EmulatorError", "EmulatorProcess", "main"]
