"""One simulated-cluster scenario per cause and per runtime trap, through the CLI."""

from __future__ import annotations

import json
from datetime import timedelta

from kubectl_mem.sim import eviction_message, make_container, make_event, make_pod, oom_killed

MI = 1 << 20
GI = 1 << 30


def _deploy_pod(s, name: str, container, *, restarts=None, last_state=None, node="node-1", **kw):
    return make_pod(
        name,
        "shop",
        node,
        [container],
        labels={"app": "api", "pod-template-hash": "7d9f5c"},
        owner=("ReplicaSet", "api-7d9f5c"),
        restarts=restarts,
        last_state=last_state,
        now=s.now,
        **kw,
    )


def _go_api(**kw):
    return make_container(
        "api",
        "ghcr.io/acme/api:1.4.2",
        requests={"cpu": "100m", "memory": "256Mi"},
        limits={"memory": "512Mi"},
        env={"GOGC": "100"},
        **kw,
    )


def test_container_limit_oom_kill_with_go_trap(explain_sim):
    s = explain_sim()
    s.node(working_set=7 * GI)
    s.cluster.add_pod(
        _deploy_pod(
            s,
            "api-7d9f5c-x2x9q",
            _go_api(),
            restarts={"api": 3},
            last_state={"api": oom_killed(s.now - timedelta(minutes=14))},
        )
    )
    s.cluster.set_pod_usage("shop", "api-7d9f5c-x2x9q", {"api": 466 * MI})
    r = s.run("pod/api-7d9f5c-x2x9q")
    assert r.code == 0, r.err
    assert (
        "Container api was OOM-killed by its 512Mi memory limit (restarted 3 times, the last 14m ago)."
        in r.flat
    )
    assert "It is now at 91% of that limit (466Mi)." in r.flat
    assert "CAUSE: container limit reached (cgroup OOM kill) (likely)" in r.flat
    # the runtime trap and its exact fix
    assert "WARNING go-no-gomemlimit" in r.flat
    assert 'value: "460MiB"   # 90% of the 512Mi limit' in r.out
    assert "resourceFieldRef" in r.flat  # why not the downward API
    # the VPA OOM bump: max(512Mi + 100Mi, 512Mi x 1.2) = 614.4Mi, up to an 8Mi step
    assert (
        "kubectl set resources deployment/api -n shop -c=api --requests=memory=536Mi --limits=memory=616Mi"
        in r.out
    )


def test_node_pressure_eviction(explain_sim):
    s = explain_sim()
    s.node(memory_pressure=True)
    msg = eviction_message("worker", 900 * MI, "128Mi", 80 * MI)
    s.cluster.add_pod(
        make_pod(
            "batch-1",
            "shop",
            "node-1",
            [make_container("worker", "python:3.12", requests={"memory": "128Mi"}, command=["celery"])],
            phase="Failed",
            reason="Evicted",
            message=msg,
            now=s.now,
        )
    )
    r = s.run("batch-1", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["cause"]["kind"] == "node-pressure-eviction"
    assert doc["cause"]["confidence"] == "certain"
    assert "ran low on memory (available 80Mi, threshold 100Mi)" in doc["verdict"]
    assert any(
        "worker was using 900Mi against a request of 128Mi" in e["text"] for e in doc["cause"]["evidence"]
    )


def test_node_oom_kill_without_own_limit(explain_sim):
    s = explain_sim()
    s.node()
    s.cluster.add_pod(
        make_pod(
            "cache-0",
            "shop",
            "node-1",
            [make_container("redis", "redis:7", requests={"memory": "1Gi"})],
            restarts={"redis": 1},
            last_state={"redis": oom_killed(s.now - timedelta(minutes=5))},
            owner=("StatefulSet", "cache"),
            now=s.now,
        )
    )
    s.cluster.set_pod_usage("shop", "cache-0", {"redis": 700 * MI})
    r = s.run("sts/cache")
    assert r.code == 0, r.err
    assert "node-level OOM kill" in r.flat
    assert "Container redis was killed by a node-level OOM" in r.flat
    assert "the container has no limit of its own" in r.flat


def test_node_oom_kill_from_node_event(explain_sim):
    s = explain_sim()
    s.node()
    finished = s.now - timedelta(minutes=3)
    pod = make_pod(
        "web-1",
        "shop",
        "node-1",
        [make_container("web", "nginx:1.27", requests={"memory": "256Mi"}, limits={"memory": "1Gi"})],
        restarts={"web": 1},
        last_state={
            "web": {
                "terminated": {
                    "exitCode": 137,
                    "reason": "Error",
                    "startedAt": (finished - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "finishedAt": finished.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            }
        },
        now=s.now,
    )
    s.cluster.add_pod(pod)
    node = s.cluster.get("nodes", "node-1")
    s.cluster.add_event(
        make_event(
            node,
            "SystemOOM",
            "System OOM encountered, victim process: nginx, pid: 4242",
            last=finished + timedelta(seconds=2),
        )
    )
    s.cluster.set_pod_usage("shop", "web-1", {"web": 200 * MI})
    r = s.run("pod/web-1", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["cause"]["kind"] == "node-oom-kill"
    assert any("SystemOOM" in e["text"] for e in doc["cause"]["evidence"])


def test_sigkill_from_liveness_probe_is_no_memory_problem(explain_sim):
    s = explain_sim()
    s.node()
    finished = s.now - timedelta(minutes=2)
    pod = make_pod(
        "web-2",
        "shop",
        "node-1",
        [make_container("web", "nginx:1.27", requests={"memory": "256Mi"}, limits={"memory": "1Gi"})],
        restarts={"web": 4},
        last_state={
            "web": {
                "terminated": {
                    "exitCode": 137,
                    "reason": "Error",
                    "finishedAt": finished.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            }
        },
        now=s.now,
    )
    s.cluster.add_pod(pod)
    s.cluster.add_event(
        make_event(
            pod,
            "Unhealthy",
            "Liveness probe failed: HTTP probe failed with statuscode: 500",
            count=3,
            last=finished,
        )
    )
    s.cluster.set_pod_usage("shop", "web-2", {"web": 200 * MI})
    r = s.run("web-2")
    assert r.code == 0, r.err
    assert "CAUSE: no OOM kill or memory eviction recorded (likely)" in r.flat
    assert "after its liveness probe failed, not by the OOM killer" in r.flat
    assert "Liveness probe failed" in r.flat


def test_healthy_pod_says_no_memory_problem(explain_sim):
    s = explain_sim()
    s.node(working_set=2 * GI)
    s.cluster.add_pod(
        make_pod(
            "ok",
            "shop",
            "node-1",
            [
                make_container(
                    "app",
                    "ghcr.io/acme/app:1",
                    requests={"cpu": "1", "memory": "1Gi"},
                    limits={"cpu": "1", "memory": "1Gi"},
                )
            ],
            now=s.now,
        )
    )
    s.cluster.set_pod_usage("shop", "ok", {"app": 400 * MI})
    r = s.run("ok", "-o", "json")
    doc = json.loads(r.out)
    assert doc["cause"]["kind"] == "no-memory-kill"
    assert doc["verdict"].startswith("No memory problem: no OOM kill or eviction is recorded")
    assert doc["pods"][0]["qos"]["qosClass"] == "Guaranteed"
    assert doc["recommendation"]["command"] == ""  # 1Gi covers max(400Mi x 1.3, 500Mi); nothing to change


def test_jvm_heap_at_limit(explain_sim):
    s = explain_sim()
    s.node()
    c = make_container(
        "app",
        "eclipse-temurin:21-jre",
        requests={"memory": "1Gi"},
        limits={"memory": "1Gi"},
        env={"JAVA_TOOL_OPTIONS": "-Xmx1g -Dfile.encoding=UTF-8"},
        command=["java", "-jar", "/app.jar"],
    )
    s.cluster.add_pod(make_pod("orders-0", "shop", "node-1", [c], owner=("StatefulSet", "orders"), now=s.now))
    s.cluster.set_pod_usage("shop", "orders-0", {"app": 900 * MI})
    r = s.run("pod/orders-0")
    assert "CRITICAL jvm-heap-at-limit: JVM max heap 1Gi is at or above the 1Gi limit" in r.flat
    assert 'value: "-Dfile.encoding=UTF-8 -XX:MaxRAMPercentage=75.0"' in r.out


def test_node_heap_default(explain_sim):
    s = explain_sim()
    s.node()
    c = make_container(
        "web",
        "node:20-alpine",
        requests={"memory": "256Mi"},
        limits={"memory": "512Mi"},
        command=["node", "server.js"],
    )
    s.cluster.add_pod(make_pod("front", "shop", "node-1", [c], now=s.now))
    s.cluster.set_pod_usage("shop", "front", {"web": 300 * MI})
    r = s.run("front", "-o", "markdown")
    assert "node-heap-default" in r.flat
    assert 'value: "--max-old-space-size=384"   # MiB, 75% of the 512Mi limit' in r.out


def test_deployment_explains_replicas_together(explain_sim):
    s = explain_sim()
    s.node("node-1")
    s.node("node-2")
    for i, node, killed, ws in (
        (1, "node-1", True, 470),
        (2, "node-2", True, 300),
        (3, "node-2", False, 250),
    ):
        name = f"api-7d9f5c-r{i}"
        s.cluster.add_pod(
            _deploy_pod(
                s,
                name,
                _go_api(),
                node=node,
                restarts={"api": 2 if killed else 0},
                last_state={"api": oom_killed(s.now - timedelta(minutes=10 * i))} if killed else None,
            )
        )
        s.cluster.set_pod_usage("shop", name, {"api": ws * MI})
    r = s.run("deploy/api")
    assert r.code == 0, r.err
    assert r.flat.startswith("deployment/api in namespace shop: 3 pods")
    assert "deployment/api: 2 of 3 were OOM-killed by their container limit. Worst: api-7d9f5c-r1." in r.flat
    assert "All 3 pods have the same memory settings (api: request 256Mi, limit 512Mi)." in r.flat
    assert "Runtime trap go-no-gomemlimit in 3 of 3 pods" in r.flat
    # one command for the template, from the highest usage (470Mi) and the OOM bump
    assert (
        "kubectl set resources deployment/api -n shop -c=api --requests=memory=544Mi --limits=memory=616Mi"
        in r.out
    )


def test_container_flag_and_memory_volume(explain_sim):
    s = explain_sim()
    s.node()
    c = make_container(
        "app",
        "python:3.12",
        requests={"memory": "512Mi"},
        limits={"memory": "1Gi"},
        command=["gunicorn", "-w", "4", "app:app"],
        volume_mounts=[{"name": "shm", "mountPath": "/dev/shm"}],
    )
    side = make_container(
        "proxy", "envoyproxy/envoy:v1.31", requests={"memory": "64Mi"}, limits={"memory": "128Mi"}
    )
    s.cluster.add_pod(
        make_pod(
            "py",
            "shop",
            "node-1",
            [c, side],
            now=s.now,
            volumes=[{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}],
        )
    )
    s.cluster.set_pod_usage("shop", "py", {"app": 600 * MI, "proxy": 40 * MI})
    r = s.run("py", "-c", "app")
    assert r.code == 0, r.err
    assert "memory-backed emptyDir shm (256Mi)" in r.flat
    assert "count against its limit" in r.flat
    assert "Workers found: 4" in r.flat
    assert "proxy" not in r.out.split("MEMORY")[1].split("QOS")[0]


# -- errors -----------------------------------------------------------------------------------


def test_unknown_pod_exit_4(explain_sim):
    s = explain_sim()
    s.node()
    r = s.run("pod/nope")
    assert r.code == 4
    assert r.err == 'error: pod "nope" not found in namespace "shop"\n'


def test_wrong_kind_exit_2(explain_sim):
    r = explain_sim().run("svc/x")
    assert r.code == 2
    assert r.err == 'error: cannot explain "svc/x": expected pod, deploy, sts or ds\n'


def test_unknown_container_exit_4(explain_sim):
    s = explain_sim()
    s.node()
    s.cluster.add_pod(make_pod("ok", "shop", "node-1", [make_container("app")], now=s.now))
    r = s.run("ok", "-c", "nope")
    assert r.code == 4
    assert 'container "nope" not found in ok (containers: app)' in r.err


def test_no_metrics_is_partial_and_says_how_to_get_usage(explain_sim):
    s = explain_sim(metrics="absent")
    s.node()
    s.cluster.add_pod(
        _deploy_pod(
            s,
            "api-7d9f5c-x",
            _go_api(),
            restarts={"api": 1},
            last_state={"api": oom_killed(s.now - timedelta(minutes=3))},
        )
    )
    r = s.run("pod/api-7d9f5c-x")
    assert r.code == 3
    assert "install metrics-server" in r.err
    assert "Container api was OOM-killed by its 512Mi memory limit" in r.flat
    assert "Its usage now is unknown (no metrics, no Summary API figure)." in r.flat
    assert "NOT KNOWN" in r.out and "metrics-server" in r.out.split("NOT KNOWN")[1]
