"""Bearer-token authentication and a small RBAC-like authorizer with the apiserver's messages.

Resources are named the way RBAC and the 403 messages name them: "pods", "nodes/proxy", "pods/log",
"pods.metrics.k8s.io", "priorityclasses.scheduling.k8s.io", or "*". A rule without namespaces is
cluster-wide (every namespace and cluster-scoped objects); with namespaces it grants only there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ADMIN_TOKEN", "Attributes", "Auth", "Rule", "User"]

ADMIN_TOKEN = "sim-admin-token"


@dataclass(frozen=True, slots=True)
class Rule:
    verbs: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] | None = None

    @classmethod
    def of(cls, spec: Rule | Mapping[str, Any]) -> Rule:
        if isinstance(spec, Rule):
            return spec
        ns = spec.get("namespaces")
        return cls(
            tuple(spec.get("verbs", ("*",))),
            tuple(spec.get("resources", ("*",))),
            None if ns is None else tuple(ns),
        )

    def allows(self, attrs: Attributes) -> bool:
        if "*" not in self.verbs and attrs.verb not in self.verbs:
            return False
        if "*" not in self.resources and attrs.qualified_resource not in self.resources:
            return False
        if self.namespaces is None:
            return True
        return bool(attrs.namespace) and attrs.namespace in self.namespaces


@dataclass(frozen=True, slots=True)
class User:
    name: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a request does, as the authorizer sees it (authorizer.Attributes)."""

    verb: str
    resource: str = ""  # "" for non-resource requests (discovery, /version)
    group: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        return bool(self.resource)

    @property
    def qualified_resource(self) -> str:
        res = self.resource + (f"/{self.subresource}" if self.subresource else "")
        return f"{res}.{self.group}" if self.group else res

    def forbidden_status(self, user: str) -> tuple[str, dict[str, str]]:
        """Message and details of the apiserver's 403 (responsewriters.forbiddenMessage + NewForbidden)."""
        if not self.is_resource_request:
            return f'forbidden: User "{user}" cannot {self.verb} path "{self.path}"', {}
        res = self.resource + (f"/{self.subresource}" if self.subresource else "")
        scope = f'in the namespace "{self.namespace}"' if self.namespace else "at the cluster scope"
        why = f'User "{user}" cannot {self.verb} resource "{res}" in API group "{self.group}" {scope}'
        qualified = f"{self.resource}.{self.group}" if self.group else self.resource
        head = f'{qualified} "{self.name}"' if self.name else qualified
        details = {"name": self.name, "group": self.group, "kind": self.resource}
        return f"{head} is forbidden: {why}", {k: v for k, v in details.items() if v}


class Auth:
    """Token table. `Auth()` has only the admin token; `Auth.disabled()` lets every request through."""

    def __init__(
        self,
        tokens: Mapping[str, User | tuple[str, Iterable[Rule | Mapping[str, Any]]]] | None = None,
        *,
        enabled: bool = True,
        admin_token: str | None = ADMIN_TOKEN,
    ) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()
        self._tokens: dict[str, User] = {}
        if admin_token:
            self._tokens[admin_token] = User("sim-admin", (Rule(),))
        for token, spec in (tokens or {}).items():
            if isinstance(spec, User):
                self._tokens[token] = spec
            else:
                name, rules = spec
                self.add_user(token, name, rules)

    @classmethod
    def disabled(cls) -> Auth:
        return cls(enabled=False)

    def add_user(self, token: str, name: str, rules: Iterable[Rule | Mapping[str, Any]]) -> User:
        user = User(name, tuple(Rule.of(r) for r in rules))
        with self._lock:
            self._tokens[token] = user
        return user

    def remove_token(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def authenticate(self, authorization: str | None) -> User | None:
        """The user behind an Authorization header, or None (→ 401)."""
        if not self.enabled:
            return User("system:anonymous", (Rule(),))
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            return self._tokens.get(authorization[len("Bearer ") :].strip())

    def authorize(self, user: User, attrs: Attributes) -> bool:
        if not self.enabled:
            return True
        if not attrs.is_resource_request:
            # system:discovery / system:public-info-viewer grant these to every authenticated user.
            return attrs.verb == "get"
        return any(rule.allows(attrs) for rule in user.rules)
