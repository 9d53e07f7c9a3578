"""What `summarize` says about each function: plain data, relative to the function's own
parameters and receiver, so the global pass composes summaries by substitution at call sites.

Ports are the function's connection points to the rest of the program; the summary's `edges`
say which inputs flow (through local variables, in any order: the analysis is path-insensitive)
to which outputs::

    ('P', i)            parameter i, i = -1 for the receiver                  input
    ('C', root, uid)    a variable shared between a function and its literals  input and output
    ('CO', k)           the results of call site k                             input
    ('RD', k)           the value read by access k                             input
    ('R',)              the returned values                                    output
    ('CI', k, i)        argument i of call site k (-1: receiver)               output
    ('WR', k)           the value written by access k                          output
    ('SK', k)           the arguments of API call k                            output

Access paths name non-local state relative to the function: (root, field) with root one of
('P', i), ('C', uid), ('L', uid) (a local of known type), ('G', pkg, name) (package variable); the
field is the first field selected from the root (None: the root object itself). `loc` is the same
path materialized as an abstract location: (TypeKey, field) of the struct that declares the field,
or ('G', pkg, name).

Call sites (`Site.callee`)::

    ('static', qname)                      a known function or method
    ('iface', (pkg, type), method, loc)    an interface method call; loc the receiver's location
    ('field', (pkg, type), field)          a call of a func-valued struct field
    ('global', pkg, name)                  a call of a package-level func variable
    ('param', i)                           a call of the enclosing function's func-valued parameter
    ('none',)                              nothing in the program (library calls keep only targets)
"""

from __future__ import annotations

from dataclasses import dataclass, field

# a func value: ('func', qname) | ('method', qname, bound receiver path) | ('lit', qname)
FuncValue = tuple


@dataclass(slots=True)
class Site:
    line: int
    kind: str  # call | go | defer | callback
    callee: tuple
    targets: tuple[FuncValue, ...] = ()  # func values already known where the call is written
    recv: tuple | None = None  # access path of the receiver expression
    args: tuple = ()  # access path (or None) of each argument
    arg_funcs: tuple = ()  # func values passed as each argument
    nargs: int = 0
    arg_types: tuple = ()  # concrete types (TypeKey, or ("ret", qname)) of each argument
    arg_models: tuple = ()  # library model of each argument (an informer with its resource), or ("param", i)


@dataclass(slots=True)
class Access:
    line: int
    mode: str  # read | write
    root: tuple
    field: str | None
    loc: tuple | None
    via: str  # what the code does: field, map store, chan send, queue.Add, ...
    direct: bool = True  # the function's own expression selects the field


@dataclass(slots=True)
class SinkCall:
    line: int
    verb: str
    resource: str  # group/resource[/subresource]
    kind: str  # write | event
    client: str  # typed | dynamic | rest | events | controller-runtime
    version: str = ""  # API version of the client or object (v1, v1beta1), "" when the call does not say


@dataclass(slots=True)
class LibRead:
    line: int
    what: str  # "lister pods", "get apps/deployments", ...


@dataclass(slots=True)
class FunctionSummary:
    qname: str
    file: str
    line: int
    ports: list[tuple] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    sinks: list[SinkCall] = field(default_factory=list)
    reads: list[LibRead] = field(default_factory=list)
    forwards_to: str | None = None  # a literal whose only statement calls this function
    returns: tuple = ()  # func values returned: ('lit', qname, forwarded param) etc. (handler factories)
    root_types: dict = field(
        default_factory=dict
    )  # root -> canonical type, for materializing substituted paths
    recv_type: tuple | None = None
    is_literal: bool = False
    parent: str | None = None
    root: str = ""  # qname of the top-level function whose variables this one shares
    var_names: dict = field(default_factory=dict)  # uid -> name, for shared and root variables
    instantiates: tuple = ()  # struct types this function builds (composite literals, new, var T)
    param_uids: tuple = ()  # variable uid of each parameter (a closure captures parameters by uid)


@dataclass(slots=True)
class HandlerValue:
    """What was passed to AddEventHandler, as far as the registering function can tell.

    form is one of: funcs (events: event -> func values), filter (filter func value + inner),
    type (a named type with OnAdd/OnUpdate/OnDelete), call (the value a call returns: callee
    targets and argument func values), unknown.
    """

    form: str
    events: dict[str, tuple[FuncValue, ...]] = field(default_factory=dict)
    filter: FuncValue | None = None
    inner: HandlerValue | None = None
    type: tuple | None = None
    callee: tuple = ()
    arg_funcs: tuple = ()


@dataclass(slots=True)
class Registration:
    function: str  # qname of the registering function
    file: str
    line: int
    via: str  # AddEventHandler, NewInformer, ...
    informer: tuple | None  # model type of the informer (resource attributes), None when unknown
    resource_note: str  # how the resource was found
    handler: HandlerValue
    candidates: tuple[str, ...] = ()  # resources the code may register for when known only at run time
    owner: tuple | None = None  # struct the registering function builds or belongs to
    informer_loc: tuple | None = None  # field holding the informer, when its own type says no resource
    informer_param: int | None = None  # parameter holding the informer: its callers say which resource


@dataclass(slots=True)
class PackageSummary:
    """Everything summarize produces for one package."""

    package: str
    functions: list[FunctionSummary] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    field_funcs: list[tuple[tuple, FuncValue]] = field(default_factory=list)  # (loc, func value)
    field_types: list[tuple[tuple, tuple]] = field(default_factory=list)  # (loc, concrete TypeKey)
    field_models: list[tuple[tuple, tuple]] = field(default_factory=list)  # (loc, model type with a resource)
    global_funcs: list[tuple[tuple, FuncValue]] = field(default_factory=list)  # (('G', pkg, name), value)
    aliases: list[tuple[tuple, tuple]] = field(default_factory=list)  # pairs of locations of one object
    returns_types: list[tuple[str, tuple]] = field(default_factory=list)  # (qname, concrete TypeKey returned)
    param_stores: list[tuple[tuple, tuple]] = field(
        default_factory=list
    )  # ((qname, param index), loc) it is stored in
    param_aliases: list[tuple[tuple, tuple]] = field(
        default_factory=list
    )  # ((callee, param index), loc of the argument)
    errors: list[str] = field(default_factory=list)
