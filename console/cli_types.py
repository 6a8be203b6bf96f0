"""The shape of a CLI command entry, shared by cli.py and the modules that add commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
# name -> (handler, one-line summary, example, adds the command's own arguments)
Command = tuple[Handler, str, str, Callable[[argparse.ArgumentParser], None]]
