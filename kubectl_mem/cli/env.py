"""`Env`: the process state a command may touch (stdout, stderr, whether stdout is a terminal, the
environment), passed to every command so that tests can replace it."""

from __future__ import annotations

import os
import sys
from typing import TextIO


class Env:
    """Process state a command may touch, replaceable in tests.

    A plain class, not a dataclass: `dataclasses` imports `inspect` (and ast, dis, tokenize ...),
    a third of the start-up of the release binary.
    """

    def __init__(
        self,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdout_isatty: bool | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.stdout: TextIO = sys.stdout if stdout is None else stdout
        self.stderr: TextIO = sys.stderr if stderr is None else stderr
        self.stdout_isatty: bool = sys.stdout.isatty() if stdout_isatty is None else stdout_isatty
        self.environ: dict[str, str] = dict(os.environ) if environ is None else environ
