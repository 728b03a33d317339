"""The release archive, built here with release/release.py and installed the way krew installs it, run
through the real kubectl with no Python environment on PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from needs import need

from kubectl_mem import __version__

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"  # kubectl, sh; not this test's Python environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def built(tmp_path_factory, release):
    """One release build per test session: archive, sidecars and manifest in a temporary dist/.

    PyInstaller's work directory stays in build/pyinstaller/ (gitignored), so a second local run reuses its
    analysis; CI starts from a clean clone and builds everything.
    """
    need("objdump")  # PyInstaller's dependency analysis on Linux
    dist = tmp_path_factory.mktemp("dist")
    manifest = dist / "krew-manifest.yaml"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "release" / "release.py"),
            "--dist",
            str(dist),
            "--manifest",
            str(manifest),
        ],
        check=True,
        cwd=ROOT,
        timeout=600,
    )
    os_name, arch = release.target()
    return dist / release.archive_name(os_name, arch), yaml.safe_load(manifest.read_text()), (os_name, arch)


@pytest.fixture(scope="session")
def installed(built, krew, tmp_path_factory):
    archive, manifest, (os_name, arch) = built
    root = tmp_path_factory.mktemp("krew-root")
    link = krew.install(manifest, archive, root, os_name=os_name, arch=arch)
    home = tmp_path_factory.mktemp("home")
    env = {"PATH": f"{link.parent}{os.pathsep}{SYSTEM_PATH}", "HOME": str(home), "LANG": "C.UTF-8"}
    return root, link, env


def test_archive_sidecars_and_manifest(built, krew, release):
    archive, manifest, (os_name, arch) = built
    digest = krew.sha256_of(archive)
    assert Path(f"{archive}.sha256").read_text() == f"{digest}  {archive.name}\n"
    krew.validate_plugin("mem", manifest)
    [platform] = manifest["spec"]["platforms"]
    assert platform["sha256"] == digest
    assert platform["selector"] == {"matchLabels": {"os": os_name, "arch": arch}}
    assert manifest["spec"]["version"] == f"v{__version__}"
    names = krew.check_archive(archive)  # regular files and directories only
    for member in ("kubectl-mem/kubectl-mem", "kubectl-mem/kubectl_complete-mem", "LICENSE", "README.md"):
        assert member in names
    assert any(n.startswith("kubectl-mem/_internal/") for n in names)
    with tarfile.open(archive) as tar:
        assert tar.getmember("kubectl-mem/kubectl-mem").mode & 0o111
        assert {m.uid for m in tar.getmembers()} == {0}
        license_text = tar.extractfile("LICENSE").read().decode()
    assert "Apache License" in license_text and "Version 2.0" in license_text


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, **kw)


def test_kubectl_plugin_list_lists_it_without_warnings(installed):
    root, link, env = installed
    done = run(["kubectl", "plugin", "list"], env)
    assert done.returncode == 0, done.stderr
    assert str(link) in done.stdout.splitlines()
    assert "warning" not in (done.stdout + done.stderr).lower()


def test_kubectl_mem_version(installed):
    _, _, env = installed
    done = run(["kubectl", "mem", "version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"kubectl-mem {__version__}"


def test_kubectl_mem_top_demo_json(installed):
    _, _, env = installed
    done = run(["kubectl", "mem", "top", "--demo", "-o", "json"], env)
    assert done.returncode in (0, 3), done.stderr  # 3: partial, a source said missing on stderr
    doc = json.loads(done.stdout)
    assert doc["kind"] == "PodMemoryList" and doc["items"]
    assert {"namespace", "name", "qosClass", "workingSetBytes"} <= set(doc["items"][0])


def test_kubectl_mem_nodes_and_explain_demo(installed):
    _, _, env = installed
    nodes = run(["kubectl", "mem", "nodes", "--demo", "-o", "json"], env)
    assert nodes.returncode in (0, 3), nodes.stderr
    assert json.loads(nodes.stdout)["items"]
    pod = json.loads(run(["kubectl", "mem", "top", "--demo", "-o", "json"], env).stdout)["items"][0]
    explain = run(["kubectl", "mem", "explain", "--demo", "-n", pod["namespace"], pod["name"]], env)
    assert explain.returncode in (0, 3), explain.stderr
    assert pod["name"] in explain.stdout


def test_completion_shim_from_the_archive_through_kubectl(installed):
    """The shim shipped next to the executable, linked onto PATH as the install docs say."""
    root, link, env = installed
    shim = root / "store" / "mem" / f"v{__version__}" / "kubectl_complete-mem"
    completer = link.parent / "kubectl_complete-mem"
    completer.unlink(missing_ok=True)
    completer.symlink_to(shim)
    try:
        done = run(["kubectl", "__complete", "mem", "top", "--o"], env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == ":4"
        assert [line.split("\t")[0] for line in done.stdout.splitlines()[:-1]] == ["--output"]
        listed = run(["kubectl", "plugin", "list"], env)  # the shim is not a plugin, and no warning
        assert "warning" not in (listed.stdout + listed.stderr).lower()
    finally:
        completer.unlink()


def test_krew_users_completion_shim_from_the_docs(installed):
    _, link, env = installed
    completer = link.parent / "kubectl_complete-mem"
    completer.write_text('#!/bin/sh\nexec kubectl-mem __complete "$@"\n')  # docs/install.md, caveats
    completer.chmod(0o755)
    try:
        done = run(["kubectl", "__complete", "mem", ""], env)
        values = [line.split("\t")[0] for line in done.stdout.splitlines()]
        assert {"top", "nodes", "explain", "version"} <= set(values) and values[-1] == ":4"
    finally:
        completer.unlink()
