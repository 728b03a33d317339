"""The column and its formats: what every table says of a column (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from kubectl_mem.model.views import RISK_ORDER
from kubectl_mem.report.fmt import UNBOUNDED, pct, size

R = TypeVar("R")
S = TypeVar("S")
Align = Literal["left", "right"]


# ---------------------------------------------------------------- formats


@dataclass(frozen=True)
class Format:
    """How one kind of value is written, the same in every table; `width` is the widest text it
    usually gives (the interactive view's budget; a title may be wider)."""

    name: str
    text: Callable[[Any], str]
    align: Align = "right"
    width: int = 7


def _text(v: Any) -> str:
    return "-" if v is None or v == "" else str(v)


def _count(v: int | None) -> str:
    return "-" if v is None else str(v)


def _request(v: int | None) -> str:
    return size(v or None, missing="none")  # none set (the kubelet counts 0): not "-", which is unknown


def _limit(v: int | None) -> str:
    return size(v, missing=UNBOUNDED)


def _condition(v: bool | None) -> str:
    return {True: "True", False: "False"}.get(v, "Unknown")  # type: ignore[arg-type]


def _psi(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


TEXT = Format("text", _text, "left", 10)
BYTES = Format("bytes", size)  # 617Mi, 1.5Gi, -34Mi; "-" unknown
REQUEST = Format("request", _request)  # "none": none set
LIMIT = Format("limit", _limit, width=9)  # "unbounded": no limit
PERCENT = Format("percent", pct, width=5)
COUNT = Format("count", _count, width=3)
CONDITION = Format("condition", _condition, "left", 7)  # a node condition: True, False, Unknown
PSI = Format("psi", _psi, width=5)


_IN_TEXT = {"OOM": "OOM", "QOS": "QoS", "OOM-KILLS": "OOM-kills", "PSI10": "PSI10"}


def in_text(title: str) -> str:
    """A column title in running text: `WORKING SET` -> `working set`, `OOM-KILLS` -> `OOM-kills`."""
    return " ".join(_IN_TEXT.get(w, w.lower()) for w in title.split())


# ---------------------------------------------------------------- the column


@dataclass(frozen=True)
class Column(Generic[R]):
    key: str  # the fact; the same fact has the same key in every table
    title: str  # its one name, upper case as kubectl prints headers
    value: Callable[[R], Any]  # the typed value: sorted by, written by `format`
    format: Format
    help: str  # one line for the legend
    json: str | None = None  # the document field (dotted path in an item) holding the same fact
    sort: tuple[str, ...] = ()  # --sort-by names; the first is the one shown
    descending: bool = False  # the natural direction when sorted: largest first
    wide: bool = False  # only with -o wide (the interactive view shows it when there is room)
    needs_metrics: bool = False  # hidden when metrics.k8s.io is not served
    needs_cgroups: bool = False  # the kernel's figures: --cgroups, key c
    namespaced: bool = False  # the NAMESPACE column: only when several namespaces are listed
    flex: tuple[int, int, int] | None = None  # data-sized in the TUI: (min, comfortable, max)
    cell: Callable[[R], str] | None = None  # the text when it says more than the value (1*)

    @property
    def align(self) -> Align:
        return self.format.align

    @property
    def width(self) -> int:
        return self.format.width

    @property
    def words(self) -> str:
        """The title in running text (a header's labels, a summary line): `working set`, `OOM`."""
        return in_text(self.title)

    def text(self, row: R) -> str:
        cell = self.cell
        return cell(row) if cell is not None else self.format.text(self.value(row))

    def on(self, get: Callable[[S], R]) -> Column[S]:
        """The same column over other rows: `get` maps such a row to this column's row."""
        value, cell = self.value, self.cell
        return replace(
            self,  # type: ignore[arg-type]
            value=lambda r: value(get(r)),
            cell=None if cell is None else (lambda r: cell(get(r))),
        )


def visible(
    columns: Sequence[Column[R]],
    *,
    wide: bool,
    all_namespaces: bool,
    has_metrics: bool = True,
    has_cgroups: bool = True,
) -> list[Column[R]]:
    return [
        c
        for c in columns
        if (wide or not c.wide)
        and (all_namespaces or not c.namespaced)
        and (has_metrics or not c.needs_metrics)
        and (has_cgroups or not c.needs_cgroups)
    ]


def insert_after(columns: Sequence[Column[R]], key: str, extra: Sequence[Column[R]]) -> list[Column[R]]:
    """`columns` with `extra` after the column `key` (at the end when it is not shown)."""
    out = list(columns)
    at = next((i + 1 for i, c in enumerate(out) if c.key == key), len(out))
    return out[:at] + list(extra) + out[at:]


def sorts(columns: Sequence[Column[Any]]) -> dict[str, tuple[str, bool]]:
    """--sort-by name -> (column key, natural direction), from the columns' `sort` names."""
    return {name: (c.key, c.descending) for c in columns for name in c.sort}


# ---------------------------------------------------------------- sorting


def _none_last(value: Any, descending: bool) -> tuple:
    # None sorts after every value whichever the direction
    if value is None:
        return (1, 0)
    return (0, value if not descending else _neg(value))


def _neg(value: Any) -> Any:
    if isinstance(value, bool):
        return -int(value)
    if isinstance(value, (int, float)):
        return -value
    return _Reversed(value)


class _Reversed:
    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Reversed) -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and other.v == self.v


def sort_rows(
    rows: Sequence[R], columns: Sequence[Column[R]], key: str, descending: bool, tie: Callable[[R], Any]
) -> list[R]:
    """Sort by a column's typed value, missing values last, ties broken by `tie` (stable order)."""
    col = next(c for c in columns if c.key == key)
    get = col.value
    return sorted(rows, key=lambda r: (_none_last(get(r), descending), tie(r)))


def risk_level_order(level: str) -> int:
    return RISK_ORDER.get(level, 0)
