"""The one column spec: every table of every view (`top`, `nodes`, `cgroups`, `-o wide`, explain's
tables and the interactive view) takes its columns from here, so a fact has one name, one format
and one legend line wherever it is shown.

A `Column` (spec.py) says what k9s's render headers say (name, alignment, wide-only, needs
metrics, needs cgroups) and more: the typed value it sorts by, the `Format` that writes that value
(bytes, percent, count ...: one precision rule for all), its `--sort-by` names, its help text (the
`?` legend), the interactive view's width, and the JSON field holding the same fact. Values stay
typed and are formatted when drawn (k9s sorts by parsing formatted strings back; we do not).

To add a column, declare it once in the list of its rows (pods.py, nodes.py, cgroups.py), e.g.

    Column("status", "STATUS", lambda p: p.status, TEXT, "what kubectl get pods says", json="status")

The same fact in another table takes the same `key` (a container's working set is `memory`, as a
pod's and a node's); tests/unit/test_vocabulary.py checks that equal keys share title, format and
JSON field, equal titles share a format, and every rendered header speaks this vocabulary.
"""

from kubectl_mem.report.columns.cgroups import (
    CGROUP_ROW_FIGURES,
    FIGURE_COLUMNS,
    VIEW_FIGURES,
    cgroup_row_columns,
    container_cgroup_columns,
    container_name_column,
    no_cgroup,
    node_cgroup_columns,
    pod_cgroup_columns,
)
from kubectl_mem.report.columns.nodes import NODE_COLUMNS, NODE_SORTS
from kubectl_mem.report.columns.pods import (
    CONTAINER_COLUMNS,
    POD_COLUMNS,
    POD_SORTS,
    ContainerRow,
    eviction_order_columns,
)
from kubectl_mem.report.columns.spec import (
    BYTES,
    CONDITION,
    COUNT,
    LIMIT,
    PERCENT,
    PSI,
    REQUEST,
    TEXT,
    Align,
    Column,
    Format,
    in_text,
    insert_after,
    risk_level_order,
    sort_rows,
    sorts,
    visible,
)
from kubectl_mem.report.columns.workloads import (
    NAMESPACE_COLUMNS,
    NAMESPACE_SORTS,
    WORKLOAD_COLUMNS,
    WORKLOAD_SORTS,
)

__all__ = [
    "BYTES",
    "CGROUP_ROW_FIGURES",
    "CONDITION",
    "CONTAINER_COLUMNS",
    "COUNT",
    "FIGURE_COLUMNS",
    "LIMIT",
    "NAMESPACE_COLUMNS",
    "NAMESPACE_SORTS",
    "NODE_COLUMNS",
    "NODE_SORTS",
    "PERCENT",
    "POD_COLUMNS",
    "POD_SORTS",
    "PSI",
    "REQUEST",
    "TEXT",
    "VIEW_FIGURES",
    "WORKLOAD_COLUMNS",
    "WORKLOAD_SORTS",
    "Align",
    "Column",
    "ContainerRow",
    "Format",
    "cgroup_row_columns",
    "container_cgroup_columns",
    "container_name_column",
    "eviction_order_columns",
    "in_text",
    "insert_after",
    "no_cgroup",
    "node_cgroup_columns",
    "pod_cgroup_columns",
    "risk_level_order",
    "sort_rows",
    "sorts",
    "visible",
]
