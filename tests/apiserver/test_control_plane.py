"""The real control plane itself (tests/envtest): it serves kubectl, its users are who the token file
says, and it leaves nothing behind when stopped."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
from envtest import ControlPlane, assets

pytestmark = pytest.mark.apiserver


def test_kubectl_talks_to_it_as_each_user(control_plane: ControlPlane, kubectl) -> None:
    r = kubectl(control_plane.kubeconfig(), "get", "namespace", "default", "-o", "json", check=True)
    assert json.loads(r.stdout)["status"]["phase"] == "Active"
    r = kubectl(control_plane.kubeconfig("nobody"), "auth", "whoami", "-o", "json", check=True)
    user = json.loads(r.stdout)["status"]["userInfo"]
    assert user["username"] == "nobody"
    assert "system:masters" not in user["groups"]
    r = kubectl(control_plane.kubeconfig("nobody"), "get", "pods", "-A")
    assert r.returncode == 1
    assert 'User "nobody" cannot list resource "pods"' in r.stderr


def test_cpu_and_memory_of_the_apiserver_are_readable(control_plane: ControlPlane) -> None:
    before = control_plane.cpu_seconds()
    for _ in range(20):
        assert control_plane.request("GET", "/api/v1/namespaces")[0] == 200
    assert control_plane.cpu_seconds() > before
    assert control_plane.rss_bytes() > 50 << 20


def test_stop_leaves_no_process_and_no_etcd_data(tmp_path: Path, envtest_assets: Path) -> None:
    cp = ControlPlane.start(tmp_path / "cp", users=(), assets=envtest_assets)
    pids = (cp.pid, cp.etcd_pid)
    assert all(Path(f"/proc/{p}").exists() for p in pids)
    cp.stop()
    for p in pids:
        assert not Path(f"/proc/{p}").exists() or "Z" in Path(f"/proc/{p}/stat").read_text().split()[2]
    assert not (tmp_path / "cp" / "etcd-data").exists()


def test_an_archive_is_unpacked_once_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src" / "k8s-9.9.9-linux-amd64" / "bin"
    src.mkdir(parents=True)
    for name in ("kube-apiserver", "etcd"):
        (src / name).write_text("#!/bin/sh\n")
        (src / name).chmod(0o755)
    archive = tmp_path / "shared" / "envtest" / "k8s-9.9.9-linux-amd64.tar.xz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(src.parent, arcname="k8s-9.9.9-linux-amd64")
    cache = tmp_path / "cache"
    folder = assets.unpack(archive, cache)
    assert folder == cache / "k8s-9.9.9-linux-amd64" / "k8s-9.9.9-linux-amd64" / "bin"
    assert os.access(folder / "kube-apiserver", os.X_OK)
    (folder / "etcd").write_text("changed")  # a second call must not unpack again
    assert assets.unpack(archive, cache) == folder
    assert (folder / "etcd").read_text() == "changed"
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(tmp_path / "nowhere"))
    with pytest.raises(
        assets.AssetsMissing, match="KUBEBUILDER_ASSETS=.* has no executable kube-apiserver, etcd"
    ):
        assets.find_assets()
