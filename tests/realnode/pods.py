"""The real node's workloads: what each pod does to memory, and what the kernel should then show.

Every pod has `spec.nodeName` (no scheduler), no service account token (no controller-manager makes
the kube-root-ca.crt ConfigMap a projected token needs) and the local busybox image.
"""

from __future__ import annotations

from typing import Any

MiB = 1024 * 1024
NAMESPACE = "realnode"

# OOM-killed in a loop: `tail /dev/zero` keeps every byte it reads, looking for a newline that
# never comes, until the 48Mi limit kills it; restartPolicy Always, so CrashLoopBackOff.
OOM_LOOP = "oom-loop"
OOM_LOOP_LIMIT = 48 * MiB
# One container instance that lives on while the kernel kills its children: the API never sees them.
OOM_INNER = "oom-inner"
OOM_INNER_LIMIT = 48 * MiB
# Page cache: writes 96Mi to a file in the container's writable layer and reads it back.
PAGE_CACHE = "page-cache"
PAGE_CACHE_FILE = 96 * MiB
# A memory-backed emptyDir (tmpfs): 64Mi written there is shmem, charged to the writer.
TMPFS = "tmpfs-emptydir"
TMPFS_FILE = 64 * MiB


def _pod(name: str, node: str, container: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"app": name}},
        "spec": {
            "nodeName": node,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": 0,
            "containers": [{"imagePullPolicy": "IfNotPresent", **container}],
            **spec,
        },
    }


def _res(request: int, limit: int | None) -> dict[str, Any]:
    r: dict[str, Any] = {"requests": {"memory": str(request), "cpu": "10m"}}
    if limit is not None:
        r["limits"] = {"memory": str(limit)}
    return r


def workloads(node: str, image: str) -> list[dict[str, Any]]:
    return [
        _pod(
            OOM_LOOP,
            node,
            {
                "name": "hog",
                "image": image,
                "command": ["sh", "-c", "tail /dev/zero"],
                # Guaranteed: requests = limits for every resource
                "resources": {
                    "requests": {"memory": str(OOM_LOOP_LIMIT), "cpu": "50m"},
                    "limits": {"memory": str(OOM_LOOP_LIMIT), "cpu": "50m"},
                },
            },
            restartPolicy="Always",
        ),
        _pod(
            OOM_INNER,
            node,
            {
                "name": "parent",
                "image": image,
                # the shell stays (small), each `tail` child is OOM-killed: at most 3 kills, then idle
                "command": ["sh", "-c", "for i in 1 2 3; do tail /dev/zero; done; exec sleep 100000"],
                "resources": _res(16 * MiB, OOM_INNER_LIMIT),
            },
        ),
        _pod(
            PAGE_CACHE,
            node,
            {
                "name": "cache",
                "image": image,
                "command": [
                    "sh",
                    "-c",
                    f"dd if=/dev/zero of=/tmp/data bs=1048576 count={PAGE_CACHE_FILE // MiB} 2>/dev/null; "
                    "cat /tmp/data > /dev/null; cat /tmp/data > /dev/null; exec sleep 100000",
                ],
                "resources": _res(32 * MiB, 512 * MiB),
            },
        ),
        _pod(
            TMPFS,
            node,
            {
                "name": "shm",
                "image": image,
                "command": [
                    "sh",
                    "-c",
                    f"dd if=/dev/zero of=/scratch/data bs=1048576 count={TMPFS_FILE // MiB} 2>/dev/null; "
                    "exec sleep 100000",
                ],
                "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            },
            volumes=[{"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "128Mi"}}],
        ),
    ]
