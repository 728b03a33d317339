"""Command line: flags -> options, dispatch to commands, every failure mapped to an exit code."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["version"]:
        from kubectl_mem import __version__

        print(f"kubectl-mem {__version__}")
        return 0
    print("usage: kubectl mem {top,nodes,explain,cgroups,version} ...", file=sys.stderr)
    return 2
