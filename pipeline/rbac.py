"""RBAC consistency: every API write a chain reaches, held against the RBAC role of the account
the component's clients are built for.

A write the role forbids cannot happen in production: it is a false chain or a Kubernetes bug.
A write rule of the role that no chain reaches is a missing chain or a dead permission. Three
inputs, none of them from the analysis core:

* the account of each component, from the wiring of its binary: a start function in a `cmd/` or
  `app/` package that builds a client with `ClientBuilder.ClientOrDie("replicaset-controller")`
  (`ConfigOrDie`, `Client`, `Config`; a `rootClientBuilder` means the binary's own identity), or a
  cloud-controller-manager init context `{ClientName: "node-controller"} ... Constructor: F`,
  reaching the component's registration functions over the `calls` table; else the identities
  of `[rbac.identities]` in models.toml (the scheduler's `system:kube-scheduler`);
* the RBAC objects: the tree's bootstrap policy (`[rbac] bootstrap_dirs`, the
  `testdata/*.yaml` of plugin/pkg/auth/authorizer/rbac/bootstrappolicy) and the files given with
  `analyze --rbac`: ClusterRole, Role, ClusterRoleBinding, RoleBinding, and Lists of them;
* the writes: the `chains` table, one (verb, resource) per component with its shortest witness.

Semantics follow the v1.28 RBAC authorizer: `apply` is a `patch`; a subresource is matched only
by `res/sub`, `*/sub` or `*`; `resourceNames` never allow a create and allow other verbs only for
those names; aggregated ClusterRoles get the rules of the roles their selectors match; a
RoleBinding grants only in its namespace; Events recorded by a component may go to `events` in
the core group or in events.k8s.io.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml

from kubetorch.models import MODELS_FILE

STATUS_ALLOWED = "allowed"
STATUS_FORBIDDEN = "forbidden"
STATUS_NO_ROLE = "no role"
STATUS_UNREACHED = "unreached"

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "*"})
RBAC_KINDS = frozenset({"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"})
EVENT_GROUPS = ("", "events.k8s.io")


class RBACError(Exception):
    """A file given with --rbac that cannot be used (one line, for `kubetorch: error:`)."""


# ---------------------------------------------------------------- configuration (models.toml)


@dataclass(frozen=True)
class Settings:
    bootstrap_dirs: tuple[str, ...] = ()
    service_account_namespace: str = "kube-system"
    root_identity: str = ""
    identities: tuple[tuple[str, str], ...] = ()  # (package prefix, "User:name" or "ServiceAccount:ns/name")
    client_methods: tuple[str, ...] = ("ClientOrDie", "ConfigOrDie", "Client", "Config")
    known_groups: frozenset[str] = frozenset()


def load_settings(path: str = MODELS_FILE) -> Settings:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    r = data.get("rbac", {})
    return Settings(
        bootstrap_dirs=tuple(r.get("bootstrap_dirs", ())),
        service_account_namespace=r.get("service_account_namespace", "kube-system"),
        root_identity=r.get("root_client_identity", ""),
        identities=tuple(sorted(r.get("identities", {}).items(), key=lambda kv: -len(kv[0]))),
        client_methods=tuple(r.get("client_builder_methods", Settings.client_methods)),
        known_groups=frozenset(g for g in data.get("groups", {}).values() if g),
    )


# ---------------------------------------------------------------- RBAC objects


@dataclass(frozen=True)
class Rule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]
    source: str  # file:line of the rule

    def text(self) -> str:
        names = f" resourceNames={list(self.resource_names)}" if self.resource_names else ""
        groups = ["core" if g == "" else g for g in self.api_groups]
        return f"apiGroups={groups} resources={list(self.resources)} verbs={list(self.verbs)}{names}"


@dataclass
class Role:
    kind: str  # ClusterRole | Role
    name: str
    namespace: str | None
    rules: list[Rule]
    labels: dict[str, str]
    aggregation: list[dict[str, str]]  # matchLabels of clusterRoleSelectors
    source: str


@dataclass(frozen=True)
class Subject:
    kind: str  # User | Group | ServiceAccount
    name: str
    namespace: str = ""

    def label(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount:{self.namespace}/{self.name}"
        return f"{self.kind}:{self.name}"


@dataclass
class Binding:
    kind: str  # ClusterRoleBinding | RoleBinding
    name: str
    namespace: str | None
    role_kind: str
    role_name: str
    subjects: list[Subject]
    source: str


@dataclass
class Policy:
    roles: dict[tuple[str, str | None, str], Role] = field(default_factory=dict)  # (kind, ns, name)
    bindings: list[Binding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    user_files: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not self.roles and not self.bindings


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that remembers the line of every mapping (for rule_source)."""


def _mapping_with_line(loader, node, deep=False):
    m = loader.construct_mapping(node, deep=deep)
    m["__line__"] = node.start_mark.line + 1
    return m


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _objects(doc: Any):
    """RBAC objects in one YAML document (a List's items included)."""
    if not isinstance(doc, dict):
        return
    if doc.get("kind", "").endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from _objects(item)
    elif doc.get("kind") in RBAC_KINDS:
        yield doc


def _strs(value) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple("" if v is None else str(v) for v in value)


def load_file(policy: Policy, path: str, shown: str) -> int:
    """Add the RBAC objects of one YAML file to `policy`; returns how many it holds. Raises
    RBACError (unreadable, not YAML)."""
    try:
        with open(path, encoding="utf-8") as f:
            docs = list(yaml.load_all(f, Loader=_LineLoader))
    except OSError as e:
        raise RBACError(f"{shown}: cannot read ({e.strerror or e})") from e
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RBACError(f"{shown}: not YAML ({first})") from e
    n = 0
    for doc in docs:
        for obj in _objects(doc):
            n += 1
            _add_object(policy, obj, shown)
    policy.files.append(shown)
    return n


def _add_object(policy: Policy, obj: dict, shown: str) -> None:
    kind = obj["kind"]
    meta = obj.get("metadata") or {}
    name = str(meta.get("name", ""))
    ns = meta.get("namespace") if kind in ("Role", "RoleBinding") else None
    where = f"{shown}:{obj.get('__line__', 0)}"
    if kind in ("ClusterRole", "Role"):
        rules = []
        for r in obj.get("rules") or []:
            if not isinstance(r, dict) or r.get("nonResourceURLs"):
                continue
            rules.append(
                Rule(
                    _strs(r.get("apiGroups")),
                    _strs(r.get("resources")),
                    _strs(r.get("verbs")),
                    _strs(r.get("resourceNames")),
                    f"{shown}:{r.get('__line__', 0)}",
                )
            )
        selectors = []
        for sel in (obj.get("aggregationRule") or {}).get("clusterRoleSelectors") or []:
            labels = {k: str(v) for k, v in (sel.get("matchLabels") or {}).items() if k != "__line__"}
            selectors.append(labels)
        labels = {k: str(v) for k, v in (meta.get("labels") or {}).items() if k != "__line__"}
        policy.roles[(kind, ns, name)] = Role(kind, name, ns, rules, labels, selectors, where)
    else:
        ref = obj.get("roleRef") or {}
        subjects = []
        for s in obj.get("subjects") or []:
            if isinstance(s, dict) and s.get("kind") in ("User", "Group", "ServiceAccount"):
                sns = str(s.get("namespace") or (ns or "")) if s["kind"] == "ServiceAccount" else ""
                subjects.append(Subject(s["kind"], str(s.get("name", "")), sns))
        policy.bindings.append(
            Binding(kind, name, ns, str(ref.get("kind", "")), str(ref.get("name", "")), subjects, where)
        )


def policy_files(tree: str, rbac_files: tuple[str, ...], settings: Settings | None = None) -> list[str]:
    """Every file load_policy reads: the tree's bootstrap policy YAML, then the user's --rbac files
    (a run's cached tables are valid only while these have the same bytes)."""
    settings = settings or load_settings()
    out = []
    for d in settings.bootstrap_dirs:
        folder = os.path.join(tree, d)
        if os.path.isdir(folder):
            out += [
                os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith((".yaml", ".yml"))
            ]
    return out + list(rbac_files)


def load_policy(tree: str, rbac_files: tuple[str, ...], settings: Settings) -> Policy:
    """The tree's bootstrap policy plus the user's files. A bad bootstrap file is skipped (it is
    the tree's, not the user's); a bad --rbac file is an RBACError."""
    policy = Policy()
    for path in policy_files(tree, (), settings):
        try:
            load_file(policy, path, os.path.relpath(path, tree))
        except RBACError:
            continue
    for path in rbac_files:
        # counted by the file itself: a role of the same name as a bootstrap one replaces it
        if load_file(policy, path, path) == 0:
            raise RBACError(f"{path}: no ClusterRole, Role, ClusterRoleBinding or RoleBinding in it")
        policy.user_files.append(path)
    _aggregate(policy)
    return policy


def check_rbac_files(paths: tuple[str, ...]) -> None:
    """Before any work: every --rbac file must be readable YAML holding RBAC objects."""
    for path in paths:
        if os.path.isdir(path):
            raise RBACError(f"{path}: is a folder; give the YAML files")
        if load_file(Policy(), path, path) == 0:
            raise RBACError(f"{path}: no ClusterRole, Role, ClusterRoleBinding or RoleBinding in it")


def _aggregate(policy: Policy) -> None:
    """Aggregated ClusterRoles (admin, edit, view) get the rules of the roles they select."""
    cluster = [r for r in policy.roles.values() if r.kind == "ClusterRole"]
    for _round in range(4):  # aggregation may nest (admin selects edit's labels too)
        changed = False
        for role in cluster:
            for sel in role.aggregation:
                for other in cluster:
                    if other is role or not sel or any(other.labels.get(k) != v for k, v in sel.items()):
                        continue
                    for rule in other.rules:
                        if rule not in role.rules:
                            role.rules.append(rule)
                            changed = True
        if not changed:
            break


# ---------------------------------------------------------------- what an identity may do


@dataclass(frozen=True)
class Grant:
    rule: Rule
    role: str  # "ClusterRole system:controller:x"
    namespace: str | None  # None: everywhere (ClusterRoleBinding)


def parse_identity(text: str) -> Subject | None:
    """'User:system:kube-scheduler', 'ServiceAccount:kube-system/x' -> Subject."""
    kind, _, rest = text.partition(":")
    if kind == "ServiceAccount":
        ns, _, name = rest.partition("/")
        return Subject(kind, name, ns)
    if kind in ("User", "Group") and rest:
        return Subject(kind, rest)
    return None


def _matches_subject(s: Subject, who: Subject) -> bool:
    if s.kind != who.kind or s.name != who.name:
        return False
    return s.kind != "ServiceAccount" or s.namespace == who.namespace


def identity_subjects(who: Subject) -> list[Subject]:
    """The identity and the groups the authenticator gives it."""
    out = [who, Subject("Group", "system:authenticated")]
    if who.kind == "ServiceAccount":
        out += [
            Subject("Group", "system:serviceaccounts"),
            Subject("Group", f"system:serviceaccounts:{who.namespace}"),
        ]
    return out


def grants_of(policy: Policy, who: Subject, implicit: bool = True) -> list[Grant]:
    """Every rule a binding grants the identity (and, when implicit, the groups it is in)."""
    subjects = identity_subjects(who) if implicit else [who]
    grants: list[Grant] = []
    for b in policy.bindings:
        if not any(_matches_subject(s, w) for s in b.subjects for w in subjects):
            continue
        ns = b.namespace if b.kind == "RoleBinding" else None
        role = policy.roles.get((b.role_kind, ns if b.role_kind == "Role" else None, b.role_name))
        if role is None:
            continue
        for rule in role.rules:
            grants.append(Grant(rule, f"{role.kind} {role.name}", ns))
    return grants


def bound_service_accounts(policy: Policy, files: list[str]) -> set[Subject]:
    """Service accounts the bindings of some files name (an operator's manifests name one)."""
    out = set()
    for b in policy.bindings:
        if b.source.rsplit(":", 1)[0] in files:
            out.update(s for s in b.subjects if s.kind == "ServiceAccount")
    return out


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class Write:
    verb: str  # RBAC verb
    group: str  # "*" when known only at run time
    resource: str  # "*" when known only at run time
    subresource: str
    event: bool = False

    def combined(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def rbac_verb(api_verb: str) -> str:
    """The verb the authorizer sees: server-side apply is a PATCH."""
    return "patch" if api_verb == "apply" else api_verb


def parse_resource(api_resource: str, known_groups: frozenset[str]) -> tuple[str, str, str]:
    """'apps/replicasets/status' -> ('apps', 'replicasets', 'status'); 'pods/binding' ->
    ('', 'pods', 'binding'); '*/scale' -> ('*', '*', 'scale')."""
    parts = [p for p in api_resource.split("/") if p != ""]
    if not parts:
        return "", "", ""
    if parts[0] == "*":
        return "*", "*", "/".join(parts[1:])
    if len(parts) >= 2 and ("." in parts[0] or parts[0] in known_groups):
        return parts[0], parts[1], "/".join(parts[2:])
    return "", parts[0], "/".join(parts[1:])


def write_of(api_verb: str, api_resource: str, kind: str, known_groups: frozenset[str]) -> Write:
    group, resource, sub = parse_resource(api_resource, known_groups)
    return Write(rbac_verb(api_verb), group, resource, sub, kind == "event")


def _resource_matches(rule: Rule, w: Write) -> bool:
    """rbac/v1 ResourceMatches (v1.28): '*', 'res/sub', or '*/sub' for a subresource."""
    combined = w.combined()
    for r in rule.resources:
        if r == "*" or r == combined:
            return True
        if w.subresource and r == f"*/{w.subresource}":
            return True
    return False


@dataclass(frozen=True)
class Verdict:
    status: str
    grant: Grant | None
    note: str


def judge(w: Write, grants: list[Grant]) -> Verdict:
    """Is the write allowed by any grant? Full grants win over conditional ones (resourceNames,
    one namespace, only some of the resources a run-time `*` may be)."""
    groups = EVENT_GROUPS if w.event else (w.group,)
    partial: list[tuple[Grant, str]] = []
    for g in grants:
        rule = g.rule
        if "*" not in rule.verbs and w.verb not in rule.verbs:
            continue
        conditions = []
        if w.group == "*":
            if "*" not in rule.api_groups:
                conditions.append(f"groups {sorted(rule.api_groups)}")
        elif "*" not in rule.api_groups and not any(x in rule.api_groups for x in groups):
            continue
        if w.resource == "*":
            full = "*" in rule.resources or (w.subresource and f"*/{w.subresource}" in rule.resources)
            if not full:
                wanted = [r for r in rule.resources if not w.subresource or r.endswith("/" + w.subresource)]
                if not wanted:
                    continue
                conditions.append(f"resources {wanted}")
        elif not _resource_matches(rule, w):
            continue
        if rule.resource_names:
            if w.verb == "create":
                continue  # a create has no name yet: resourceNames never allow it
            conditions.append(f"names {list(rule.resource_names)}")
        if g.namespace is not None:
            conditions.append(f"namespace {g.namespace}")
        if not conditions:
            return Verdict(STATUS_ALLOWED, g, "")
        partial.append((g, ", ".join(conditions)))
    if partial:
        g, cond = partial[0]
        return Verdict(STATUS_ALLOWED, g, f"only for {cond}")
    return Verdict(STATUS_FORBIDDEN, None, "")


def rule_entries(rule: Rule) -> list[tuple[str, str, str]]:
    """The write (verb, group, resource-as-written) triples a rule grants."""
    out = []
    for verb in rule.verbs:
        if verb not in WRITE_VERBS:
            continue
        for group in rule.api_groups:
            for resource in rule.resources:
                out.append((verb, group, resource))
    return out


def entry_reached(entry: tuple[str, str, str], writes: list[Write]) -> bool:
    verb, group, resource = entry
    single = Grant(Rule((group,), (resource,), (verb,), (), ""), "", None)
    return any(judge(w, [single]).status == STATUS_ALLOWED for w in writes)


def entry_resource(group: str, resource: str) -> str:
    return (
        f"{group}/{resource}" if group and group != "*" else ("*/" + resource if group == "*" else resource)
    )


# ---------------------------------------------------------------- accounts from the wiring


@dataclass(frozen=True)
class ClientSite:
    function: str  # start function that builds the client (or the init-context constructor)
    account: str  # service account name, or "" for the binary's own identity
    root: bool
    file: str
    line: int


def _client_re(methods: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(re.escape(m) for m in methods)
    return re.compile(r"(?P<recv>[A-Za-z_][\w.]*)\.(?:" + alt + r')\(\s*"(?P<name>[^"]+)"\s*\)')


_INIT_RE = re.compile(r'ClientName:\s*"(?P<name>[^"]+)"[^{]*?Constructor:\s*(?P<ctor>[A-Za-z_]\w*)', re.S)


def _is_wiring(path: str) -> bool:
    p = "/" + path
    return "/cmd/" in p or "/app/" in p


def client_sites(
    tree: str, files: list[dict], functions: list[dict], calls: list[dict], settings: Settings
) -> list[ClientSite]:
    """Every place code builds a client for a named account, with its enclosing function: the
    files of the binaries' wiring (`cmd/`, `app/`) and the files of any function that calls a
    client builder's ClientOrDie/ConfigOrDie (a cloud provider's Initialize)."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    file_of: dict[str, str] = {}
    for fn in functions:
        by_file[fn["file"]].append(fn)
        file_of[fn["qualified_name"]] = fn["file"]
    builders = {
        file_of.get(c["caller"], "")
        for c in calls
        if c["callee"].endswith((".ClientOrDie", ".ConfigOrDie")) and "clientbuilder" in c["callee"]
    }
    client_re = _client_re(settings.client_methods)
    out: list[ClientSite] = []
    for f in files:
        path = f["file"] or ""
        if f["status"] != "ok" or not path.endswith(".go") or not (_is_wiring(path) or path in builders):
            continue
        try:
            with open(os.path.join(tree, path), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        if "ClientName" not in text and not any(m + "(" in text for m in settings.client_methods):
            continue
        starts = [0, *(m.end() for m in re.finditer("\n", text))]

        fns = by_file.get(path, [])
        for m in client_re.finditer(text):
            line = bisect.bisect_right(starts, m.start())
            enclosing = [fn for fn in fns if fn["line"] <= line <= fn["end_line"] and not fn["literal"]]
            if not enclosing:
                continue
            fn = max(enclosing, key=lambda x: x["line"])
            root = "root" in m.group("recv").lower()
            out.append(ClientSite(fn["qualified_name"], m.group("name"), root, path, line))
        pkg = f["package"] or ""
        for m in _INIT_RE.finditer(text):
            out.append(
                ClientSite(
                    f"{pkg}.{m.group('ctor')}",
                    m.group("name"),
                    False,
                    path,
                    bisect.bisect_right(starts, m.start()),
                )
            )
    return out


def _successors(calls: list[dict]) -> dict[str, set[str]]:
    succ: dict[str, set[str]] = defaultdict(set)
    for c in calls:
        succ[c["caller"]].add(c["callee"])
    return succ


def _distances(
    start: str, succ: dict[str, set[str]], literals: dict[str, list[str]], limit: int
) -> dict[str, int]:
    """Call distance from a start function (its func literals count as itself) to what it reaches."""
    dist: dict[str, int] = {}
    queue = deque([(start, 0), *((lit, 0) for lit in literals.get(start, ()))])
    while queue:
        q, d = queue.popleft()
        if q in dist or d > limit:
            continue
        dist[q] = d
        for nxt in succ.get(q, ()):
            if nxt not in dist:
                queue.append((nxt, d + 1))
        for lit in literals.get(q, ()):
            if lit not in dist:
                queue.append((lit, d))
    return dist


@dataclass(frozen=True)
class Account:
    identity: str  # "ServiceAccount:kube-system/x", "User:system:kube-scheduler", "" (none)
    how: str  # where it was found


def component_accounts(
    components: dict[str, set[str]],
    sites: list[ClientSite],
    calls: list[dict],
    functions: list[dict],
    settings: Settings,
    limit: int = 8,
) -> dict[str, Account]:
    """component -> its account. Among the client sites whose start function reaches one of the
    component's registration functions, the one that gets there through a function of the
    component's own package called directly (startReplicaSetController ->
    replicaset.NewReplicaSetController, not startReplicationController ->
    replication.NewReplicationManager -> replicaset.NewBaseController), then the one that enters the
    package soonest; ties keep every account."""
    succ = _successors(calls)
    literals: dict[str, list[str]] = defaultdict(list)
    package: dict[str, str] = {}
    for fn in functions:
        package[fn["qualified_name"]] = fn["package"]
        if fn["literal"] and fn.get("parent"):
            literals[fn["parent"]].append(fn["qualified_name"])
    memo: dict[str, dict[str, int]] = {}

    def dist_from(q: str) -> dict[str, int]:
        if q not in memo:
            memo[q] = _distances(q, succ, literals, limit)
        return memo[q]

    def first_hops(q: str) -> set[str]:
        out = set(succ.get(q, ()))
        for lit in literals.get(q, ()):
            out |= first_hops(lit)
        return out

    out: dict[str, Account] = {}
    for comp, registrations in components.items():
        pkg = comp.rsplit(".", 1)[0]
        best: list[tuple[tuple[int, int, int], ClientSite]] = []
        for s in sites:
            if package.get(s.function) == pkg and not _is_wiring(s.file):
                best.append(((-1, 0, 0), s))  # the component builds its own client
                continue
            dist = dist_from(s.function)
            to_reg = min((dist[r] for r in registrations if r in dist), default=None)
            if to_reg is None:
                continue
            enter = min((d for q, d in dist.items() if d <= to_reg and package.get(q) == pkg), default=to_reg)
            direct = any(
                package.get(c) == pkg and any(r in dist_from(c) for r in registrations)
                for c in first_hops(s.function)
            )
            best.append(((0 if direct else 1, enter, to_reg), s))
        if best:
            top = min(k for k, _s in best)
            chosen = sorted({(s.account, s.root) for k, s in best if k == top})
            where = sorted({f"{s.file}:{s.line}" for k, s in best if k == top})
            if any(root for _a, root in chosen):
                if settings.root_identity:
                    out[comp] = Account(settings.root_identity, f"root client builder at {', '.join(where)}")
                continue
            ns = settings.service_account_namespace
            out[comp] = Account(
                ",".join(f"ServiceAccount:{ns}/{a}" for a, _r in chosen),
                f"client built at {', '.join(where)}",
            )
            continue
        for prefix, identity in settings.identities:
            if pkg == prefix or pkg.startswith(prefix + "/"):
                out[comp] = Account(identity, f"[rbac.identities] {prefix}")
                break
    return out


# ---------------------------------------------------------------- the table


def rbac_rows(tree: str, tables: dict, rbac_files: tuple[str, ...] = (), settings: Settings | None = None):
    """Rows of the rbac table, or None when no RBAC object can be found."""
    settings = settings or load_settings()
    policy = load_policy(tree, rbac_files, settings)
    if policy.empty():
        return None
    chains = tables["chains"].to_pylist()
    handlers = tables["handlers"].to_pylist()
    components: dict[str, set[str]] = defaultdict(set)
    for h in handlers:
        components[h["component"]].add(h["registration"])
    for c in chains:
        components.setdefault(c["component"], set())
    functions = tables["functions"].to_pylist()
    calls = tables["calls"].to_pylist()
    sites = client_sites(tree, tables["files"].to_pylist(), functions, calls, settings)
    accounts = component_accounts(components, sites, calls, functions, settings)
    package = {fn["qualified_name"]: fn["package"] for fn in functions}
    own_client: dict[str, Account] = {}  # package -> the account its own code builds a client for
    for s in sites:
        pkg = package.get(s.function)
        if pkg and not _is_wiring(s.file) and not s.root:
            ns = settings.service_account_namespace
            own_client[pkg] = Account(
                f"ServiceAccount:{ns}/{s.account}", f"client built at {s.file}:{s.line}"
            )
    operator_sas = bound_service_accounts(policy, policy.user_files)
    if len(operator_sas) == 1:  # an operator's manifests bind exactly one service account
        only = next(iter(operator_sas))
        for comp in components:
            accounts.setdefault(comp, Account(only.label(), "the only service account the --rbac files bind"))
    witness: dict[tuple, dict] = {}
    for c in sorted(chains, key=lambda c: (len(c["path"] or []), c["chain_id"])):
        witness.setdefault((c["component"], c["api_verb"], c["api_resource"], c["kind"]), c)
    rows: list[dict] = []
    by_comp: dict[str, list[tuple[Write, dict]]] = defaultdict(list)
    for (comp, verb, res, kind), c in sorted(witness.items()):
        by_comp[comp].append((write_of(verb, res, kind, settings.known_groups), c))
    for comp in sorted(components):
        account = accounts.get(comp)
        grants = _grants(policy, account)
        for w, c in by_comp.get(comp, []):
            sink_pkg = package.get(c["sink_function"])
            writer = account
            if sink_pkg in own_client and sink_pkg != comp.rsplit(".", 1)[0]:
                writer = own_client[sink_pkg]  # the sink's package builds its own client (a cloud provider)
            wgrants = grants if writer is account else _grants(policy, writer)
            base = _row(comp, writer, c)
            grants_for_write = wgrants
            if not grants_for_write:
                base.update(status=STATUS_NO_ROLE, note=_no_role_note(writer))
            else:
                v = judge(w, grants_for_write)
                base.update(status=v.status, note=v.note or None)
                if v.grant is not None:
                    base.update(role=v.grant.role, rule=v.grant.rule.text(), rule_source=v.grant.rule.source)
            rows.append(base)
        writes = [w for w, _c in by_comp.get(comp, [])]
        seen: set[tuple] = set()
        for g in _grants(
            policy, account, own_only=True
        ):  # rules every authenticated identity has are no one's
            for entry in rule_entries(g.rule):
                key = (entry, g.role)
                if key in seen or entry_reached(entry, writes):
                    continue
                seen.add(key)
                rows.append(
                    {
                        **_row(comp, account, None),
                        "kind": "rule",
                        "status": STATUS_UNREACHED,
                        "api_verb": entry[0],
                        "api_resource": entry_resource(entry[1], entry[2]),
                        "role": g.role,
                        "rule": g.rule.text(),
                        "rule_source": g.rule.source,
                        "note": f"namespace {g.namespace}" if g.namespace else None,
                    }
                )
    return rows


def _grants(policy: Policy, account: Account | None, own_only: bool = False) -> list[Grant]:
    """What the account may do; nothing when no binding names the account itself (the groups
    every authenticated identity has grant no writes: that is "no role")."""
    grants: list[Grant] = []
    for ident in account.identity.split(",") if account and account.identity else []:
        who = parse_identity(ident)
        if who is None:
            continue
        own = grants_of(policy, who, implicit=False)
        if own:
            grants += own if own_only else own + [g for g in grants_of(policy, who) if g not in own]
    return grants


def _no_role_note(account: Account | None) -> str:
    if account is None or not account.identity:
        return "no account found in the wiring"
    return f"no binding grants {account.identity} any rule"


def _row(comp: str, account: Account | None, c: dict | None) -> dict:
    return {
        "component": comp,
        "account": account.identity if account else None,
        "account_source": account.how if account else None,
        "kind": c["kind"] if c else "rule",
        "api_verb": c["api_verb"] if c else None,
        "api_resource": c["api_resource"] if c else None,
        "status": None,
        "role": None,
        "rule": None,
        "rule_source": None,
        "chain_id": c["chain_id"] if c else None,
        "sink_function": c["sink_function"] if c else None,
        "sink_file": c["sink_file"] if c else None,
        "sink_line": c["sink_line"] if c else None,
        "note": None,
    }
