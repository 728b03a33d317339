"""model/runtime on records: detection, parsing, each trap and its fix."""

from __future__ import annotations

import pytest

from kubectl_mem.model.records import ContainerSpec, EnvVar
from kubectl_mem.model.runtime import (
    analyze_container,
    jvm_default_heap,
    parse_dotnet_hex,
    parse_go_bytes,
    parse_jvm_size,
    recommended_heap_pct,
)

MI = 1 << 20
GI = 1 << 30


def codes(h):
    return [t.code for t in h.traps]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1073741824", GI),
        ("900MiB", 900 * MI),
        ("1GiB", GI),
        ("12B", 12),
        ("512Mi", None),
        ("1.5GiB", None),
        ("1G", None),
        ("", None),
    ],
)
def test_go_byte_count(text, value):
    assert parse_go_bytes(text) == value


def test_jvm_and_dotnet_parsing():
    assert (
        parse_jvm_size("1g") == GI and parse_jvm_size("768m") == 768 * MI and parse_jvm_size("2G") == 2 * GI
    )
    assert parse_jvm_size("1.5g") is None
    assert parse_dotnet_hex("0x20000000") == 512 * MI
    assert parse_dotnet_hex("4B") == 75
    assert parse_dotnet_hex("75") == 0x75 == 117


def test_jvm_ergonomics_match_hotspot():
    # 25% of 1Gi; under ~250Mi the JVM uses MinRAMPercentage (50%); between, the 124.8Mi floor
    assert jvm_default_heap(GI) == 256 * MI
    assert jvm_default_heap(200 * MI) == 100 * MI
    assert jvm_default_heap(300 * MI) == 130862280


def test_recommended_heap_share_leaves_room():
    assert recommended_heap_pct(GI) == 75
    assert recommended_heap_pct(512 * MI) == 75
    assert recommended_heap_pct(256 * MI) == 50


def test_go_without_gomemlimit_is_a_trap_with_a_literal_90_percent_fix():
    h = analyze_container(ContainerSpec("api", env=(EnvVar("GOGC", "100"),)), limit=512 * MI)
    assert (h.runtime, h.detection) == ("go", "evidence")
    assert codes(h) == ["go-no-gomemlimit"]
    fix = h.traps[0].fix
    assert fix is not None and 'value: "460MiB"' in fix.yaml
    assert "downward API" in fix.why and "100%" in fix.why


def test_go_gogc_off_without_limit_is_critical():
    h = analyze_container(ContainerSpec("api", env=(EnvVar("GOGC", "off"),)), limit=GI)
    assert h.traps[0].severity == "critical"


def test_go_malformed_gomemlimit():
    h = analyze_container(ContainerSpec("api", env=(EnvVar("GOMEMLIMIT", "900Mi"),)), limit=GI)
    assert codes(h) == ["go-gomemlimit-malformed"]


def test_go_gomemlimit_from_downward_api_is_the_whole_limit():
    h = analyze_container(ContainerSpec("api", env=(EnvVar("GOMEMLIMIT", None, "limits.memory"),)), limit=GI)
    assert h.heap_limit == GI
    assert codes(h) == ["go-gomemlimit-at-limit"]
    assert h.traps[0].severity == "info"


def test_go_good_gomemlimit_has_no_trap():
    h = analyze_container(ContainerSpec("api", env=(EnvVar("GOMEMLIMIT", "900MiB"),)), limit=GI)
    assert codes(h) == [] and h.heap_limit == 900 * MI


def test_go_guess_from_image_is_labelled():
    h = analyze_container(ContainerSpec("prom", image="quay.io/prometheus/prometheus:v2.53.0"), limit=GI)
    assert h.detection == "guess"
    assert "guessed from the image name" in h.notes[0]


def test_jvm_heap_from_command_line_overrides_and_fix_removes_it():
    c = ContainerSpec("app", command=("sh", "-c", "java -Xmx2g -jar app.jar"))
    h = analyze_container(c, limit=GI)
    assert codes(h) == ["jvm-heap-at-limit"]
    assert "Remove the heap flags from command/args" in h.traps[0].fix.why


def test_jvm_java_options_last_wins():
    c = ContainerSpec(
        "app",
        command=("java", "-Xmx512m", "-jar", "x.jar"),
        env=(EnvVar("JAVA_TOOL_OPTIONS", "-Xmx256m"), EnvVar("_JAVA_OPTIONS", "-Xmx2g")),
    )
    h = analyze_container(c, limit=GI)
    assert h.heap_limit == 2 * GI and "_JAVA_OPTIONS" in h.heap_limit_basis


def test_jvm_old_image_sized_from_host():
    h = analyze_container(
        ContainerSpec("app", image="openjdk:8u151-jre", command=("java", "-jar", "a")),
        limit=GI,
        node_memory=64 * GI,
    )
    assert codes(h) == ["jvm-heap-from-host-memory"]
    assert h.heap_limit == 16 * GI
    assert 'value: "-Xmx768m"' in h.traps[0].fix.yaml


def test_jvm_max_ram_above_limit():
    c = ContainerSpec("app", env=(EnvVar("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=8g"),))
    assert codes(analyze_container(c, limit=GI)) == ["jvm-heap-from-host-memory"]


def test_jvm_high_percentage_leaves_little_room():
    c = ContainerSpec("app", env=(EnvVar("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=90"),))
    h = analyze_container(c, limit=GI)
    assert codes(h) == ["jvm-heap-leaves-little-room"]


def test_jvm_default_in_container_is_fine():
    h = analyze_container(ContainerSpec("app", command=("java", "-jar", "a")), limit=2 * GI)
    assert codes(h) == [] and h.heap_limit == 512 * MI


def test_node_flag_at_limit_and_default():
    h = analyze_container(
        ContainerSpec("web", env=(EnvVar("NODE_OPTIONS", "--max-old-space-size=1024"),)), limit=512 * MI
    )
    assert codes(h) == ["node-heap-at-limit"]
    h = analyze_container(ContainerSpec("web", command=("node", "server.js")), limit=GI)
    assert codes(h) == ["node-heap-default"]
    assert "--max-old-space-size=768" in h.traps[0].fix.yaml


def test_dotnet_hex_traps():
    h = analyze_container(
        ContainerSpec("svc", env=(EnvVar("DOTNET_GCHeapHardLimit", "536870912"),)), limit=512 * MI
    )
    assert codes(h) == ["dotnet-heap-above-limit"]
    assert any("read as hexadecimal" in n and "0x20000000" in n for n in h.notes)
    h = analyze_container(
        ContainerSpec("svc", env=(EnvVar("DOTNET_GCHeapHardLimitPercent", "75"),)), limit=512 * MI
    )
    assert codes(h) == ["dotnet-heap-percent-invalid"]
    assert 'value: "0x4B"' in h.traps[0].fix.yaml
    h = analyze_container(
        ContainerSpec("svc", env=(EnvVar("DOTNET_GCHeapHardLimitPercent", "0x32"),)), limit=GI
    )
    assert codes(h) == [] and h.heap_limit == 512 * MI


def test_python_has_notes_not_traps():
    h = analyze_container(ContainerSpec("w", command=("celery", "worker", "--concurrency=8")), limit=GI)
    assert h.runtime == "python" and h.traps == ()
    assert any("Workers found: 8" in n for n in h.notes)


def test_no_limit_no_trap():
    assert codes(analyze_container(ContainerSpec("api", env=(EnvVar("GOGC", "100"),)), limit=None)) == []


def test_unknown_runtime():
    assert (
        analyze_container(ContainerSpec("x", image="registry.k8s.io/pause:3.10"), limit=GI).runtime
        == "unknown"
    )


# -- issue 10.5: the image's words, conditional advice; 10.7: the downward API's divisor, valueFrom ----


@pytest.mark.parametrize(
    ("image", "runtime"),
    [
        ("ghcr.io/acme/api-go:1.4", "go"),  # the seed case: no Go env, only the image says it
        ("ghcr.io/acme/billing-jvm:5.2.1", "jvm"),
        ("eclipse-temurin:21-jre", "jvm"),
        ("registry.example.com/team/orders_golang:3", "go"),
        ("node:22-alpine", "nodejs"),
        ("docker.io/calico/node:v3.27.0", "go"),  # a Kubernetes node agent, not Node.js
        ("quay.io/prometheus/node-exporter:v1.8.0", "go"),
        ("ghcr.io/acme/gateway:0.9.3", "unknown"),
        ("mongo:7", "unknown"),  # "mongo" is not "go"
    ],
)
def test_image_words_say_the_runtime_as_a_guess(image: str, runtime: str) -> None:
    h = analyze_container(ContainerSpec("app", image=image), limit=512 * MI)
    assert h.runtime == runtime
    if runtime != "unknown":
        assert h.detection == "guess" and image in h.evidence[0]


def test_go_image_without_gomemlimit_gets_the_hint() -> None:
    h = analyze_container(ContainerSpec("api", image="ghcr.io/acme/api-go:1.4"), limit=512 * MI)
    assert codes(h) == ["go-no-gomemlimit"]
    assert "GOMEMLIMIT" in h.traps[0].fix.yaml
    assert any("guessed from the image name" in n for n in h.notes)


def test_unknown_runtime_oom_killed_gets_conditional_checks_with_yaml() -> None:
    c = ContainerSpec("app", image="ghcr.io/acme/gateway:0.9.3")
    assert analyze_container(c, limit=512 * MI).traps == ()  # not killed: nothing to say
    h = analyze_container(c, limit=512 * MI, oom_killed=True)
    assert h.runtime == "unknown"
    assert codes(h) == ["if-go-gomemlimit", "if-jvm-heap", "if-nodejs-heap"]
    assert h.traps[0].title.startswith("If this is a Go program")
    assert 'value: "460MiB"' in h.traps[0].fix.yaml
    assert "MaxRAMPercentage" in h.traps[1].fix.yaml and "--max-old-space-size" in h.traps[2].fix.yaml


def _downward(divisor: str | None) -> ContainerSpec:
    return ContainerSpec(
        "api",
        image="ghcr.io/acme/api:1",
        env=(EnvVar("GOMEMLIMIT", None, "limits.memory", divisor, True),),
    )


def test_downward_gomemlimit_with_a_divisor_other_than_one() -> None:
    h = analyze_container(_downward("1Mi"), limit=512 * MI)
    (t,) = [t for t in h.traps if t.code == "go-gomemlimit-divisor"]
    assert t.severity == "critical" and "512 for the 512Mi limit" in t.detail
    assert h.heap_limit == 512  # bytes, as Go reads the bare number


def test_downward_gomemlimit_without_divisor_says_nothing_it_cannot_know() -> None:
    h = analyze_container(_downward(None), limit=512 * MI)
    assert "go-gomemlimit-divisor" not in codes(h)
    assert not any("cannot tell which divisor" in n for n in h.notes)
    (t,) = [t for t in h.traps if t.code == "go-gomemlimit-at-limit"]
    assert "rejects an env var that has both value and valueFrom" in t.fix.why
