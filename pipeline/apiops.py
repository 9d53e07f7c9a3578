"""API operations of sinks: the endpoint an apisnoop user sees for each write kubetorch finds.

A sink is `verb group/resource[/subresource]` plus the API version of its client. Its endpoint is
the OpenAPI operation the API server serves for it (`createCoreV1NamespacedPodBinding`,
`POST /api/v1/namespaces/{namespace}/pods/{name}/binding`). The tree's own spec
(`api/openapi-spec/swagger.json`) is the authority when it is there; otherwise the operation is
derived the way the API server names it (group, version, scope, Kind, subresource), with the Kind
and the scope taken from the API types declared in the tree (`+genclient` types with TypeMeta and
ObjectMeta), never guessed from a plural.

The catalogue built here also gives the graph export its Kinds (`pods` -> `Pod`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from kubetorch.cascades import split_resource
from kubetorch.models import pluralize

SPEC_PATH = "api/openapi-spec/swagger.json"
SPEC_MAX_BYTES = 64_000_000

# REST verb -> (HTTP method, operation-id prefix); apply is a PATCH with an apply-patch body
VERB_HTTP = {
    "create": ("POST", "create"),
    "update": ("PUT", "replace"),
    "patch": ("PATCH", "patch"),
    "apply": ("PATCH", "patch"),
    "delete": ("DELETE", "delete"),
    "deletecollection": ("DELETE", "delete"),
}
METHOD_VERBS = {"post": ("create",), "put": ("update",), "patch": ("patch", "apply")}

_VERSION = re.compile(r"v(\d+)(?:(alpha|beta)(\d+))?")


@dataclass(frozen=True)
class Endpoint:
    operation_id: str
    method: str
    path: str

    @property
    def text(self) -> str:
        """`VERB path template`, as apisnoop and the API reference print an endpoint."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class ApiResource:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    source: str = "openapi"  # openapi | types: where the Kind and scope were read


@dataclass
class ApiCatalog:
    """What the tree says the API serves: resources with their Kind and scope, and operations."""

    source: str = "none"  # openapi | types | openapi+types | none
    resources: dict[tuple[str, str, str], ApiResource] = field(default_factory=dict)
    operations: dict[tuple[str, str, str, str, str, bool], Endpoint] = field(default_factory=dict)

    @cached_property
    def served(self) -> set[tuple[str, str, str]]:
        """(group, version, resource) with at least one write operation in the spec."""
        return {(k[0], k[1], k[2]) for k in self.operations}

    @cached_property
    def _versions(self) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], set[str]] = {}
        for g, v, r in [*self.resources, *self.served]:
            found.setdefault((g, r), set()).add(v)
        return {k: sorted(vs, key=version_priority) for k, vs in found.items()}

    def versions(self, group: str, resource: str) -> list[str]:
        """Served versions of a resource, preferred first (GA before beta before alpha)."""
        return self._versions.get((group, resource), [])

    def kind_of(self, group: str, version: str, resource: str) -> str | None:
        hit = self.resources.get((group, version, resource))
        if hit is None:
            for v in self.versions(group, resource):
                hit = self.resources.get((group, v, resource))
                if hit is not None:
                    break
        return hit.kind if hit is not None else None


@dataclass(frozen=True)
class Resolution:
    """The endpoint of one sink, or why there is none (`status`)."""

    version: str
    endpoint: Endpoint | None
    status: str  # spec | derived | not-in-spec | unknown-kind | run-time-resource | unknown-version


def version_priority(version: str) -> tuple:
    """Kubernetes' version order: v2 > v1 > v2beta1 > v1beta2 > v1beta1 > v1alpha1 > anything else."""
    m = _VERSION.fullmatch(version)
    if m is None:
        return (3, 0, 0, version)
    stability = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stability, -int(m.group(1)), -int(m.group(3) or 0), version)


def valid_operation_id(s: str, capitalize_first: bool) -> str:
    """kube-openapi's ToValidOperationID: `rbac.authorization` -> `RbacAuthorization`."""
    out = []
    capitalize = capitalize_first
    for i, ch in enumerate(s):
        if ch.isalpha() or ch == "_" or (i != 0 and ch.isdigit()):
            out.append(ch.upper() if capitalize else ch)
            capitalize = False
        else:
            capitalize = True
    return "".join(out)


def endpoint_path(group: str, version: str, resource: str, namespaced: bool, item: bool, sub: str) -> str:
    base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    if namespaced:
        base += "/namespaces/{namespace}"
    path = f"{base}/{resource}"
    if item or sub:
        path += "/{name}"
    if sub:
        path += f"/{sub}"
    return path


def derive_endpoint(
    verb: str, group: str, version: str, resource: str, sub: str, kind: str, namespaced: bool
) -> Endpoint | None:
    """The operation the API server installs for this write (k8s.io/apiserver's naming rule)."""
    if verb not in VERB_HTTP:
        return None
    method, prefix = VERB_HTTP[verb]
    item = verb not in ("create", "deletecollection") or bool(sub)
    trimmed = (group or "core").removesuffix(".k8s.io")
    op = prefix + valid_operation_id(trimmed, True) + valid_operation_id(version, True)
    if verb == "deletecollection":
        op += "Collection"
    if namespaced:
        op += "Namespaced"
    op += kind + (valid_operation_id(sub, True) if sub else "")
    return Endpoint(op, method, endpoint_path(group, version, resource, namespaced, item, sub))


# ---------------------------------------------------------------- the tree's OpenAPI spec


def _parse_path(path: str) -> tuple[str, str, bool, str, bool, str] | None:
    """`/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status` ->
    (group, version, namespaced, resource, item, subresource); None for watch, proxy, discovery."""
    if "{path}" in path:
        return None
    segs = path.strip("/").split("/")
    if segs[0] == "api" and len(segs) >= 3:
        group, version, rest = "", segs[1], segs[2:]
    elif segs[0] == "apis" and len(segs) >= 4:
        group, version, rest = segs[1], segs[2], segs[3:]
    else:
        return None
    if rest[0] == "watch":
        return None
    namespaced = False
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[1] == "{namespace}":
        namespaced, rest = True, rest[2:]
    if len(rest) == 1:
        return group, version, namespaced, rest[0], False, ""
    if len(rest) in (2, 3) and rest[1] == "{name}":
        return group, version, namespaced, rest[0], True, rest[2] if len(rest) == 3 else ""
    return None


def spec_catalog(spec: dict) -> ApiCatalog:
    """Resources and write operations of a Swagger 2.0 / OpenAPI spec as the API server publishes it."""
    catalog = ApiCatalog(source="openapi")
    paths = spec.get("paths") if isinstance(spec, dict) else None
    for path, item in sorted((paths or {}).items()):
        parsed = _parse_path(path) if isinstance(path, str) else None
        if parsed is None or not isinstance(item, dict):
            continue
        group, version, namespaced, resource, is_item, sub = parsed
        for method, op in item.items():
            if not isinstance(op, dict) or not isinstance(op.get("operationId"), str):
                continue
            if op.get("x-kubernetes-action") == "connect":
                continue  # exec, attach, proxy: streams, not writes of stored objects
            gvk = op.get("x-kubernetes-group-version-kind")
            if not sub and isinstance(gvk, dict) and isinstance(gvk.get("kind"), str):
                # the object's own paths name its Kind (a subresource path names the body's: Binding)
                catalog.resources.setdefault(
                    (group, version, resource), ApiResource(group, version, resource, gvk["kind"], namespaced)
                )
            if method == "delete":
                verbs: tuple[str, ...] = ("delete",) if is_item else ("deletecollection",)
            elif method == "post" and (is_item and not sub):
                continue
            else:
                verbs = METHOD_VERBS.get(method, ())
            endpoint = Endpoint(op["operationId"], method.upper(), path)
            for verb in verbs:
                catalog.operations.setdefault((group, version, resource, sub, verb, namespaced), endpoint)
    return catalog


@dataclass(frozen=True)
class SpecFile:
    """The tree's spec file as found: its sha for the run key, its JSON, or why it is unusable."""

    path: str
    present: bool
    sha: str | None = None
    data: dict | None = None
    error: str | None = None


def read_spec(tree_root: str) -> SpecFile:
    import hashlib

    path = os.path.join(tree_root, SPEC_PATH)
    if not os.path.isfile(path):
        return SpecFile(SPEC_PATH, False)
    try:
        if os.path.getsize(path) > SPEC_MAX_BYTES:
            return SpecFile(SPEC_PATH, True, error=f"larger than {SPEC_MAX_BYTES} bytes")
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        return SpecFile(SPEC_PATH, True, error=f"unreadable: {e.strerror or e}")
    sha = hashlib.sha1(raw).hexdigest()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        return SpecFile(SPEC_PATH, True, sha, error=f"not valid JSON: {e}")
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        return SpecFile(SPEC_PATH, True, sha, error="not an OpenAPI spec (no paths)")
    return SpecFile(SPEC_PATH, True, sha, data)


# ---------------------------------------------------------------- API types declared in the tree


def comment_tags(lines: list[str], decl_line: int) -> list[str]:
    """The `+tag` lines of the two comment blocks above line `decl_line` (1-based), as gengo reads
    them: `// +genclient` may stand in its own block, one blank line above the doc comment."""
    tags: list[str] = []
    i = decl_line - 2
    blocks = 0
    in_block = False
    while i >= 0 and blocks < 2:
        text = lines[i].strip()
        if text.startswith("//"):
            in_block = True
            body = text[2:].strip()
            if body.startswith("+"):
                tags.append(body)
        elif not text and in_block:
            blocks += 1
            in_block = False
        elif not text:
            pass
        elif text.startswith("type (") or text == "(":
            break
        else:
            break
        i -= 1
    return tags


def _is_object_type(row: dict) -> bool:
    embeds = row.get("embeds") or []
    return (
        row.get("kind") == "struct"
        and any(e.rsplit(".", 1)[-1] == "TypeMeta" for e in embeds)
        and any(e.rsplit(".", 1)[-1] == "ObjectMeta" for e in embeds)
    )


def types_catalog(
    type_rows: Iterable[dict],
    group_of_package: Callable[[str], str | None],
    tags_of: Callable[[dict], list[str]],
    plurals: dict[str, str],
) -> ApiCatalog:
    """Resources declared as Go API types: a `+genclient` (or kubebuilder root) struct embedding
    TypeMeta and ObjectMeta, in a package `.../<group>/<version>`; `+genclient:nonNamespaced` or
    `+kubebuilder:resource:scope=Cluster` make it cluster-scoped, `+resourceName=` names it."""
    catalog = ApiCatalog(source="types")
    for row in type_rows:
        if not _is_object_type(row):
            continue
        pkg = row.get("package") or ""
        version = pkg.rsplit("/", 1)[-1]
        if _VERSION.fullmatch(version) is None:
            continue
        group = group_of_package(pkg)
        if group is None:
            continue
        tags = tags_of(row)
        if not any(t == "+genclient" or t == "+kubebuilder:object:root=true" for t in tags):
            continue
        kind = row["name"]
        resource = next((t.split("=", 1)[1] for t in tags if t.startswith("+resourceName=")), None)
        namespaced = not any(
            t == "+genclient:nonNamespaced"
            or t.replace(" ", "").startswith("+kubebuilder:resource:scope=Cluster")
            for t in tags
        )
        resource = resource or pluralize(kind, plurals)
        catalog.resources.setdefault(
            (group, version, resource), ApiResource(group, version, resource, kind, namespaced, "types")
        )
    return catalog


def tree_type_tags(tree_root: str) -> Callable[[dict], list[str]]:
    """tags_of for types_catalog: reads each type's file once, from the analysed tree."""
    files: dict[str, list[str]] = {}

    def tags_of(row: dict) -> list[str]:
        rel = row.get("file") or ""
        if rel not in files:
            try:
                with open(os.path.join(tree_root, rel), encoding="utf-8", errors="replace") as f:
                    files[rel] = f.read().splitlines()
            except OSError:
                files[rel] = []
        lines = files[rel]
        line = row.get("line") or 0
        return comment_tags(lines, line) if 0 < line <= len(lines) + 1 else []

    return tags_of


def merged(spec: ApiCatalog | None, types: ApiCatalog | None) -> ApiCatalog:
    """The spec's resources and operations, plus the resources only the Go types declare."""
    out = ApiCatalog()
    parts = [c for c in (spec, types) if c is not None and (c.resources or c.operations)]
    out.source = "+".join(c.source for c in parts) or "none"
    for c in parts:
        for k, v in c.resources.items():
            out.resources.setdefault(k, v)
        for k, v in c.operations.items():
            out.operations.setdefault(k, v)
    return out


# ---------------------------------------------------------------- resolving sinks


def resolve(catalog: ApiCatalog, verb: str, api_resource: str, version: str = "") -> Resolution:
    """The endpoint of a write: from the spec when it has this operation, else derived from the
    resource's Kind and scope. A sink whose client names no version (event recorders, REST clients)
    takes the resource's preferred served version."""
    if not api_resource or "*" in api_resource:
        return Resolution(version, None, "run-time-resource")
    group, resource, sub = split_resource(api_resource)
    if not version:
        served = catalog.versions(group, resource)
        if not served:
            return Resolution("", None, "unknown-version")
        version = served[0]
    has_spec = "openapi" in catalog.source
    for namespaced in (True, False):
        hit = catalog.operations.get((group, version, resource, sub, verb, namespaced))
        if hit is not None:
            return Resolution(version, hit, "spec")
    if (group, version, resource) in catalog.served:
        return Resolution(version, None, "not-in-spec")  # served, but not with this verb/subresource
    res = catalog.resources.get((group, version, resource))
    if res is None:
        return Resolution(version, None, "not-in-spec" if has_spec else "unknown-kind")
    return Resolution(
        version, derive_endpoint(verb, group, version, resource, sub, res.kind, res.namespaced), "derived"
    )


def sink_endpoints(program, catalog: ApiCatalog) -> dict[tuple[str, int, str, str], Resolution]:
    """(function, line, verb, resource) of every sink in the program -> its resolution; the key
    the sinks table and the chains table (sink_function, sink_line, ...) share."""
    out: dict[tuple[str, int, str, str], Resolution] = {}
    for qname, fs in program.functions.items():
        for s in fs.sinks:
            key = (qname, s.line, s.verb, s.resource)
            if key not in out:
                out[key] = resolve(catalog, s.verb, s.resource, getattr(s, "version", ""))
    return out


def coverage(resolutions: Iterable[Resolution], spec_present: bool) -> dict:
    """The manifest's figure: sinks with a concrete resource, and how many have an operation id."""
    rs = list(resolutions)
    concrete = [r for r in rs if r.status != "run-time-resource"]
    by_status: dict[str, int] = {}
    for r in concrete:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return {
        "sinks": len(rs),
        "concrete_sinks": len(concrete),
        "with_operation_id": sum(1 for r in concrete if r.endpoint is not None),
        "in_spec": by_status.get("spec", 0) if spec_present else 0,
        "by_status": dict(sorted(by_status.items())),
    }


def tree_catalog(tree_root: str, spec: SpecFile, type_rows: Iterable[dict], models) -> ApiCatalog:
    """The analysed tree's API: its spec (when usable) merged with its declared API types."""
    from_spec = spec_catalog(spec.data) if spec.data is not None else None
    from_types = types_catalog(
        (r for r in type_rows if _is_object_type(r)),
        models.api_group_of_package,
        tree_type_tags(tree_root),
        models.plurals,
    )
    return merged(from_spec, from_types)


def manifest_entry(spec: SpecFile, catalog: ApiCatalog, resolutions: Iterable[Resolution]) -> dict:
    """What the manifest records: whether the spec was there and used, and the sinks it covers."""
    return {
        "spec": {
            "path": spec.path,
            "present": spec.present,
            "used": spec.data is not None,
            "sha1": spec.sha,
            "error": spec.error,
            "write_operations": len({e.operation_id for e in catalog.operations.values()}),
        },
        "catalog": catalog.source,
        "resources": len(catalog.resources),
        **coverage(resolutions, spec.data is not None),
    }
