"""What the collector pods need from a cluster, said once: the RBAC rules, the Pod Security level, the
namespace they run in by default, and how to set that up.

Everything that tells a user about it is made from here or tested against it
(tests/packaging/test_collector_access.py): `--help`, the collector's error messages, the krew
caveats (release/release.py reads this file without importing the package), and checked
against it: deploy/rbac/kubectl-mem-collector.yaml, README.md and docs/install.md.

What the collector does with each rule (kube/collector.py): in its namespace it lists its own
leftovers by label and deletes them, creates one pod per node, gets it until it has run, gets its log
and deletes it. Nothing else: no watch, no other resource. Without `create` the collection falls back
to the kubelet Summary API, through `get nodes/proxy` of the read-only role.

No imports: `--help` reads it, and the release script loads it by path.
"""

NAMESPACE = "kubectl-mem"  # the default of --collector-namespace, as docs/install.md sets it up
POD_SECURITY_LABEL = "pod-security.kubernetes.io/enforce"
POD_SECURITY_LEVEL = "privileged"  # the collector pod mounts the host's /sys/fs/cgroup (hostPath)
CLUSTER_ROLE = "kubectl-mem-collector"
RBAC_FILE = "deploy/rbac/kubectl-mem-collector.yaml"

# (resource, verbs, why), in the core API group, in the collector namespace only
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "pods",
        ("create", "get", "list", "delete"),
        "one pod per node: created, polled, deleted; leftovers listed",
    ),
    ("pods/log", ("get",), "what the pod printed"),
)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def verbs() -> str:
    """`create, get, list and delete pods and get pods/log`: the RBAC the collector needs, in words."""
    return " and ".join(f"{_and(list(v))} {resource}" for resource, v, _ in RULES)


def needs() -> str:
    """The whole requirement in one sentence (--help, the krew caveats)."""
    return (
        f"{verbs()} in the collector namespace (default {NAMESPACE}), which must allow "
        f'Pod Security "{POD_SECURITY_LEVEL}" (the pod mounts the host\'s /sys/fs/cgroup read-only)'
    )


def setup_commands(*, rbac_file: str = RBAC_FILE, user: str = "alice@example.com") -> list[str]:
    """The kubectl commands that set a cluster up for `user`, as the docs show them."""
    who = user.split("@", 1)[0]
    return [
        f"kubectl apply -f {rbac_file}",
        f"kubectl create namespace {NAMESPACE}",
        f"kubectl label namespace {NAMESPACE} {POD_SECURITY_LABEL}={POD_SECURITY_LEVEL}",
        f"kubectl create rolebinding {CLUSTER_ROLE}-{who} -n {NAMESPACE} --clusterrole={CLUSTER_ROLE} "
        f"--user={user}",
    ]


def missing_namespace(namespace: str) -> str:
    """The one-line error when the collector namespace does not exist."""
    label = f"kubectl label namespace {namespace} {POD_SECURITY_LABEL}={POD_SECURITY_LEVEL}"
    return (
        f'the collector namespace "{namespace}" does not exist: create it with '
        f'"kubectl create namespace {namespace} && {label}" (docs/install.md), '
        "or name another with --collector-namespace"
    )


def label_hint() -> str:
    """How to make a namespace accept the collector pod (after a Pod Security rejection)."""
    return (
        f"label the namespace {POD_SECURITY_LABEL}={POD_SECURITY_LEVEL}, "
        "or pick one that allows it with --collector-namespace"
    )
