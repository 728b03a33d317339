"""The command line's grammar: every command, flag and help text (argparse), kubectl's conventions.

kubectl execs `kubectl-mem` with the words after `mem` and the unchanged environment, so every
kubectl flag we honour (--kubeconfig, --context, -n ...) is defined here. Completion reads this
parser too (cli/completion.py), so a new flag completes without changes there.
"""

from __future__ import annotations

import argparse

from kubectl_mem.cli.entry import version_line
from kubectl_mem.errors import UsageError
from kubectl_mem.kube import collector_access as access
from kubectl_mem.kube.protocol import DEFAULT_PROTOCOL, PROTOCOLS

PROG = "kubectl mem"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, kubectl style, exit code USAGE
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common(
    p: argparse.ArgumentParser, *, outputs: tuple[str, ...] = ("table", "wide", "json", "yaml")
) -> None:
    g = p.add_argument_group("cluster access (as kubectl)")
    g.add_argument(
        "--kubeconfig", help="path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
    g.add_argument("--context", help="the kubeconfig context to use")
    g.add_argument("-n", "--namespace", help="the namespace (default: the context's namespace)")
    g.add_argument(
        "--request-timeout",
        default=None,
        help='time to wait for each request, e.g. 5s, 1m ("0": no timeout)',
    )
    g.add_argument("--demo", action="store_true", help="run against the built-in simulated cluster")
    g.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default=DEFAULT_PROTOCOL,
        help=f"how pods and nodes travel: protobuf (as kubectl) or json (default {DEFAULT_PROTOCOL}); "
        "metrics are always JSON",
    )
    p.add_argument(
        "-o",
        "--output",
        type=lambda s: s.lstrip("="),
        choices=outputs,
        help="output format: " + "|".join(outputs),
    )
    p.add_argument("--no-headers", action="store_true", help="do not print headers in table output")
    p.add_argument(
        "--eviction-hard",
        default="memory.available<100Mi",
        metavar="THRESHOLD",
        help="the kubelets' hard eviction threshold for memory, as in their config "
        "(default memory.available<100Mi; also e.g. memory.available<5%%)",
    )


def _collector_flags(p: argparse.ArgumentParser, *, switch: bool) -> None:
    """The collector pod's settings, shared by `cgroups` and the `--cgroups` of top/nodes/explain."""
    g = p.add_argument_group(
        "cgroups: the kernel's figures, from one short-lived collector pod per node",
        f"The collector needs {access.needs()}.",
    )
    if switch:
        g.add_argument(
            "--cgroups",
            action="store_true",
            help="also collect the kernel's memory breakdown (anon, page cache, kernel, OOM kills ...) "
            "of the nodes involved",
        )
    g.add_argument(
        "--image",
        default=None,
        help="collector image, must have a POSIX shell and awk (default busybox:1.36)",
    )
    g.add_argument(
        "--collector-namespace",
        metavar="NS",
        default=access.NAMESPACE,
        help=f"where the collector pods run (default {access.NAMESPACE}, as docs/install.md sets it up); "
        f'it must allow Pod Security "{access.POD_SECURITY_LEVEL}"',
    )
    g.add_argument(
        "--pending-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="give up on a collector pod still Pending after this long (default 60)",
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not seconds >= 0.5:
        raise argparse.ArgumentTypeError(f"must be at least 0.5 seconds, got {value}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Where Kubernetes memory goes and what will be killed next.",
        epilog="exit codes: 0 ok, 1 error, 2 usage, 3 partial results (a source was missing), 4 not found",
    )
    parser.add_argument("--version", action="version", version=version_line().strip())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    top = sub.add_parser("top", help="pods by memory risk: working set vs request and limit, eviction order")
    _common(top)
    top.add_argument("-A", "--all-namespaces", action="store_true", help="list pods in all namespaces")
    top.add_argument("-l", "--selector", default="", help="label selector, e.g. app=api,tier!=cache")
    top.add_argument("--field-selector", default="", help="field selector, e.g. status.phase=Running")
    top.add_argument("--node", default="", help="only the pods on this node")
    top.add_argument(
        "--sort-by", default="risk", help="risk (default), memory, pct-limit, request, limit, ..."
    )
    top.add_argument("--containers", action="store_true", help="one row per container")
    top.add_argument(
        "--hide-terminated",
        action="store_true",
        help="leave out ended pods (Succeeded, Failed, Evicted: history, no live risk); key t in the "
        "interactive view",
    )
    top.add_argument(
        "--refresh",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="interactive view: seconds between refreshes (default 10, or refresh: in the config file)",
    )
    _collector_flags(top, switch=True)

    nodes = sub.add_parser(
        "nodes", help="nodes by headroom to their eviction threshold, pods in eviction order"
    )
    _common(nodes)
    nodes.add_argument("node", nargs="?", help="one node: also list its pods in the kubelet's eviction order")
    nodes.add_argument(
        "--sort-by", default="headroom", help="headroom (default), memory, name, requests, ..."
    )
    _collector_flags(nodes, switch=True)

    wl = sub.add_parser(
        "workloads",
        help="memory per workload: requested, used and idle, DaemonSets per node, the fix and its saving",
    )
    _common(wl)
    wl.add_argument("-A", "--all-namespaces", action="store_true", help="workloads in all namespaces")
    wl.add_argument("-l", "--selector", default="", help="label selector on the pods, e.g. app=api")
    wl.add_argument(
        "--kind",
        default="",
        help="only these kinds, comma-separated: deploy, sts, ds, rs, job, cronjob, pod, node (mirror pods)",
    )
    wl.add_argument(
        "--by",
        choices=("workload", "namespace"),
        default="workload",
        help="one row per workload (default) or per namespace",
    )
    wl.add_argument(
        "--sort-by",
        default="idle",
        help="idle (default), idle-pct, requested, used, limit, pods, oom, evictions, saving, name, ...",
    )

    explain = sub.add_parser(
        "explain", help="the story of one pod's (or workload's) memory: cause, evidence, fix"
    )
    _common(explain, outputs=("text", "markdown", "json"))
    explain.add_argument(
        "target", help="pod/NAME, NAME, deploy/NAME, sts/NAME or ds/NAME (in the namespace of -n)"
    )
    explain.add_argument("-c", "--container", default=None, help="only this container")
    _collector_flags(explain, switch=True)

    cg = sub.add_parser(
        "cgroups",
        help="the kernel's memory breakdown per pod and container, from a short-lived collector pod",
    )
    _common(cg, outputs=("table", "json"))
    cg.add_argument("target", help="node/NAME or pod/NAME (in the namespace of -n)")
    cg.add_argument("--from-dir", metavar="DIR", help="analyse a copy of a node's /sys/fs/cgroup instead")
    _collector_flags(cg, switch=False)

    sub.add_parser("version", help="print the version")
    return parser
