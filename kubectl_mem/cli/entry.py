"""The executable's first code (`kubectl-mem`, `python -m kubectl_mem`, the release binary).

`kubectl mem version` answers here, before the command line machinery (argparse, typing, the
errors module: ~12 ms of a ~45 ms start) is imported; everything else goes to `cli/run.py`."""

from __future__ import annotations

import sys

from kubectl_mem import __version__


def version_line() -> str:
    return f"kubectl-mem {__version__}\n"


def main() -> int:
    if sys.argv[1:] == ["version"]:
        sys.stdout.write(version_line())
        return 0
    from kubectl_mem.cli.run import main as cli_main

    return cli_main()
