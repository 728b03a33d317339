"""The collector's access, said once (kubectl_mem/kube/collector_access.py) and said the same everywhere:
the ClusterRole a user applies, README.md, docs/install.md, `--help` and the krew caveats. And that it is
right: on the simulated cluster a user with exactly the documented roles collects, every verb is used
and none can go; on a real kube-apiserver the documented commands admit the real collector pod."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from podsim_helpers import PodSim

from kubectl_mem.cli.parser import build_parser
from kubectl_mem.kube import collector_access as access
from kubectl_mem.kube.collector import MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL, collector_pod
from kubectl_mem.sim import Rule, make_pod
from kubectl_mem.sim.cluster import rfc3339

ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_YAML = ROOT / access.RBAC_FILE
READONLY_YAML = ROOT / "deploy" / "rbac" / "kubectl-mem-readonly.yaml"
USER = "alice@example.com"


def _flat(text: str) -> str:
    """Whitespace collapsed (argparse and the caveats wrap lines), markdown's backticks dropped."""
    return " ".join(text.replace("`", "").split())


def _release_module():
    sys.path.insert(0, str(ROOT / "release"))
    try:
        import release  # release/release.py

        return release
    finally:
        sys.path.remove(str(ROOT / "release"))


# --- said the same everywhere -----------------------------------------------------------------


def test_the_cluster_role_grants_exactly_the_rules():
    doc = yaml.safe_load(COLLECTOR_YAML.read_text())
    assert doc["kind"] == "ClusterRole" and doc["metadata"]["name"] == access.CLUSTER_ROLE
    want = [{"apiGroups": [""], "resources": [r], "verbs": list(v)} for r, v, _ in access.RULES]
    assert doc["rules"] == want


def test_the_cluster_roles_header_shows_the_setup_commands():
    header = [ln.removeprefix("#") for ln in COLLECTOR_YAML.read_text().splitlines() if ln.startswith("#")]
    for command in access.setup_commands(rbac_file=COLLECTOR_YAML.name):
        assert f"   {command}" in header
    assert access.verbs() in _flat(" ".join(header))


@pytest.mark.parametrize("doc", ["README.md", "docs/install.md"])
def test_the_docs_name_the_verbs_and_the_default_namespace(doc: str):
    text = _flat((ROOT / doc).read_text())
    assert access.verbs() in text
    assert f"default {access.NAMESPACE}" in text
    # every mention of pods/log is the one sentence: no second description to drift apart
    assert text.count("pods/log") == text.count(access.verbs()) > 0


def test_install_md_sets_up_the_namespace_as_the_default_expects():
    lines = (ROOT / "docs" / "install.md").read_text().splitlines()
    for command in access.setup_commands(rbac_file=access.RBAC_FILE, user=USER):
        assert command in lines
    assert f"`{access.POD_SECURITY_LABEL}={access.POD_SECURITY_LEVEL}`" in "\n".join(lines)


@pytest.mark.parametrize("command", ["top", "nodes", "explain", "cgroups"])
def test_help_says_what_the_collector_needs(command: str):
    out = io.StringIO()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    sub.choices[command].print_help(out)  # type: ignore[attr-defined]
    text = "".join(out.getvalue().split())  # argparse wraps lines, even after a hyphen
    assert "".join(f"The collector needs {access.needs()}.".split()) in text
    assert "".join(f"(default {access.NAMESPACE}, as docs/install.md sets it up)".split()) in text


def test_the_krew_caveats_say_it():
    release = _release_module()
    ver, repo = release.version(), release.repository()
    text = release.caveats(repo, ver)
    assert f"It needs {access.needs()}." in _flat(text)
    raw = f"https://raw.githubusercontent.com/{repo}/v{ver}/{access.RBAC_FILE}"
    for command in access.setup_commands(rbac_file=raw):
        assert f"  {command}" in text.splitlines()
    assert release.manifest(ver, [], repo)["spec"]["caveats"] == text


def test_the_default_namespace_is_the_flags_default():
    args = build_parser().parse_args(["top"])
    assert args.collector_namespace == access.NAMESPACE == "kubectl-mem"


# --- and right: the simulated cluster with exactly the documented roles ----------------------------


def _sim_rules(path: Path, namespaces: tuple[str, ...] | None) -> list[Rule]:
    """A ClusterRole's rules as the simulated authorizer takes them ("pods/log", "pods.metrics.k8s.io")."""
    rules = []
    for r in yaml.safe_load(path.read_text())["rules"]:
        resources = tuple(res if not g else f"{res}.{g}" for g in r["apiGroups"] for res in r["resources"])
        rules.append(Rule(verbs=tuple(r["verbs"]), resources=resources, namespaces=namespaces))
    return rules


def _user(podsim: PodSim, tmp_path: Path, name: str, collector: list[Rule], *, readonly: bool = True) -> Path:
    """A user bound as install.md says: read-only cluster-wide, `collector` in the collector namespace."""
    podsim.srv.auth.add_user(name, name, [*(_sim_rules(READONLY_YAML, None) if readonly else []), *collector])
    return podsim.srv.write_kubeconfig(tmp_path / f"{name}.kubeconfig", token=name)


def _stale_collector_pod(podsim: PodSim) -> None:
    labels = {MANAGED_BY_LABEL: MANAGED_BY, RUN_ID_LABEL: "earlier"}
    pod = make_pod("kubectl-mem-cgroups-old00", access.NAMESPACE, podsim.node, labels=labels)
    pod["metadata"]["creationTimestamp"] = rfc3339(datetime.now(UTC) - timedelta(hours=1))
    podsim.srv.cluster.add_pod(pod)


def _collector_requests(podsim: PodSim, user: str) -> set[tuple[str, str]]:
    """(verb, resource) of the user's requests in the collector namespace."""
    base = f"/api/v1/namespaces/{access.NAMESPACE}/pods"
    seen = set()
    for q in podsim.srv.requests:
        if q.user != user or not q.path.startswith(base):
            continue
        rest = q.path.removeprefix(base).strip("/")
        resource = "pods/log" if rest.endswith("/log") else "pods"
        verb = {"POST": "create", "DELETE": "delete"}.get(q.method) or ("get" if rest else "list")
        seen.add((verb, resource))
    return seen


def test_the_documented_roles_are_enough_and_every_verb_is_used(podsim: PodSim, tmp_path: Path):
    _stale_collector_pod(podsim)
    kubeconfig = _user(podsim, tmp_path, "alice", _sim_rules(COLLECTOR_YAML, (access.NAMESPACE,)))
    r = podsim.run(f"node/{podsim.node}", kubeconfig=kubeconfig)
    assert r.code == 0, r.err
    assert "deleted stale collector pod kubectl-mem-cgroups-old00" in r.err and "warning" not in r.err
    assert f"node {podsim.node}" in r.out and "ANON" in r.out  # the kernel's breakdown, not the fallback
    assert podsim.collector_pods() == []
    granted = {(verb, resource) for resource, verbs, _ in access.RULES for verb in verbs}
    assert _collector_requests(podsim, "alice") == granted


def _collector_only(podsim: PodSim, tmp_path: Path, name: str, drop: tuple[str, str] | None = None) -> Path:
    """A user with the collector role only (less `drop`), and `get nodes`: the read-only role may be
    bound per namespace, elsewhere, so the collector role must carry its own pod verbs."""
    rules = [
        Rule(
            verbs=tuple(v for v in verbs if (res, v) != drop),
            resources=(res,),
            namespaces=(access.NAMESPACE,),
        )
        for res, verbs, _ in access.RULES
    ]
    return _user(podsim, tmp_path, name, [*rules, Rule(verbs=("get",), resources=("nodes",))], readonly=False)


def test_the_collector_role_alone_is_enough_in_its_namespace(podsim: PodSim, tmp_path: Path):
    _stale_collector_pod(podsim)
    r = podsim.run(f"node/{podsim.node}", kubeconfig=_collector_only(podsim, tmp_path, "carol"))
    assert r.code == 0, r.err
    assert "deleted stale collector pod kubectl-mem-cgroups-old00" in r.err and "ANON" in r.out
    assert podsim.collector_pods() == []


@pytest.mark.parametrize(
    ("resource", "verb"), [(res, verb) for res, verbs, _ in access.RULES for verb in verbs]
)
def test_without_any_one_verb_the_collection_is_worse(
    podsim: PodSim, tmp_path: Path, resource: str, verb: str
):
    _stale_collector_pod(podsim)
    kubeconfig = _collector_only(podsim, tmp_path, "bob", drop=(resource, verb))
    r = podsim.run(f"node/{podsim.node}", kubeconfig=kubeconfig)
    left = [p["metadata"]["name"] for p in podsim.collector_pods()]
    # a failure or the fallback (a non-zero exit), or a collector pod left in the cluster
    assert r.code != 0 or left, (r.code, r.err)


# --- and right on a real kube-apiserver ------------------------------------------------------------


@pytest.mark.apiserver
def test_the_documented_setup_admits_the_collector_pod_on_a_real_apiserver(control_plane, kubectl, tmp_path):
    """install.md's commands, run as written (user `nobody` for alice), then the real collector pod
    created as that user with a server-side dry run: RBAC allows it and Pod Security admits it there,
    and nowhere else."""
    admin = control_plane.kubeconfig()
    commands = access.setup_commands(rbac_file=str(COLLECTOR_YAML), user="nobody")
    try:
        for command in commands:
            argv = command.split()[1:]
            done = kubectl(admin, *argv)
            assert done.returncode == 0 or "AlreadyExists" in done.stderr, (command, done.stderr)
        # no controller-manager here to give the new namespace its default ServiceAccount
        control_plane.apply(
            f"/api/v1/namespaces/{access.NAMESPACE}/serviceaccounts",
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
        )
        nobody = control_plane.kubeconfig("nobody")
        for resource, verbs, _ in access.RULES:
            for verb in verbs:
                can = kubectl(nobody, "auth", "can-i", verb, resource, "-n", access.NAMESPACE)
                assert can.stdout.strip() == "yes", (verb, resource)
                elsewhere = kubectl(nobody, "auth", "can-i", verb, resource, "-n", "default")
                assert elsewhere.stdout.strip() == "no", (verb, resource)
        assert (
            kubectl(nobody, "auth", "can-i", "watch", "pods", "-n", access.NAMESPACE).stdout.strip() == "no"
        )

        body = collector_pod("node-1", image="busybox:1.36", run_id="access-test")
        path = f"/api/v1/namespaces/{access.NAMESPACE}/pods?dryRun=All"
        status, _, answer = control_plane.request("POST", path, body, user="nobody")
        assert status == 201, answer[:500]
        assert json.loads(answer)["metadata"]["generateName"] == "kubectl-mem-cgroups-"

        control_plane.create_namespace("kubectl-mem-baseline", {access.POD_SECURITY_LABEL: "baseline"})
        status, _, answer = control_plane.request(
            "POST", "/api/v1/namespaces/kubectl-mem-baseline/pods?dryRun=All", body
        )
        assert status == 403
        message = json.loads(answer)["message"]
        assert 'violates PodSecurity "baseline:latest": hostPath volumes (volume "cg")' in message
    finally:
        kubectl(admin, "delete", "rolebinding", "-n", access.NAMESPACE, f"{access.CLUSTER_ROLE}-nobody")
        kubectl(admin, "delete", "clusterrole", access.CLUSTER_ROLE)
