"""release/krew.py against krew's ValidatePlugin rules, each rule with a manifest that breaks it, in
krew's order (the first failure wins), and the archive / install rules krew applies."""

from __future__ import annotations

import copy
import io
import os
import tarfile
from pathlib import Path

import pytest
import yaml

from kubectl_mem import __version__

SHA = "a" * 64


def good() -> dict:
    return {
        "apiVersion": "krew.googlecontainertools.github.com/v1alpha2",
        "kind": "Plugin",
        "metadata": {"name": "mem"},
        "spec": {
            "version": "v0.1.0",
            "homepage": "https://example.com",
            "shortDescription": "Pod memory vs limits",
            "platforms": [
                {
                    "selector": {"matchLabels": {"os": "linux", "arch": "amd64"}},
                    "uri": "https://example.com/kubectl-mem_linux_amd64.tar.gz",
                    "sha256": SHA,
                    "bin": "kubectl-mem",
                    "files": [{"from": "kubectl-mem/*", "to": "."}],
                }
            ],
        },
    }


def broken(path: str, value) -> dict:
    """good() with the value at a dotted path replaced (None deletes the key)."""
    doc = good()
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return doc


def test_a_good_manifest_passes(krew):
    krew.validate_plugin("mem", good())


@pytest.mark.parametrize(
    "name, doc, message",
    [
        # 1. apiVersion
        ("mem", broken("apiVersion", "krew.googlecontainertools.github.com/v1alpha1"), "apiVersion="),
        ("mem", broken("apiVersion", None), "apiVersion=''"),
        # 2. kind
        ("mem", broken("kind", "plugin"), "kind='plugin'"),
        # 3. the plugin's (index file's) name: ^[\w-]+$, not a Windows device name
        ("mem.x", good(), "is not allowed"),
        ("m em", good(), "is not allowed"),
        ("", good(), "is not allowed"),
        ("mém", good(), "is not allowed"),
        ("con", broken("metadata.name", "con"), "is not allowed"),
        ("LPT9", broken("metadata.name", "LPT9"), "is not allowed"),
        # 4. metadata.name == that name
        ("mem", broken("metadata.name", "mem-risk"), "should be named 'mem'"),
        ("mem-risk", good(), "should be named 'mem-risk'"),
        # 5. shortDescription: present, one line
        ("mem", broken("spec.shortDescription", ""), "should have a short description"),
        ("mem", broken("spec.shortDescription", None), "should have a short description"),
        ("mem", broken("spec.shortDescription", "two\nlines"), "line breaks"),
        ("mem", broken("spec.shortDescription", "carriage\rreturn"), "line breaks"),
        # 6. platforms: at least one
        ("mem", broken("spec.platforms", []), "should have a platform specified"),
        ("mem", broken("spec.platforms", None), "should have a platform specified"),
        # 7. version: present, v + strict semver
        ("mem", broken("spec.version", ""), "should have a version specified"),
        ("mem", broken("spec.version", "0.1.0"), "not starting with 'v'"),
        ("mem", broken("spec.version", "v0.1"), "illegal version string"),
        ("mem", broken("spec.version", "v0.1.0.1"), "illegal version string"),
        ("mem", broken("spec.version", "v01.1.0"), "zero-prefixed"),
        ("mem", broken("spec.version", "v0.1.0-rc.01"), "zero-prefixed"),
        ("mem", broken("spec.version", "v0.1.0-"), "pre-release/metadata"),
        ("mem", broken("spec.version", "v0.1.0-rc..1"), "pre-release/metadata"),
        ("mem", broken("spec.version", "v0.1.0+"), "pre-release/metadata"),
        ("mem", broken("spec.version", " v0.1.0"), "not starting with 'v'"),
        ("mem", broken("spec.version", "vx.1.0"), "could not parse"),
        # 8. each platform
        ("mem", broken("spec.platforms.0.uri", ""), "`uri` has to be set"),
        ("mem", broken("spec.platforms.0.sha256", ""), "`sha256` sum has to be set"),
        ("mem", broken("spec.platforms.0.sha256", "A" * 64), "is not valid"),
        ("mem", broken("spec.platforms.0.sha256", "a" * 63), "is not valid"),
        ("mem", broken("spec.platforms.0.sha256", "g" * 64), "is not valid"),
        ("mem", broken("spec.platforms.0.bin", ""), "`bin` has to be set"),
        ("mem", broken("spec.platforms.0.files", []), "has to be unspecified or non-empty"),
        ("mem", broken("spec.platforms.0.files", [{"from": "a"}]), "`to` field has to be set"),
        ("mem", broken("spec.platforms.0.files", [{"to": "."}]), "`from` field has to be set"),
        ("mem", broken("spec.platforms.0.selector", None), "nil selector"),
        ("mem", broken("spec.platforms.0.selector", {}), "empty selector"),
        ("mem", broken("spec.platforms.0.selector", {"matchLabels": {"os": "linux", "cpu": "x"}}), "'cpu'"),
        (
            "mem",
            broken("spec.platforms.0.selector", {"matchLabels": {}}),
            "`matchLabels` specified but empty",
        ),
        (
            "mem",
            broken("spec.platforms.0.selector", {"matchLabels": {"os": "linux"}, "matchExpressions": []}),
            "`matchExpressions` specified but empty",
        ),
        (
            "mem",
            broken(
                "spec.platforms.0.selector",
                {"matchExpressions": [{"key": "kernel", "operator": "In", "values": ["x"]}]},
            ),
            "'kernel'",
        ),
    ],
)
def test_each_rule_rejects(krew, name, doc, message):
    with pytest.raises(krew.ValidationError, match=_escape(message)):
        krew.validate_plugin(name, doc)


def _escape(s: str) -> str:
    import re

    return re.escape(s)


def test_rules_apply_in_krew_order_first_failure_wins(krew):
    doc = good()
    doc["kind"] = "Nope"
    doc["spec"]["version"] = "1.0"
    doc["spec"]["platforms"] = []
    with pytest.raises(krew.ValidationError, match="kind="):
        krew.validate_plugin("mem", doc)
    doc["kind"] = "Plugin"
    with pytest.raises(krew.ValidationError, match="should have a platform"):  # 6 before 7
        krew.validate_plugin("mem", doc)


def test_what_validate_plugin_does_not_check(krew):
    doc = good()
    del doc["spec"]["homepage"]
    doc["spec"]["platforms"][0].pop("files")  # absent files: krew's default (everything)
    doc["spec"]["platforms"][0]["bin"] = "../outside"  # not checked by ValidatePlugin (install does)
    krew.validate_plugin("mem", doc)
    doc["spec"]["platforms"][0]["selector"] = {
        "matchExpressions": [{"key": "os", "operator": "In", "values": ["linux", "darwin"]}]
    }
    krew.validate_plugin("mem", doc)


@pytest.mark.parametrize(
    "v", ["v0.1.0", "v1.22.333", "v0.0.0", "v1.0.0-rc.1", "v1.0.0-alpha-1.0.x", "v1.0.0+build.5", "v1.0.0-0"]
)
def test_semver_accepts(krew, v):
    krew.parse_semver(v)


def test_the_generated_manifest_round_trips(krew, release):
    plat = {
        "selector": {"matchLabels": {"os": "darwin", "arch": "arm64"}},
        "uri": "https://example.com/x.tar.gz",
        "sha256": SHA,
        "bin": "kubectl-mem",
        "files": [{"from": "kubectl-mem/*", "to": "."}],
    }
    doc = release.manifest(__version__, [plat], "o/r")
    text = release.render(doc)
    back = yaml.safe_load(text)
    assert back == doc
    krew.validate_plugin("mem", back)
    assert "\n" not in back["spec"]["shortDescription"]


@pytest.mark.parametrize(
    "machine, platform, expected",
    [
        ("x86_64", "linux", ("linux", "amd64")),
        ("aarch64", "linux", ("linux", "arm64")),
        ("arm64", "darwin", ("darwin", "arm64")),
        ("AMD64", "win32", ("windows", "amd64")),
    ],
)
def test_target_names_the_machine_as_go_does(release, monkeypatch, machine, platform, expected):
    monkeypatch.setattr(release.platform, "machine", lambda: machine)
    monkeypatch.setattr(release.sys, "platform", platform)
    assert release.target() == expected


# --- archives and installation as krew does them ------------------------------------------------


def _tar(path: Path, members: list[tuple[str, bytes | None, int]], *, links: dict[str, str] | None = None):
    with tarfile.open(path, "w:gz") as tar:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)


def test_archive_checks(krew, tmp_path):
    ok = tmp_path / "ok.tar.gz"
    _tar(ok, [("d", None, 0o755), ("d/kubectl-mem", b"#!/bin/sh\n", 0o755)])
    assert krew.check_archive(ok) == ["d", "d/kubectl-mem"]
    link = tmp_path / "link.tar.gz"
    _tar(link, [("d/kubectl-mem", b"x", 0o755)], links={"d/kubectl_complete-mem": "kubectl-mem"})
    with pytest.raises(krew.ValidationError, match="no symlinks"):
        krew.check_archive(link)
    dots = tmp_path / "dots.tar.gz"
    _tar(dots, [("d/lib..so", b"x", 0o644)])  # krew refuses ".." anywhere in a name
    with pytest.raises(krew.ValidationError, match="suspicious"):
        krew.check_archive(dots)
    absolute = tmp_path / "abs.tar.gz"
    _tar(absolute, [("/etc/x", b"x", 0o644)])
    with pytest.raises(krew.ValidationError, match="absolute"):
        krew.check_archive(absolute)
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        tar.addfile(tarfile.TarInfo("x"), io.BytesIO(b""))
    with pytest.raises(krew.ValidationError, match="not gzip"):
        krew.check_archive(plain)


def _plugin(krew, archive: Path, **platform) -> dict:
    doc = good()
    p = doc["spec"]["platforms"][0]
    p["sha256"] = krew.sha256_of(archive)
    p.update(platform)
    return doc


def test_install_moves_files_and_links_bin(krew, tmp_path):
    archive = tmp_path / "a.tar.gz"
    _tar(
        archive,
        [
            ("kubectl-mem", None, 0o755),
            ("kubectl-mem/kubectl-mem", b"#!/bin/sh\necho hi\n", 0o755),
            ("kubectl-mem/_internal/lib.so", b"x", 0o644),
            ("LICENSE", b"L", 0o644),
        ],
    )
    files = [{"from": "kubectl-mem/*", "to": "."}, {"from": "LICENSE", "to": "."}]
    doc = _plugin(krew, archive, files=files)
    link = krew.install(doc, archive, tmp_path / "root", os_name="linux", arch="amd64")
    store = tmp_path / "root" / "store" / "mem" / "v0.1.0"
    assert link == tmp_path / "root" / "bin" / "kubectl-mem"
    assert os.readlink(link) == str((store / "kubectl-mem").resolve())
    assert sorted(p.name for p in store.iterdir()) == ["LICENSE", "_internal", "kubectl-mem"]
    assert os.access(link, os.X_OK)


def test_install_refuses(krew, tmp_path):
    archive = tmp_path / "a.tar.gz"
    _tar(archive, [("kubectl-mem", b"#!/bin/sh\n", 0o755)])
    doc = _plugin(krew, archive)
    with pytest.raises(krew.ValidationError, match="does not offer installation"):
        krew.install(doc, archive, tmp_path / "r1", os_name="darwin", arch="arm64")
    bad_sum = copy.deepcopy(doc)
    bad_sum["spec"]["platforms"][0]["sha256"] = SHA
    with pytest.raises(krew.ValidationError, match="checksum"):
        krew.install(bad_sum, archive, tmp_path / "r2", os_name="linux", arch="amd64")
    no_match = _plugin(krew, archive, files=[{"from": "nothing/*", "to": "."}])
    with pytest.raises(krew.ValidationError, match="glob pattern"):
        krew.install(no_match, archive, tmp_path / "r3", os_name="linux", arch="amd64")
    no_bin = _plugin(krew, archive, files=None, bin="bin/kubectl-mem")
    with pytest.raises(krew.ValidationError, match="cannot be found"):
        krew.install(no_bin, archive, tmp_path / "r4", os_name="linux", arch="amd64")
    escaping_bin = _plugin(krew, archive, files=None, bin="../../kubectl-mem")
    with pytest.raises(krew.ValidationError, match="cannot be found"):
        krew.install(escaping_bin, archive, tmp_path / "r5", os_name="linux", arch="amd64")
