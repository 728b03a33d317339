"""A pod's STATUS in kubectl's words, and whether it is still alive.

Source: `kubernetes/kubernetes pkg/printers/internalversion/printers.go printPod`, the STATUS column of
`kubectl get pods`:
- start from `status.phase`, replaced by `status.reason` when set (`Evicted`, `NodeLost` ...);
- the first init container that has not finished decides while the pod initializes:
  `Init:<reason>` (terminated with a reason, or waiting other than PodInitializing),
  `Init:Signal:N` / `Init:ExitCode:N`, else `Init:i/n`; a started sidecar (restartable init
  container) does not hold the pod in Init;
- then the app containers, last to first: a waiting reason (`CrashLoopBackOff`, `ContainerCreating`,
  `ImagePullBackOff` ...), a terminated reason (`OOMKilled`, `Error`, `Completed`) or
  `Signal:N` / `ExitCode:N`; `Completed` while another container still runs reads `Running`
  (`NotReady` when the pod is not ready);
- `Terminating` once a deletion timestamp is set on a pod that has not ended.

One deliberate difference: an ended pod with a `status.reason` keeps it. kubectl lets the last
container's terminated reason win, so an evicted pod reads `ContainerStatusUnknown` or `Error`
there, which hides the eviction; here it reads `Evicted`.

The Ready and Initialized conditions are not in the records; "every container ready" stands for
the Ready condition and "no init container holds it" for Initialized.
"""

from __future__ import annotations

from kubectl_mem.model.records import ContainerStatus, Pod, Termination

TERMINAL_PHASES = ("Succeeded", "Failed")


def is_live(pod: Pod) -> bool:
    """The pod has not ended: its containers may still run, be OOM-killed or evicted."""
    return pod.phase not in TERMINAL_PHASES


def _terminated_word(t: Termination, prefix: str = "") -> str:
    if t.reason:
        return prefix + t.reason
    if t.signal:
        return f"{prefix}Signal:{t.signal}"
    return f"{prefix}ExitCode:{t.exit_code}"


def _init_status(pod: Pod) -> str | None:
    """`Init:...` while an init container holds the pod, else None."""
    kinds = {c.name: c.kind for c in pod.containers}
    total = sum(1 for c in pod.containers if c.kind != "regular")
    init_statuses = [s for s in pod.statuses if s.kind != "regular"]
    for i, s in enumerate(init_statuses):
        if kinds.get(s.name) == "sidecar" and s.state == "running":
            continue  # a started sidecar keeps running next to the app containers
        if s.state == "terminated" and s.terminated is not None and s.terminated.exit_code == 0:
            continue
        if s.state == "terminated" and s.terminated is not None:
            return _terminated_word(s.terminated, "Init:")
        if s.state == "waiting" and s.state_reason and s.state_reason != "PodInitializing":
            return f"Init:{s.state_reason}"
        return f"Init:{i}/{total}"
    return None


def pod_status(pod: Pod) -> str:
    """The STATUS `kubectl get pods` prints for this pod."""
    # the common case, decided without the general walk: every app container running and ready
    if (
        pod.phase == "Running"
        and not pod.reason
        and not pod.deleting
        and pod.statuses
        and all(s.kind == "regular" and s.state == "running" and s.ready for s in pod.statuses)
    ):
        return "Running"
    reason = pod.reason or pod.phase or "Unknown"
    init = _init_status(pod) if is_live(pod) else None
    if init is not None:
        reason = init
    elif not (pod.reason and not is_live(pod)):
        app: list[ContainerStatus] = [s for s in pod.statuses if s.kind == "regular"]
        running = False
        for s in reversed(app):
            if s.state == "waiting" and s.state_reason:
                reason = s.state_reason
            elif s.state == "terminated" and s.terminated is not None:
                reason = _terminated_word(s.terminated)
            elif s.state == "running" and s.ready:
                running = True
        if reason == "Completed" and running:
            reason = "Running" if all(s.ready for s in app) else "NotReady"
    if pod.deleting and is_live(pod):
        reason = "Terminating"
    return reason
