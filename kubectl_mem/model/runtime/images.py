"""What names say about a container's runtime: image names, executables, environment variables.

Data only; `detect` reads it.
"""

from __future__ import annotations

from kubectl_mem.model.runtime.hints import RuntimeName

# Image names (the last path component, or its last two for a few shared names such as calico/node)
# whose runtime is known: a guess still, labelled so wherever it is shown.
KNOWN_IMAGES: dict[str, RuntimeName] = {
    # Go
    "alertmanager": "go",
    "alloy": "go",
    "argocd": "go",
    "caddy": "go",
    "calico/kube-controllers": "go",
    "calico/node": "go",
    "calico/typha": "go",
    "cert-manager": "go",
    "cert-manager-controller": "go",
    "cilium": "go",
    "cluster-autoscaler": "go",
    "consul": "go",
    "coredns": "go",
    "csi-node-driver-registrar": "go",
    "etcd": "go",
    "external-dns": "go",
    "golang": "go",
    "grafana-agent": "go",
    "influxdb": "go",
    "jaeger-all-in-one": "go",
    "kube-apiserver": "go",
    "kube-controller-manager": "go",
    "kube-proxy": "go",
    "kube-rbac-proxy": "go",
    "kube-scheduler": "go",
    "kube-state-metrics": "go",
    "kyverno": "go",
    "loki": "go",
    "metrics-server": "go",
    "mimir": "go",
    "minio": "go",
    "nats": "go",
    "nats-server": "go",
    "node-exporter": "go",
    "node-feature-discovery": "go",
    "node-problem-detector": "go",
    "opentelemetry-collector": "go",
    "opentelemetry-collector-contrib": "go",
    "operator-generic": "go",
    "prometheus": "go",
    "promtail": "go",
    "pushgateway": "go",
    "tempo": "go",
    "thanos": "go",
    "traefik": "go",
    "vault": "go",
    "velero": "go",
    # JVM
    "activemq": "jvm",
    "adoptopenjdk": "jvm",
    "amazoncorretto": "jvm",
    "cassandra": "jvm",
    "cp-kafka": "jvm",
    "cp-server": "jvm",
    "eclipse-temurin": "jvm",
    "elasticsearch": "jvm",
    "flink": "jvm",
    "gradle": "jvm",
    "ibm-semeru-runtimes": "jvm",
    "java": "jvm",
    "jenkins": "jvm",
    "jetty": "jvm",
    "kafka": "jvm",
    "keycloak": "jvm",
    "logstash": "jvm",
    "maven": "jvm",
    "neo4j": "jvm",
    "openjdk": "jvm",
    "sapmachine": "jvm",
    "solr": "jvm",
    "sonarqube": "jvm",
    "spark": "jvm",
    "temurin": "jvm",
    "tomcat": "jvm",
    "trino": "jvm",
    "wildfly": "jvm",
    "zookeeper": "jvm",
    "zulu-openjdk": "jvm",
    # Node.js
    "alpine-node": "nodejs",
    "nodejs": "nodejs",
    # Python
    "base-notebook": "python",
    "jupyter": "python",
    "pypy": "python",
    "python": "python",
}


# Words of an image reference (split on / - _ . :) that name a runtime: ghcr.io/acme/api-go:1.4,
# eclipse-temurin:21-jre, acme/orders-jvm. A word naming two runtimes leaves the runtime unknown.
IMAGE_TOKENS: dict[str, RuntimeName] = {
    "go": "go",
    "golang": "go",
    "jvm": "jvm",
    "java": "jvm",
    "jdk": "jvm",
    "jre": "jvm",
    "openjdk": "jvm",
    "temurin": "jvm",
    "corretto": "jvm",
    "graalvm": "jvm",
    "kotlin": "jvm",
    "scala": "jvm",
    "nodejs": "nodejs",
    "python": "python",
    "python3": "python",
    "django": "python",
    "flask": "python",
    "fastapi": "python",
    "dotnet": "dotnet",
    "aspnet": "dotnet",
    "aspnetcore": "dotnet",
}

# "node" names Node.js only as Docker's official image (node:20, docker.io/library/node): elsewhere it
# is a Kubernetes node (calico/node, node-exporter, csi-node-driver-registrar are Go programs).
OFFICIAL_NODE_IMAGES = frozenset({"node", "library/node", "docker.io/library/node", "docker.io/node"})

# Microsoft's .NET images: mcr.microsoft.com/dotnet/{aspnet,runtime,runtime-deps,sdk}
DOTNET_IMAGES = frozenset({"aspnet", "runtime", "runtime-deps", "sdk"})


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
