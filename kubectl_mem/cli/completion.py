"""Shell completion for `kubectl mem ...`: the `kubectl_complete-mem` executable.

kubectl (1.26+) completes plugin commands by running `kubectl_complete-<plugin>` from PATH with the
words after the plugin name, the word being completed last (empty when the cursor follows a space),
and passes its output through to the shell unchanged. The output is cobra's `__complete` protocol:
one candidate a line, optionally `candidate<TAB>description`, then a last line `:<directive>`.

Subcommands and flags come from the CLI's own parser, so new commands complete without changes here.
Contexts are read from the kubeconfig (no API call); namespaces, pods and nodes take one LIST
with a short timeout, asking only for object metadata. Completion never fails loudly: on any error
it prints nothing but the error directive, so the shell shows no candidates.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# cobra's ShellCompDirective bits (spf13/cobra completions.go)
ERROR = 1
NO_SPACE = 2
NO_FILE_COMP = 4
DEFAULT = 0  # the shell falls back to file names

API_TIMEOUT = "3s"  # a completion that waits longer than this is worse than none
LIST_LIMIT = "1000"
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


@dataclass
class Result:
    candidates: list[str] = field(default_factory=list)  # each "value" or "value\tdescription"
    directive: int = NO_FILE_COMP


@dataclass
class Typed:
    """What the words before the cursor say: the subcommand, flag values, positionals given."""

    command: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # flag dest -> value
    switches: set[str] = field(default_factory=set)  # dests of flags given without a value
    positionals: list[str] = field(default_factory=list)
    pending: argparse.Action | None = None  # the last word was a flag still waiting for its value


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        result = complete(words, os.environ)
    except BaseException:  # noqa: BLE001 - a completion must never show a traceback
        if os.environ.get("KUBECTL_MEM_COMPLETE_DEBUG"):
            import traceback

            traceback.print_exc()
        result = Result([], ERROR)
    try:
        out = sys.stdout
        for line in result.candidates:
            out.write(line + "\n")
        out.write(f":{result.directive}\n")
        out.flush()
    except OSError:
        pass
    return 0


def complete(words: list[str], environ: Mapping[str, str]) -> Result:
    from kubectl_mem.cli.parser import build_parser

    parser = build_parser()
    commands = _subcommands(parser)
    prior, cur = (words[:-1], words[-1]) if words else ([], "")
    typed = _scan(prior, parser, commands)
    sub = commands.get(typed.command or "", (None, ""))[0]
    flags_of = sub or parser

    if typed.pending is not None:
        return _value(typed.pending, cur, typed, environ)
    if cur.startswith("--") and "=" in cur:
        name, _, value = cur.partition("=")
        action = _flag_actions(flags_of).get(name)
        if action is None or action.nargs == 0:
            return Result()
        return _value(action, value, typed, environ)
    if cur.startswith("-"):
        return Result(_flags(flags_of, cur))
    if typed.command is None:
        return Result(
            _matching(((name, help_) for name, (_, help_) in commands.items()), cur, with_help=True)
        )
    if sub is None or typed.positionals:
        return Result()
    return _positional(typed.command, sub, cur, typed, environ)


# --- reading the parser -----------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (p, helps.get(name, "")) for name, p in action.choices.items()}
    return {}


def _flag_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def _takes_value(action: argparse.Action) -> bool:
    return action.option_strings != [] and action.nargs != 0


def _scan(
    words: list[str],
    parser: argparse.ArgumentParser,
    commands: dict[str, tuple[argparse.ArgumentParser, str]],
) -> Typed:
    typed = Typed()
    flags = _flag_actions(parser)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            typed.positionals.extend(words[i:] if typed.command else [])
            break
        if word.startswith("-") and word != "-":
            name, eq, value = word.partition("=")
            action = flags.get(name)
            if action is None and not word.startswith("--") and len(word) > 2:
                action = flags.get(word[:2])  # -nkube-system
                name, eq, value = word[:2], "=", word[2:]
            if action is None:
                continue
            if not _takes_value(action):
                typed.switches.add(action.dest)
            elif eq:
                typed.values[action.dest] = value
            elif i < len(words):
                typed.values[action.dest] = words[i]
                i += 1
            else:
                typed.pending = action
            continue
        if typed.command is None and word in commands:
            typed.command = word
            flags = _flag_actions(commands[word][0])
        elif typed.command is not None:
            typed.positionals.append(word)
    return typed


# --- candidates -------------------------------------------------------------------------------


def _matching(items: Iterable[tuple[str, str]], prefix: str, *, with_help: bool) -> list[str]:
    out = []
    for value, help_ in items:
        if value.startswith(prefix):
            text = " ".join(help_.split()) if with_help else ""
            out.append(f"{value}\t{text}" if text else value)
    return out


def _flags(parser: argparse.ArgumentParser, cur: str) -> list[str]:
    items: list[tuple[str, str]] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        longs = [s for s in action.option_strings if s.startswith("--")]
        shorts = [s for s in action.option_strings if not s.startswith("--")]
        names = longs if cur.startswith("--") else longs + shorts
        help_ = (action.help or "").replace("%%", "%")
        items.extend((n, help_) for n in names)
    return _matching(items, cur, with_help=True)


def _value(action: argparse.Action, cur: str, typed: Typed, environ: Mapping[str, str]) -> Result:
    dest = action.dest
    if dest == "kubeconfig":
        return Result([], DEFAULT)  # a path: let the shell complete file names
    if dest == "context":
        return Result(_matching(((c, "") for c in contexts(typed, environ)), cur, with_help=False))
    if dest == "namespace":
        return Result(_names(cur, typed, environ, lambda c: list_names(c, "/api/v1/namespaces")))
    if dest in ("node", "node_filter"):
        return Result(_names(cur, typed, environ, lambda c: list_names(c, "/api/v1/nodes")))
    if action.choices:
        return Result(_matching(((str(c), "") for c in action.choices), cur, with_help=False))
    if dest == "sort_by":
        return Result(_matching(((k, "") for k in _sort_keys(typed.command)), cur, with_help=False))
    return Result()


def _sort_keys(command: str | None) -> list[str]:
    from kubectl_mem.report import columns

    sorts = {"top": "POD_SORTS", "nodes": "NODE_SORTS", "workloads": "WORKLOAD_SORTS"}.get(command or "")
    return list(getattr(columns, sorts, {})) if sorts else []


def _positional(command: str, sub: argparse.ArgumentParser, cur: str, typed: Typed, environ) -> Result:
    if not any(not a.option_strings for a in sub._actions):
        return Result()  # the command takes no arguments
    if command == "nodes":
        return Result(_names(cur, typed, environ, lambda c: list_names(c, "/api/v1/nodes")))
    if command == "cgroups":
        kind, slash, rest = cur.partition("/")
        if not slash:
            return Result(
                _matching((("node/", ""), ("pod/", "")), cur, with_help=False), NO_FILE_COMP | NO_SPACE
            )
        path = {"node": "/api/v1/nodes", "pod": None}.get(kind, "")
        if path == "":
            return Result()
        names = _names(rest, typed, environ, lambda c: list_names(c, path or _pods_path(c, typed)))
        return Result([f"{kind}/{n}" for n in names])
    # explain, top, and any later command whose argument is a pod
    kind, slash, rest = cur.partition("/")
    if slash and kind in ("pod", "pods", "po"):
        names = _names(rest, typed, environ, lambda c: list_names(c, _pods_path(c, typed)))
        return Result([f"{kind}/{n}" for n in names])
    return Result(_names(cur, typed, environ, lambda c: list_names(c, _pods_path(c, typed))))


def _pods_path(conn, typed: Typed) -> str:
    if "all_namespaces" in typed.switches:
        return "/api/v1/pods"
    from urllib.parse import quote

    return f"/api/v1/namespaces/{quote(conn.namespace, safe='')}/pods"


# --- the cluster ------------------------------------------------------------------------------


def _names(cur: str, typed: Typed, environ, lister: Callable[[object], list[str]]) -> list[str]:
    with _connection(typed, environ) as conn:
        names = lister(conn)
    return sorted({n for n in names if n.startswith(cur)})


class _connection:
    """connect() with the typed access flags; with --demo, against the built-in cluster."""

    def __init__(self, typed: Typed, environ) -> None:
        self.typed = typed
        self.stack = None
        self.conn = None

    def __enter__(self):
        from contextlib import ExitStack

        from kubectl_mem.kube.config import connect

        v = self.typed.values
        kubeconfig = v.get("kubeconfig")
        self.stack = ExitStack()
        if "demo" in self.typed.switches:
            from kubectl_mem.cli.demo import demo_kubeconfig

            kubeconfig = self.stack.enter_context(demo_kubeconfig())
        self.conn = connect(
            kubeconfig=kubeconfig,
            context=v.get("context"),
            namespace=v.get("namespace"),
            request_timeout=API_TIMEOUT,
        )
        return self.conn

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.stack is not None:
            self.stack.close()


def list_names(conn, path: str) -> list[str]:
    """Names of the objects a LIST returns: metadata only when the server can, one page."""
    import json

    from kubectl_mem.kube.http import Transport

    transport = Transport(conn, retries=0)
    body = transport.get(path, [("limit", LIST_LIMIT)], accept=METADATA_ONLY).body
    items = json.loads(body).get("items") or []
    return [str(i["metadata"]["name"]) for i in items if isinstance(i, dict) and i.get("metadata")]


def contexts(typed: Typed, environ: Mapping[str, str]) -> list[str]:
    """Context names from the kubeconfig files (--kubeconfig, else $KUBECONFIG, else ~/.kube/config)."""
    import yaml

    explicit = typed.values.get("kubeconfig")
    if explicit:
        paths = [explicit]
    else:
        env = environ.get("KUBECONFIG", "")
        paths = [p for p in env.split(os.pathsep) if p] or ["~/.kube/config"]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    names: list[str] = []
    for path in paths:
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as f:
                data = yaml.load(f, Loader=loader)  # noqa: S506 - a safe loader
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and item.get("name") and str(item["name"]) not in names:
                names.append(str(item["name"]))
    return names


if __name__ == "__main__":
    raise SystemExit(main())
