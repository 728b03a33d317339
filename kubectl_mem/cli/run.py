"""The command line's dispatch: parse, run the command, turn failures into one line and an exit code.

`cli/entry.py` hands every command but `version` to `main` here.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable
from contextlib import ExitStack

from kubectl_mem.cli.entry import version_line
from kubectl_mem.cli.env import Env
from kubectl_mem.cli.parser import build_parser
from kubectl_mem.errors import ExitStatus, KubectlMemError, UsageError


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["__complete"]:  # cobra's completion request, what the kubectl_complete-mem shim sends
        from kubectl_mem.cli.completion import main as complete

        return complete(args[1:])
    env = env or Env()
    try:
        return int(_run(args, env))
    except KubectlMemError as e:
        print(f"error: {e}", file=env.stderr)
        return int(e.exit_status)
    except KeyboardInterrupt as e:  # Ctrl-C; SIGTERM while collector pods run (kube/collector_run.Terminated)
        print(getattr(e, "message", "interrupted"), file=env.stderr)
        return int(getattr(e, "exit_code", 130))
    except BrokenPipeError:
        # `kubectl mem top | head`: the reader left; exit quietly as other tools do
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0


def _sort_direction_values(argv: list[str]) -> list[str]:
    """`--sort-by -name` (a sort key with its `-` direction prefix) as `--sort-by=-name`: argparse
    would take `-name` for an option. Single letters (`--sort-by -A`) stay options."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            out += argv[i:]
            break
        if a == "--sort-by" and i + 1 < len(argv) and _SORT_DESCENDING.fullmatch(argv[i + 1]):
            out.append(f"--sort-by={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


_SORT_DESCENDING = re.compile(r"-[a-z][a-z-]+")


def _run(argv: list[str], env: Env) -> ExitStatus:
    parser = build_parser()
    opts = parser.parse_args(_sort_direction_values(argv))
    if opts.command is None:
        parser.print_help(env.stderr)
        return ExitStatus.USAGE
    if opts.command == "version":
        env.stdout.write(version_line())
        return ExitStatus.OK
    command = _command(opts.command)
    with ExitStack() as stack:
        if opts.demo:
            if opts.kubeconfig or opts.context:
                raise UsageError(
                    "--demo runs its own cluster: it cannot be combined with --kubeconfig or --context"
                )
            from kubectl_mem.cli.demo import demo_kubeconfig

            opts.kubeconfig = stack.enter_context(demo_kubeconfig())
        return command(opts, env)


def _command(name: str) -> Callable[[argparse.Namespace, Env], ExitStatus]:
    """The command's function, from its own module, imported only when it runs (`top -o json` never
    loads the explain or cgroups code)."""
    if name == "top":
        from kubectl_mem.cli.top import top

        return top
    if name == "nodes":
        from kubectl_mem.cli.nodes import nodes

        return nodes
    if name == "workloads":
        from kubectl_mem.cli.workloads import workloads

        return workloads
    if name == "explain":
        from kubectl_mem.cli.explain import explain

        return explain
    assert name == "cgroups", name
    from kubectl_mem.cli.cgroups import cgroups

    return cgroups
