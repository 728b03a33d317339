"""What names say about a container's runtime: image names, executables, environment variables.

Data only; `detect` reads it.
"""

from __future__ import annotations

from kubectl_mem.model.runtime.hints import RuntimeName

GO_IMAGES = frozenset(
    [
        "golang",
        "prometheus",
        "alertmanager",
        "node-exporter",
        "pushgateway",
        "coredns",
        "etcd",
        "traefik",
        "consul",
        "vault",
        "thanos",
        "loki",
        "promtail",
        "tempo",
        "mimir",
        "minio",
        "cert-manager",
        "cert-manager-controller",
        "external-dns",
        "kube-state-metrics",
        "metrics-server",
        "argocd",
        "caddy",
        "nats",
        "nats-server",
        "influxdb",
        "jaeger-all-in-one",
        "opentelemetry-collector",
        "opentelemetry-collector-contrib",
        "velero",
        "kyverno",
        "grafana-agent",
        "alloy",
    ]
)


JVM_IMAGES = frozenset(
    [
        "openjdk",
        "java",
        "eclipse-temurin",
        "temurin",
        "amazoncorretto",
        "adoptopenjdk",
        "ibm-semeru-runtimes",
        "zulu-openjdk",
        "sapmachine",
        "tomcat",
        "jetty",
        "wildfly",
        "maven",
        "gradle",
        "elasticsearch",
        "logstash",
        "kafka",
        "cp-kafka",
        "cp-server",
        "zookeeper",
        "cassandra",
        "keycloak",
        "jenkins",
        "sonarqube",
        "solr",
        "neo4j",
        "flink",
        "spark",
        "trino",
        "activemq",
    ]
)


NODE_IMAGES = frozenset({"node", "nodejs", "alpine-node"})


PYTHON_IMAGES = frozenset({"python", "pypy", "jupyter", "base-notebook"})


DOTNET_IMAGES = frozenset({"aspnet", "runtime", "runtime-deps", "sdk"})  # under mcr.../dotnet/


EXECUTABLES: dict[str, RuntimeName] = {
    "java": "jvm",
    "node": "nodejs",
    "nodejs": "nodejs",
    "npm": "nodejs",
    "npx": "nodejs",
    "yarn": "nodejs",
    "pnpm": "nodejs",
    "dotnet": "dotnet",
    "python": "python",
    "python3": "python",
    "gunicorn": "python",
    "uvicorn": "python",
    "celery": "python",
    "uwsgi": "python",
    "hypercorn": "python",
    "daphne": "python",
}


JVM_ENV = ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_OPTS")


DOTNET_LIMIT_ENV = ("DOTNET_GCHeapHardLimit", "COMPlus_GCHeapHardLimit")


DOTNET_PCT_ENV = ("DOTNET_GCHeapHardLimitPercent", "COMPlus_GCHeapHardLimitPercent")
