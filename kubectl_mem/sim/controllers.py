"""Builders for the objects that own pods: apps/v1 Deployments, ReplicaSets, StatefulSets, DaemonSets
and batch/v1 Jobs and CronJobs, shaped as kube-apiserver v1.36 returns them (defaults filled in,
status as their controllers write it; compared with a real apiserver in tests/apiserver).

Their uids are the ones `builders.make_pod(owner=...)` puts in the pods' ownerReferences, so the
chain pod -> ReplicaSet -> Deployment (and pod -> Job -> CronJob) holds by uid as well as by name.
Pod templates hold what the workload's author wrote: the containers without the service-account
volume that admission adds to each pod.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from .builders import _ts, _uuid

__all__ = [
    "make_cronjob",
    "make_daemonset",
    "make_deployment",
    "make_job",
    "make_replicaset",
    "make_statefulset",
    "owner_ref",
]

Obj = dict[str, Any]
_SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def owner_ref(kind: str, namespace: str, name: str) -> Obj:
    """The controller ownerReference a child of `kind/name` carries (the uid make_pod uses too)."""
    api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "name": name,
        "uid": _uuid(f"{namespace}/{kind}/{name}"),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _meta(kind: str, namespace: str, name: str, created: datetime, **extra: Any) -> Obj:
    md: Obj = {
        "name": name,
        "namespace": namespace,
        "uid": _uuid(f"{namespace}/{kind}/{name}"),
        "generation": extra.pop("generation", 1),
        "creationTimestamp": _ts(created),
    }
    md.update({k: v for k, v in extra.items() if v})
    return md


def _containers(specs: Sequence[Obj]) -> list[Obj]:
    # Shallow copies: the cluster serialises every object when it is stored and nothing edits a
    # container spec afterwards, so sharing the nested values with the pods is safe (and at 20k pods
    # deep copies doubled the generation time).
    out = []
    for c in specs:
        c = dict(c)
        mounts = [m for m in c.get("volumeMounts", ()) if m.get("mountPath") != _SA_MOUNT]
        if mounts:
            c["volumeMounts"] = mounts
        else:
            c.pop("volumeMounts", None)
        out.append(c)
    return out


def _template(
    labels: Mapping[str, str],
    containers: Sequence[Obj],
    *,
    init_containers: Sequence[Obj] = (),
    volumes: Sequence[Obj] = (),
    priority_class_name: str | None = None,
    restart_policy: str = "Always",
    tolerations: Sequence[Obj] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Obj:
    spec: Obj = {}
    if volumes:
        spec["volumes"] = [v for v in volumes if not str(v.get("name", "")).startswith("kube-api-access-")]
    if init_containers:
        spec["initContainers"] = _containers(init_containers)
    spec["containers"] = _containers(containers)
    spec.update(
        {
            "restartPolicy": restart_policy,
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        }
    )
    if tolerations:
        spec["tolerations"] = list(tolerations)
    if priority_class_name:
        spec["priorityClassName"] = priority_class_name
    md: Obj = {"labels": dict(labels)}
    if annotations:
        md["annotations"] = dict(annotations)
    return {"metadata": md, "spec": spec}


def _condition(kind: str, status: str, at: str, reason: str, message: str, *, probe: bool = True) -> Obj:
    c: Obj = {"type": kind, "status": status}
    if probe:
        c["lastUpdateTime"] = at
    c.update({"lastTransitionTime": at, "reason": reason, "message": message})
    return c


def make_deployment(
    name: str,
    namespace: str,
    containers: Sequence[Obj],
    *,
    replicas: int,
    ready: int,
    template_hash: str,
    created: datetime,
    labels: Mapping[str, str] | None = None,
    **template: Any,
) -> Obj:
    """A Deployment whose newest ReplicaSet is `<name>-<template_hash>`, `ready` of `replicas` ready."""
    selector = dict(labels or {"app": name})
    at = _ts(created + timedelta(seconds=40))
    status: Obj = {"observedGeneration": 1}
    if replicas:
        status |= {"replicas": replicas, "updatedReplicas": replicas}
    if ready:
        status |= {"readyReplicas": ready, "availableReplicas": ready}
    if replicas - ready > 0:
        status["unavailableReplicas"] = replicas - ready
    available = ready >= max(replicas - max(replicas // 4, 1), 0)
    status["conditions"] = [
        _condition(
            "Available",
            "True" if available else "False",
            at,
            "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if available
            else "Deployment does not have minimum availability.",
        ),
        _condition(
            "Progressing",
            "True",
            at,
            "NewReplicaSetAvailable",
            f'ReplicaSet "{name}-{template_hash}" has successfully progressed.',
        ),
    ]
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": _meta(
            "Deployment",
            namespace,
            name,
            created,
            labels=dict(labels or {}),
            annotations={"deployment.kubernetes.io/revision": "1"},
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": _template(selector, containers, **template),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": status,
    }


def make_replicaset(deployment: Obj, template_hash: str, *, ready: int, revision: int = 1) -> Obj:
    """The ReplicaSet the Deployment controller made for its current template."""
    md = deployment["metadata"]
    name, ns = md["name"], md["namespace"]
    replicas = deployment["spec"]["replicas"]
    selector = {**deployment["spec"]["selector"]["matchLabels"], "pod-template-hash": template_hash}
    source = deployment["spec"]["template"]
    template = {
        "metadata": {
            **source["metadata"],
            "labels": {**source["metadata"]["labels"], "pod-template-hash": template_hash},
        },
        "spec": source["spec"],
    }
    status: Obj = {"replicas": replicas, "fullyLabeledReplicas": replicas}
    if ready:
        status |= {"readyReplicas": ready, "availableReplicas": ready}
    status["observedGeneration"] = 1
    created = md["creationTimestamp"]
    return {
        "kind": "ReplicaSet",
        "apiVersion": "apps/v1",
        "metadata": {
            "name": f"{name}-{template_hash}",
            "namespace": ns,
            "uid": _uuid(f"{ns}/ReplicaSet/{name}-{template_hash}"),
            "generation": 1,
            "creationTimestamp": created,
            "labels": selector,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + max(-(-replicas // 4), 1)),
                "deployment.kubernetes.io/revision": str(revision),
            },
            "ownerReferences": [owner_ref("Deployment", ns, name)],
        },
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector}, "template": template},
        "status": status,
    }


def make_statefulset(
    name: str,
    namespace: str,
    containers: Sequence[Obj],
    *,
    replicas: int,
    ready: int,
    revision: str,
    created: datetime,
    labels: Mapping[str, str] | None = None,
    **template: Any,
) -> Obj:
    selector = dict(labels or {"app": name})
    status: Obj = {
        "observedGeneration": 1,
        "replicas": replicas,
        "readyReplicas": ready,
        "currentReplicas": replicas,
        "updatedReplicas": replicas,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
        "availableReplicas": ready,
    }
    return {
        "kind": "StatefulSet",
        "apiVersion": "apps/v1",
        "metadata": _meta("StatefulSet", namespace, name, created),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": _template(selector, containers, **template),
            "serviceName": name,
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "revisionHistoryLimit": 10,
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        },
        "status": status,
    }


def make_daemonset(
    name: str,
    namespace: str,
    containers: Sequence[Obj],
    *,
    desired: int,
    ready: int,
    created: datetime,
    generation: int = 3,
    labels: Mapping[str, str] | None = None,
    **template: Any,
) -> Obj:
    """A DaemonSet scheduled on `desired` nodes (status.desiredNumberScheduled), `ready` of them ready."""
    selector = dict(labels or {"app.kubernetes.io/name": name})
    status: Obj = {
        "currentNumberScheduled": desired,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "observedGeneration": generation,
        "updatedNumberScheduled": desired,
        "numberAvailable": ready,
    }
    if desired - ready > 0:
        status["numberUnavailable"] = desired - ready
    return {
        "kind": "DaemonSet",
        "apiVersion": "apps/v1",
        "metadata": _meta(
            "DaemonSet",
            namespace,
            name,
            created,
            generation=generation,
            annotations={"deprecated.daemonset.template.generation": str(generation)},
        ),
        "spec": {
            "selector": {"matchLabels": selector},
            "template": _template(selector, containers, **template),
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "revisionHistoryLimit": 10,
        },
        "status": status,
    }


def make_cronjob(
    name: str,
    namespace: str,
    containers: Sequence[Obj],
    *,
    schedule: str,
    created: datetime,
    last_schedule: datetime | None = None,
    last_success: datetime | None = None,
    active: Sequence[str] = (),
    **template: Any,
) -> Obj:
    status: Obj = {}
    if active:
        status["active"] = [
            {
                "kind": "Job",
                "namespace": namespace,
                "name": j,
                "uid": _uuid(f"{namespace}/Job/{j}"),
                "apiVersion": "batch/v1",
            }
            for j in active
        ]
    if last_schedule is not None:
        status["lastScheduleTime"] = _ts(last_schedule)
    if last_success is not None:
        status["lastSuccessfulTime"] = _ts(last_success)
    job_template = {
        "metadata": {},
        "spec": {"template": _template({}, containers, restart_policy="Never", **template)},
    }
    job_template["spec"]["template"]["metadata"] = {}
    return {
        "kind": "CronJob",
        "apiVersion": "batch/v1",
        "metadata": _meta("CronJob", namespace, name, created),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Allow",
            "suspend": False,
            "jobTemplate": job_template,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
        },
        "status": status,
    }


def make_job(
    name: str,
    namespace: str,
    containers: Sequence[Obj],
    *,
    created: datetime,
    cronjob: str | None = None,
    active: int = 0,
    succeeded: int = 0,
    failed: int = 0,
    backoff_limit: int = 6,
    finished: datetime | None = None,
    **template: Any,
) -> Obj:
    """A Job (owned by `cronjob` when given): running while `active`, Complete after a success,
    Failed with BackoffLimitExceeded once `failed` exceeds `backoff_limit`."""
    controller_uid = _uuid(f"{namespace}/Job/{name}")
    labels = {
        "batch.kubernetes.io/controller-uid": controller_uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": controller_uid,
        "job-name": name,
    }
    md = _meta("Job", namespace, name, created, labels=labels)
    if cronjob:
        md["ownerReferences"] = [owner_ref("CronJob", namespace, cronjob)]
    status: Obj = {"startTime": _ts(created)}
    at = _ts(finished or created)
    if succeeded and not active:
        status["conditions"] = [
            _condition(
                "SuccessCriteriaMet",
                "True",
                at,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                probe=False,
            ),
            _condition(
                "Complete",
                "True",
                at,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                probe=False,
            ),
        ]
        status["completionTime"] = at
    elif failed > backoff_limit:
        status["conditions"] = [
            _condition(
                "FailureTarget",
                "True",
                at,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                probe=False,
            ),
            _condition(
                "Failed",
                "True",
                at,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                probe=False,
            ),
        ]
    if active:
        status["active"] = active
    if succeeded:
        status["succeeded"] = succeeded
    if failed:
        status["failed"] = failed
    status["terminating"] = 0
    status["uncountedTerminatedPods"] = {}
    status["ready"] = active
    return {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": md,
        "spec": {
            "parallelism": 1,
            "completions": 1,
            "backoffLimit": backoff_limit,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": controller_uid}},
            "manualSelector": False,
            "template": _template(labels, containers, restart_policy="Never", **template),
            "completionMode": "NonIndexed",
            "suspend": False,
            "podReplacementPolicy": "TerminatingOrFailed",
        },
        "status": status,
    }
