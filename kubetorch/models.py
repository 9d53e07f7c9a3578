"""Library models: the data in models.toml, compiled for fast lookups.

A model value is a ModelType: the model's name says what the library value is (clientset, typed
client, informer, queue, ...), the rest what it is about. The analyzer carries these through
locals and fields like any other type (a canonical type expression is a tuple tagged by its first
element; a ModelType's tag is 'M').
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from kubetorch.summary import Tagged

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MODELS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models.toml")

_VERSION_RE = r"v\d+(?:alpha\d+|beta\d+)?"


class _ModelType(NamedTuple):
    tag: Literal["M"]
    name: str
    group: str
    version: str
    resource: str
    subresource: str
    verb: str


class ModelType(Tagged, _ModelType):
    """A library value: its model's name (models.toml) and the API resource it is about."""

    __slots__ = ()

    def __new__(
        cls,
        name: str,
        group: str = "",
        version: str = "",
        resource: str = "",
        subresource: str = "",
        verb: str = "",
    ) -> ModelType:
        return tuple.__new__(cls, ("M", name, group, version, resource, subresource, verb))

    def with_attrs(
        self,
        group: str | None = None,
        version: str | None = None,
        resource: str | None = None,
        subresource: str | None = None,
        verb: str | None = None,
    ) -> ModelType:
        """The same model with some attributes set (None: left as it is)."""
        return ModelType(
            self.name,
            self.group if group is None else group,
            self.version if version is None else version,
            self.resource if resource is None else resource,
            self.subresource if subresource is None else subresource,
            self.verb if verb is None else verb,
        )

    @property
    def resource_name(self) -> str:
        """group/resource, the core group empty, `*` for a resource known only at run time."""
        return resource_name(self.group, self.resource or "*")


def resource_name(group: str, resource: str) -> str:
    """An API resource's name as every table writes it: `group/resource`, the core group empty."""
    return f"{group}/{resource}" if group else resource


def pluralize(api_kind: str, irregular: dict[str, str]) -> str:
    """API kind -> resource, with the same rules as the Kubernetes code generators."""
    if api_kind in irregular:
        return irregular[api_kind]
    low = api_kind.lower()
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    if low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        return low[:-1] + "ies"
    return low + "s"


@dataclass(slots=True)
class Effect:
    """What a modelled call does. Every field is optional."""

    gives: str | None = None
    sink: str | None = None  # REST verb of an API write
    read: str | None = None  # get | list | watch | lister
    effect: str | None = None  # write | read | none: on the receiver as non-local state
    register: int | None = None  # argument index of a registered event handler
    register_field: str | None = None
    subresource: str | None = None
    subresource_arg: int | None = None
    resource: str | None = None
    group: str | None = None
    kind: str | None = None  # "event" for event recorders
    verb: str | None = None
    verb_arg: int | None = None
    resource_arg: int | None = None
    gvr_arg: int | None = None
    object_arg: int | None = None
    object_field: str | None = None
    request: bool = False  # the terminal call of a rest request: a sink if the verb writes
    callback: bool = True
    # filled in by the matcher
    captures: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, d: dict[str, Any]) -> Effect:
        return cls(**d)


def _compile(pattern: str, groups: dict[str, str]) -> re.Pattern[str]:
    group_alt = "|".join(sorted(map(re.escape, groups), key=len, reverse=True))
    out = ""
    i = 0
    while i < len(pattern):
        if pattern[i] == "{":
            j = pattern.index("}", i)
            name = pattern[i + 1 : j]
            out += {
                "group": r"(?P<group>[a-z0-9]+)",
                "version": rf"(?P<version>{_VERSION_RE})",
                "Group": rf"(?P<Group>{group_alt}|[A-Z][a-z0-9]+)",
                "Version": r"(?P<Version>V\d+(?:alpha\d+|beta\d+)?)",
                "Kind": r"(?P<Kind>[A-Z][A-Za-z0-9]*?)",
                "Plural": r"(?P<Plural>[A-Z][A-Za-z0-9]*)",
            }[name]
            i = j + 1
        elif pattern[i] == "*":
            out += ".*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


class Models:
    def __init__(self, data: dict[str, Any]):
        self.groups: dict[str, str] = data.get("groups", {})
        self.group_dirs = {k.lower(): v for k, v in self.groups.items()}
        self.plurals: dict[str, str] = data.get("plurals", {})
        self.types_exact: dict[str, str] = {}
        self.types_patterns: list[tuple[re.Pattern[str], str]] = []
        for pat, name in data.get("types", {}).items():
            if "{" in pat or "*" in pat:
                self.types_patterns.append((_compile(pat, self.groups), name))
            else:
                self.types_exact[pat] = name
        self.funcs: dict[str, Effect] = {}
        self.funcs_patterns: list[tuple[re.Pattern[str], Effect]] = []
        for name, eff in data.get("funcs", {}).items():
            if "{" in name or "*" in name:
                self.funcs_patterns.append((_compile(name, self.groups), Effect.from_toml(eff)))
            else:
                self.funcs[name] = Effect.from_toml(eff)
        self._func_cache: dict[str, Effect | None] = {}
        self.calls_exact: dict[str, dict[str, Effect]] = {}
        self.calls_patterns: dict[str, list[tuple[re.Pattern[str], Effect]]] = {}
        for model_name, methods in data.get("calls", {}).items():
            exact: dict[str, Effect] = {}
            pats: list[tuple[re.Pattern[str], Effect]] = []
            for name, eff in methods.items():
                if "{" in name or "*" in name:
                    pats.append((_compile(name, self.groups), Effect.from_toml(eff)))
                else:
                    exact[name] = Effect.from_toml(eff)
            self.calls_exact[model_name] = exact
            self.calls_patterns[model_name] = pats
        handlers = data.get("handlers", {})
        self.handler_funcs: dict[str, dict[str, str]] = handlers.get("funcs", {})
        self.handler_filtering: dict[str, dict[str, str]] = handlers.get("filtering", {})
        self.handler_methods: dict[str, str] = handlers.get("methods", {})
        self.mutating_methods = frozenset(data.get("heuristics", {}).get("mutating_methods", []))
        self.max_dispatch_fanout = int(data.get("heuristics", {}).get("max_dispatch_fanout", 24))
        self.opaque = tuple(data.get("library", {}).get("opaque", []))
        self.test_support = [_compile(p, {}) for p in data.get("test_support", {}).get("packages", [])]
        self._test_cache: dict[str, bool] = {}
        self._opaque_cache: dict[str, bool] = {}
        self._type_cache: dict[tuple[str, str], ModelType | None] = {}

    # ------------------------------------------------------------ lookups
    def is_library(self, pkg: str) -> bool:
        """A package whose source is not followed (see [library] in models.toml)."""
        hit = self._opaque_cache.get(pkg)
        if hit is None:
            hit = self._opaque_cache[pkg] = any(
                pkg == p.rstrip("/") or pkg.startswith(p.rstrip("/") + "/") for p in self.opaque
            )
        return hit

    def group_of_dir(self, d: str) -> str | None:
        return self.group_dirs.get(d)

    def api_group_of_package(self, path: str) -> str | None:
        """k8s.io/api/apps/v1 -> apps; .../pkg/apis/batch/v1 -> batch; None when not an API package."""
        parts = path.split("/")
        for i in range(len(parts) - 1, 0, -1):
            if re.fullmatch(_VERSION_RE, parts[i]) or parts[i] == "internalversion":
                g = self.group_dirs.get(parts[i - 1])
                if g is not None and (path.startswith("k8s.io/api/") or "/apis/" in path):
                    return g
        if "/apis/" in path:
            g = self.group_dirs.get(parts[-1])
            if g is not None:
                return g
        return None

    def is_test_support(self, pkg: str) -> bool:
        """A package of fakes and test helpers (see [test_support] in models.toml)."""
        hit = self._test_cache.get(pkg)
        if hit is None:
            hit = self._test_cache[pkg] = any(p.match(pkg) for p in self.test_support)
        return hit

    def resource_of_kind(self, api_kind: str) -> str:
        return pluralize(api_kind, self.plurals)

    def type_model(self, pkg: str, name: str) -> ModelType | None:
        key = (pkg, name)
        if key in self._type_cache:
            return self._type_cache[key]
        full = f"{pkg}.{name}"
        result: ModelType | None = None
        model_name = self.types_exact.get(full)
        if model_name is not None:
            result = ModelType(model_name)
        else:
            for pat, k in self.types_patterns:
                m = pat.match(full)
                if m:
                    result = self._model_from_match(k, m.groupdict())
                    break
        self._type_cache[key] = result
        return result

    def _model_from_match(self, model_name: str, caps: dict[str, str]) -> ModelType:
        group = ""
        if caps.get("group"):
            group = self.group_dirs.get(caps["group"], caps["group"])
        if caps.get("Group"):
            group = self.groups.get(caps["Group"], caps["Group"].lower())
        version = caps.get("version") or (caps.get("Version") or "").lower()
        resource = ""
        if caps.get("Kind"):
            resource = self.resource_of_kind(caps["Kind"])
        return ModelType(model_name, group, version, resource)

    def call(self, m: ModelType, method: str) -> Effect | None:
        """The effect of calling `method` on a value of model type m."""
        exact = self.calls_exact.get(m.name)
        if exact is None:
            return None
        eff = exact.get(method)
        if eff is not None:
            return eff
        for pat, e in self.calls_patterns.get(m.name, ()):
            mm = pat.match(method)
            if mm:
                caps = {k: v for k, v in mm.groupdict().items() if v}
                if not caps:
                    return e
                return replace(e, captures=caps)
        return None

    def result_of_call(self, m: ModelType, eff: Effect, method: str) -> ModelType | None:
        """Model type of the value a call returns (the receiver's attributes carried over)."""
        if eff.gives is None:
            return None
        caps = eff.captures
        _tag, _name, group, version, resource, subresource, verb = m
        if "Group" in caps:
            group = self.groups.get(caps["Group"], caps["Group"].lower())
        if "Version" in caps:
            version = caps["Version"].lower()
        if "Plural" in caps:
            resource = caps["Plural"].lower()
        if eff.verb:
            verb = eff.verb
        if eff.resource:
            resource = eff.resource
        if eff.group is not None and eff.gives:
            group = eff.group
        if eff.subresource:
            subresource = eff.subresource
        return ModelType(eff.gives, group, version, resource, subresource, verb)

    def func(self, qualified: str) -> Effect | None:
        """A modelled library function (patterns like New{Kind}Informer capture their resource)."""
        eff = self.funcs.get(qualified)
        if eff is not None:
            return eff
        if qualified in self._func_cache:
            return self._func_cache[qualified]
        found = None
        for pat, e in self.funcs_patterns:
            m = pat.match(qualified)
            if m:
                found = replace(e, captures={})
                caps = {k: v for k, v in m.groupdict().items() if v}
                if "Kind" in caps:
                    found.resource = self.resource_of_kind(caps["Kind"])
                if "group" in caps:
                    found.group = self.group_dirs.get(caps["group"], caps["group"])
                break
        self._func_cache[qualified] = found
        return found


@lru_cache(maxsize=4)
def load_models(path: str = MODELS_FILE) -> Models:
    with open(path, "rb") as f:
        return Models(tomllib.load(f))


def models_digest(path: str = MODELS_FILE) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=8).hexdigest()
