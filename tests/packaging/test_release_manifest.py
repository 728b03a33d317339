"""One krew manifest from the archives of every platform, as .github/workflows/release.yml assembles it
(`release.py --manifest-only` over the archives and sidecars the matrix built). Only linux/amd64 can be
built here, so the other platforms' archives are faked as the release script lays archives out: the real
`make_archive` and `write_sidecars` over a stand-in executable."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kubectl_mem import __version__

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
PLATFORMS = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
]
MTIME = 315532800  # 1980-01-01


def _fake_archive(release, dist: Path, work: Path, os_name: str, arch: str, version: str) -> Path:
    """An archive as release.py makes one, with a shell script standing in for the executable."""
    onedir = work / f"{os_name}-{arch}"
    (onedir / "_internal").mkdir(parents=True)
    exe = onedir / release.exe_name(os_name)
    exe.write_text(f'#!/bin/sh\necho "kubectl-mem {version} (stand-in for {os_name}/{arch})"\n')
    exe.chmod(0o755)
    (onedir / "_internal" / "base_library.zip").write_bytes(b"stand-in")
    archive = dist / release.archive_name(os_name, arch)
    release.make_archive(onedir, archive, os_name, mtime=MTIME)
    release.write_sidecars(archive, os_name, arch, version)
    return archive


@pytest.fixture
def dist(tmp_path: Path, release) -> Path:
    dist = tmp_path / "dist"
    for os_name, arch in PLATFORMS:
        _fake_archive(release, dist, tmp_path / "work", os_name, arch, __version__)
    return dist


def _manifest(release, dist: Path, *extra: str) -> dict:
    assert release.main(["--manifest-only", "--dist", str(dist), *extra]) == 0
    return yaml.safe_load((dist / "krew-manifest.yaml").read_text())


def test_one_manifest_lists_every_platform_with_its_archive(dist, release, krew, capsys):
    doc = _manifest(release, dist)
    krew.validate_plugin("mem", doc)
    spec = doc["spec"]
    assert spec["version"] == f"v{__version__}"
    repo = release.repository()
    assert spec["homepage"] == f"https://github.com/{repo}"
    listed = {
        (p["selector"]["matchLabels"]["os"], p["selector"]["matchLabels"]["arch"]): p
        for p in spec["platforms"]
    }
    assert sorted(listed) == sorted(PLATFORMS)
    for (os_name, arch), p in listed.items():
        archive = dist / release.archive_name(os_name, arch)
        assert p["sha256"] == krew.sha256_of(archive)
        assert Path(f"{archive}.sha256").read_text() == f"{p['sha256']}  {archive.name}\n"
        assert p["uri"] == f"https://github.com/{repo}/releases/download/v{__version__}/{archive.name}"
        assert p["bin"] == ("kubectl-mem.exe" if os_name == "windows" else "kubectl-mem")
    assert (
        "/sys/fs/cgroup" in spec["caveats"]
        and "hostPath" in spec["caveats"]
        and "read-only" in spec["caveats"]
    )
    # this machine's archive was installed as krew installs it and run
    assert f"kubectl-mem {__version__} (stand-in for linux/amd64)" in capsys.readouterr().out


def test_every_platform_installs_as_krew_installs_it(dist, release, krew, tmp_path):
    doc = _manifest(release, dist)
    for os_name, arch in PLATFORMS:
        root = tmp_path / f"krew-{os_name}-{arch}"
        link = krew.install(doc, dist / release.archive_name(os_name, arch), root, os_name=os_name, arch=arch)
        target = Path(os.readlink(link))
        assert target.name == release.exe_name(os_name) and target.is_file()
        assert sorted(p.name for p in target.parent.iterdir()) == sorted(
            ["LICENSE", "README.md", "_internal", release.exe_name(os_name)]
            + ([] if os_name == "windows" else ["kubectl_complete-mem"])
        )


def test_the_repository_comes_from_one_place(dist, release):
    assert release.repository() == "kubectl-mem/kubectl-mem"  # pyproject.toml [project.urls] Repository
    doc = _manifest(release, dist, "--repo", "someone/fork")
    assert doc["spec"]["homepage"] == "https://github.com/someone/fork"
    assert all(
        p["uri"].startswith("https://github.com/someone/fork/releases/") for p in doc["spec"]["platforms"]
    )
    assert "https://github.com/someone/fork/tree/" in doc["spec"]["caveats"]
    for path in (ROOT / "release" / "release.py", WORKFLOW):
        assert "github.com/kubectl-mem" not in path.read_text(), f"{path} names the repository itself"


def test_a_changed_archive_is_refused(dist, release):
    archive = dist / release.archive_name("darwin", "arm64")
    with archive.open("ab") as f:
        f.write(b"\0")
    with pytest.raises(SystemExit, match="does not match its sidecar's sha256"):
        release.main(["--manifest-only", "--dist", str(dist)])
    assert not (dist / "krew-manifest.yaml").exists()


def test_archives_of_another_version_are_left_out(dist, release, tmp_path):
    old = tmp_path / "old"
    stale = _fake_archive(release, old, tmp_path / "work-old", "linux", "riscv64", "0.0.1")
    for path in old.iterdir():
        shutil.move(path, dist / path.name)
    doc = _manifest(release, dist)
    assert stale.name not in {Path(p["uri"]).name for p in doc["spec"]["platforms"]}
    assert len(doc["spec"]["platforms"]) == len(PLATFORMS)


def test_the_workflow_builds_each_platform_on_its_own_and_assembles_one_manifest():
    wf = yaml.safe_load(WORKFLOW.read_text())
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["tags"] == ["v*"] and "workflow_dispatch" in triggers
    build, assemble, publish = wf["jobs"]["archive"], wf["jobs"]["manifest"], wf["jobs"]["publish"]
    matrix = build["strategy"]["matrix"]["include"]
    assert sorted((m["os"], m["arch"]) for m in matrix) == sorted(PLATFORMS)
    assert len({m["runner"] for m in matrix}) == len(PLATFORMS)  # each on a machine of its own platform
    runs = [step.get("run", "") for step in build["steps"]]
    assert "python release/release.py --no-manifest" in runs
    assert assemble["needs"] == "archive"
    assert "python release/release.py --manifest-only" in [s.get("run", "") for s in assemble["steps"]]
    assert publish["needs"] == "manifest" and publish["if"].startswith(
        "startsWith(github.ref, 'refs/tags/v')"
    )
    assert "dist/krew-manifest.yaml" in publish["steps"][-1]["run"]


def test_setuptools_build_folder_is_not_a_tracked_folder():
    """`pip install .` builds in build/ (build/lib ...): nothing there is tracked, and git ignores it."""
    tracked = subprocess.run(
        ["git", "ls-files", "build"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    ignored = subprocess.run(["git", "check-ignore", "-q", "build/lib/kubectl_mem/__init__.py"], cwd=ROOT)
    assert ignored.returncode == 0
