"""Label and field selectors with the apiserver's grammar and matching rules.

Label selectors follow k8s.io/apimachinery/pkg/labels (=, ==, !=, in, notin, exists, !key, gt/lt);
field selectors follow pkg/fields (=, ==, != joined by commas, backslash escapes). Parse errors raise
SelectorError, which the server turns into a 400 BadRequest Status.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "SelectorError",
    "parse_field_selector",
    "parse_label_selector",
]


class SelectorError(ValueError):
    """A selector the apiserver would reject with 400 BadRequest."""


_NAME_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS1123_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_TOKEN_RE = re.compile(r"\s*(==|!=|=|!|\(|\)|,|>|<|[^\s=!(),<>]+)")


def _validate_key(key: str) -> None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.match(prefix)):
        raise SelectorError(
            f"unable to parse requirement: invalid label key {key!r}: prefix part must be "
            "a lowercase RFC 1123 subdomain"
        )
    if not name or len(name) > 63 or not _NAME_RE.match(name):
        raise SelectorError(
            f"unable to parse requirement: invalid label key {key!r}: name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        )


def _validate_value(value: str) -> None:
    if value and (len(value) > 63 or not _NAME_RE.match(value)):
        raise SelectorError(
            f"unable to parse requirement: values[0]: Invalid value: {value!r}: a valid label must be an "
            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character"
        )


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.op
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        value = labels.get(self.key)
        if op in ("=", "in"):
            return value is not None and value in self.values
        if op in ("!=", "notin"):
            # Absent keys satisfy negative requirements, as in apimachinery.
            return value is None or value not in self.values
        if value is None:
            return False
        try:
            have, want = int(value), int(self.values[0])
        except ValueError:
            return False
        return have > want if op == "gt" else have < want


@dataclass(frozen=True, slots=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse a labelSelector query value; raises SelectorError on a malformed one."""
    if not text or not text.strip():
        return LabelSelector((), "")
    tokens = _tokenize(text)
    reqs: list[Requirement] = []
    i = 0
    n = len(tokens)

    def expect_ident(pos: int, what: str) -> str:
        if pos >= n or tokens[pos] in ("==", "!=", "=", "!", "(", ")", ",", ">", "<"):
            found = tokens[pos] if pos < n else "end of string"
            raise SelectorError(f"unable to parse requirement: found '{found}', expected: {what}")
        return tokens[pos]

    while i < n:
        if tokens[i] == "!":
            key = expect_ident(i + 1, "identifier after '!'")
            _validate_key(key)
            reqs.append(Requirement(key, "!"))
            i += 2
        else:
            key = expect_ident(i, "identifier")
            _validate_key(key)
            i += 1
            op = tokens[i] if i < n else ","
            if op == ",":
                reqs.append(Requirement(key, "exists"))
            elif op in ("=", "==", "!="):
                value = "" if i + 1 >= n or tokens[i + 1] == "," else tokens[i + 1]
                if value in ("(", ")", "!", "=", "==", "!=", ">", "<"):
                    raise SelectorError(f"unable to parse requirement: found '{value}', expected: identifier")
                _validate_value(value)
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
                i += 1 if not value else 2
            elif op in (">", "<"):
                value = expect_ident(i + 1, "integer")
                if not re.fullmatch(r"-?\d+", value):
                    raise SelectorError(
                        f"unable to parse requirement: for 'gt', 'lt' operators, the value "
                        f"must be an integer: {value}"
                    )
                reqs.append(Requirement(key, "gt" if op == ">" else "lt", (value,)))
                i += 2
            elif op in ("in", "notin"):
                if i + 1 >= n or tokens[i + 1] != "(":
                    raise SelectorError(
                        "unable to parse requirement: found '"
                        + (tokens[i + 1] if i + 1 < n else "end of string")
                        + "', expected: '('"
                    )
                i += 2
                values: list[str] = []
                while True:
                    if i >= n:
                        raise SelectorError(
                            "unable to parse requirement: found 'end of string', expected: ')'"
                        )
                    tok = tokens[i]
                    if tok == ")":
                        i += 1
                        break
                    if tok == ",":
                        i += 1
                        continue
                    if tok in ("(", "!", "=", "==", "!=", ">", "<"):
                        raise SelectorError(
                            f"unable to parse requirement: found '{tok}', expected: ',', ')' or identifier"
                        )
                    _validate_value(tok)
                    values.append(tok)
                    i += 1
                if not values and op == "in":
                    raise SelectorError(
                        "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty"
                    )
                reqs.append(Requirement(key, op, tuple(values)))
            else:
                raise SelectorError(
                    f"unable to parse requirement: found '{op}', expected: in, notin, =, ==, !=, gt, lt"
                )
        if i < n:
            if tokens[i] != ",":
                raise SelectorError(f"found '{tokens[i]}', expected: ',' or 'end of string'")
            i += 1
            if i >= n:
                raise SelectorError("found 'end of string', expected: identifier")
    return LabelSelector(tuple(reqs), text)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise SelectorError(f"unable to parse requirement: unexpected character at {pos} in {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


@dataclass(frozen=True, slots=True)
class FieldTerm:
    field: str
    op: str  # "=" or "!="
    value: str


@dataclass(frozen=True, slots=True)
class FieldSelector:
    terms: tuple[FieldTerm, ...]
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, fields: Mapping[str, str]) -> bool:
        for t in self.terms:
            have = fields.get(t.field, "")
            if (have == t.value) != (t.op == "="):
                return False
        return True

    def exact(self, field: str) -> str | None:
        """The value a field must equal, for index-style shortcuts (metadata.name, spec.nodeName)."""
        for t in self.terms:
            if t.field == field and t.op == "=":
                return t.value
        return None


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    escaped = False
    for ch in text:
        if escaped:
            cur.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if escaped:
        cur.append("\\")
    parts.append("".join(cur))
    return parts


def _unescape(value: str) -> str:
    out: list[str] = []
    it = iter(value)
    for ch in it:
        if ch == "\\":
            nxt = next(it, "")
            if nxt not in ("\\", ",", "=", "!"):
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{nxt}")
            out.append(nxt)
        else:
            out.append(ch)
    return "".join(out)


def parse_field_selector(text: str | None, supported: Callable[[str], bool]) -> FieldSelector:
    """Parse a fieldSelector; `supported(field)` says whether the resource indexes that field."""
    if not text or not text.strip():
        return FieldSelector((), "")
    terms: list[FieldTerm] = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        for candidate, marker in (("!=", "!="), ("=", "=="), ("=", "=")):
            idx = _find_unescaped(part, marker)
            if idx >= 0:
                op, field, value = candidate, part[:idx].strip(), _unescape(part[idx + len(marker) :])
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        if not supported(field):
            raise SelectorError(f"field label not supported: {field}")
        terms.append(FieldTerm(field, op, value))
    return FieldSelector(tuple(terms), text)


def _find_unescaped(text: str, marker: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(marker, i):
            return i
        i += 1
    return -1
