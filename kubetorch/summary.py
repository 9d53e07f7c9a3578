"""What `summarize` says about each function: plain data, relative to the function's own
parameters and receiver, so the global pass composes summaries by substitution at call sites.

Ports are the function's connection points to the rest of the program; the summary's `edges`
say which inputs flow (through local variables, in any order: the analysis is path-insensitive)
to which outputs::

    Param(i)             ('P', i)            parameter i, i = -1 for the receiver      input
    SharedPort(top, uid) ('C', top, uid)     a variable shared between a function and   input and output
                                             its literals
    CallResult(k)        ('CO', k)           the results of call site k                 input
    ReadValue(k)         ('RD', k)           the value read by access k                 input
    Returned()           ('R',)              the returned values                        output
    CallArg(k, i)        ('CI', k, i)        argument i of call site k (-1: receiver)   output
    WriteValue(k)        ('WR', k)           the value written by access k              output
    SinkArgs(k)          ('SK', k)           the arguments of API call k                output

Access paths (`AccessPath`) name non-local state relative to the function: (root, field) with
the root one of Param(i), Shared(uid), Local(uid) (a local of known type), GlobalVar(pkg, name)
(a package variable), or, in compose, Located(loc) (a root that already is a location); the field
is the first field selected from the root (None: the root object itself). A location is the same
path materialized: FieldLoc(struct that declares the field, field), GlobalVar(pkg, name), or
SharedLoc(top, uid) (a variable shared by a function and its literals).

Call sites (`Site.callee`)::

    StaticCall(qname)                       a known function or method
    IfaceCall(iface, method, loc, narrow)   an interface method call; loc the receiver's location,
                                            narrow the concrete types known to flow into the receiver
    FieldFunc(owner, field)                 a call of a func-valued struct field
    GlobalFunc(pkg, name)                   a call of a package-level func variable
    OwnParam(i)                             a call of the function's own func-valued parameter
    ParamOf(function, i)                    a call of a parameter of an enclosing function
    NoCallee()                              nothing in the program (library calls keep only targets)

Func values (`FuncValue`, what an expression of func type may denote) are FuncRef, MethodValue,
Closure, GlobalFunc, OwnParam, ParamOf, FieldFunc, IfaceMethod and ReturnedBy below.

Every tagged fact is a NamedTuple whose first field is its tag, the letter code above: so facts
of different variants hash, compare and sort exactly as the tuples they replace, and pickle small.
Construct them without the tag (`Param(0)`, `CallArg(k, -1)`); `tuple_text` is their stable text.
"""

from __future__ import annotations

import copyreg
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from kubetorch.models import ModelType

TypeKey = tuple[str, str]  # (package path, type name): a plain pair, it keys every type table
CanonType = tuple  # a canonical type expression (kubetorch.index), or a ModelType where values are typed


class Tagged:
    """Mixin of the tagged facts: pickled without their tag, which the class implies."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        copyreg.pickle(cls, _reduce_tagged)  # a dispatch-table entry pickles faster than __reduce__


def _reduce_tagged(fact: Any) -> tuple[Any, ...]:
    return (type(fact), fact[1:])


def _reduce_plain(fact: Any) -> tuple[Any, ...]:
    return (type(fact), tuple(fact))


def tuple_text(value: object) -> str:
    """A fact written as nested plain tuples: the stable text that orders facts of mixed variants
    (alias-class representatives, candidate ties) and names an unresolved value in a table."""
    if isinstance(value, tuple):
        inner = ", ".join(map(tuple_text, value))
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


# ---------------------------------------------------------------- roots, paths, locations


class _Param(NamedTuple):
    tag: Literal["P"]
    position: int


class Param(Tagged, _Param):
    """Parameter `position` of the function (-1: its receiver): an input port and a path root."""

    __slots__ = ()

    def __new__(cls, position: int) -> Param:
        return tuple.__new__(cls, ("P", position))


class _Shared(NamedTuple):
    tag: Literal["C"]
    uid: int


class Shared(Tagged, _Shared):
    """A variable (uid in the top-level function's vars) shared by a function and its literals."""

    __slots__ = ()

    def __new__(cls, uid: int) -> Shared:
        return tuple.__new__(cls, ("C", uid))


class _Local(NamedTuple):
    tag: Literal["L"]
    uid: int


class Local(Tagged, _Local):
    """A local variable of the function (an object it made or was handed)."""

    __slots__ = ()

    def __new__(cls, uid: int) -> Local:
        return tuple.__new__(cls, ("L", uid))


class _GlobalVar(NamedTuple):
    tag: Literal["G"]
    pkg: str
    name: str


class GlobalVar(Tagged, _GlobalVar):
    """A package-level variable: a path root and a location of its own."""

    __slots__ = ()

    def __new__(cls, pkg: str, name: str) -> GlobalVar:
        return tuple.__new__(cls, ("G", pkg, name))


class FieldLoc(NamedTuple):
    """Field `field` of every object of struct `owner` (the struct that declares the field)."""

    owner: TypeKey
    field: str


class _SharedLoc(NamedTuple):
    tag: Literal["V"]
    top: str
    uid: int


class SharedLoc(Tagged, _SharedLoc):
    """Variable `uid` of top-level function `top`, shared with its literals: a location."""

    __slots__ = ()

    def __new__(cls, top: str, uid: int) -> SharedLoc:
        return tuple.__new__(cls, ("V", top, uid))


Location = FieldLoc | GlobalVar | SharedLoc


class _Located(NamedTuple):
    tag: Literal["T"]
    loc: Location | AccessPath  # a location, or the path of a method value's receiver


class Located(Tagged, _Located):
    """A path root that already is a location (compose: a bound receiver, another function's
    shared variable)."""

    __slots__ = ()

    def __new__(cls, loc: Location | AccessPath) -> Located:
        return tuple.__new__(cls, ("T", loc))


Root = Param | Shared | Local | GlobalVar | Located


class AccessPath(NamedTuple):
    """Non-local state relative to a function: a root and the first field selected from it."""

    root: Root
    field: str | None


# ---------------------------------------------------------------- ports


class _SharedPort(NamedTuple):
    tag: Literal["C"]
    top: str
    uid: int


class SharedPort(Tagged, _SharedPort):
    """A variable shared by a top-level function and its literals: one port in all of them."""

    __slots__ = ()

    def __new__(cls, top: str, uid: int) -> SharedPort:
        return tuple.__new__(cls, ("C", top, uid))


class _CallResult(NamedTuple):
    tag: Literal["CO"]
    site: int


class CallResult(Tagged, _CallResult):
    """The results of call site `site` (an index in FunctionSummary.sites)."""

    __slots__ = ()

    def __new__(cls, site: int) -> CallResult:
        return tuple.__new__(cls, ("CO", site))


class _ReadValue(NamedTuple):
    tag: Literal["RD"]
    access: int


class ReadValue(Tagged, _ReadValue):
    """The value read by access `access` (-1: a field of a plain data object, no access kept)."""

    __slots__ = ()

    def __new__(cls, access: int) -> ReadValue:
        return tuple.__new__(cls, ("RD", access))


class Returned(NamedTuple):
    """The values the function returns."""

    tag: Literal["R"] = "R"


class _CallArg(NamedTuple):
    tag: Literal["CI"]
    site: int
    arg: int


class CallArg(Tagged, _CallArg):
    """Argument `arg` of call site `site` (-1: the receiver; of a callback site: every parameter)."""

    __slots__ = ()

    def __new__(cls, site: int, arg: int) -> CallArg:
        return tuple.__new__(cls, ("CI", site, arg))


class _WriteValue(NamedTuple):
    tag: Literal["WR"]
    access: int


class WriteValue(Tagged, _WriteValue):
    """The value written by access `access`."""

    __slots__ = ()

    def __new__(cls, access: int) -> WriteValue:
        return tuple.__new__(cls, ("WR", access))


class _SinkArgs(NamedTuple):
    tag: Literal["SK"]
    sink: int


class SinkArgs(Tagged, _SinkArgs):
    """The arguments of API call `sink` (an index in FunctionSummary.sinks)."""

    __slots__ = ()

    def __new__(cls, sink: int) -> SinkArgs:
        return tuple.__new__(cls, ("SK", sink))


Port = Param | SharedPort | CallResult | ReadValue | Returned | CallArg | WriteValue | SinkArgs
INPUT_PORTS = frozenset({"P", "C", "CO", "RD"})  # tags of the ports an edge starts from
OUTPUT_PORTS = frozenset({"R", "CI", "WR", "SK", "C"})  # tags of the ports an edge ends at


# ---------------------------------------------------------------- func values and callees


class _FuncRef(NamedTuple):
    tag: Literal["func"]
    qname: str


class FuncRef(Tagged, _FuncRef):
    """A function or method named as a value (`pkg.F`, `T.M`)."""

    __slots__ = ()

    def __new__(cls, qname: str) -> FuncRef:
        return tuple.__new__(cls, ("func", qname))


class SubObject(NamedTuple):
    """A method value bound to the object in field `field` of the struct holding it."""

    tag: Literal["sub"]
    field: str


SELF = "self"  # a method value bound to the struct whose field holds it
# What a stored method value is bound to: SELF, a SubObject, a location, or None (unknown); where
# the value is taken (site targets, arguments, returns) it is the receiver's AccessPath instead.
Binding = str | SubObject | Location | AccessPath | None


class _MethodValue(NamedTuple):
    tag: Literal["method"]
    qname: str
    bound: Binding


class MethodValue(Tagged, _MethodValue):
    """A method value `x.M`: the method and the receiver it is bound to."""

    __slots__ = ()

    def __new__(cls, qname: str, bound: Binding) -> MethodValue:
        return tuple.__new__(cls, ("method", qname, bound))


class _Closure(NamedTuple):
    tag: Literal["lit"]
    qname: str


class Closure(Tagged, _Closure):
    """A func literal."""

    __slots__ = ()

    def __new__(cls, qname: str) -> Closure:
        return tuple.__new__(cls, ("lit", qname))


class _GlobalFunc(NamedTuple):
    tag: Literal["gvar"]
    pkg: str
    name: str


class GlobalFunc(Tagged, _GlobalFunc):
    """Whatever a package-level func variable holds (a func value, and a callee)."""

    __slots__ = ()

    def __new__(cls, pkg: str, name: str) -> GlobalFunc:
        return tuple.__new__(cls, ("gvar", pkg, name))


class _OwnParam(NamedTuple):
    tag: Literal["param"]
    position: int


class OwnParam(Tagged, _OwnParam):
    """The function's own parameter `position`: what its callers pass (a func value, a callee,
    and a site's argument model when the argument forwards it)."""

    __slots__ = ()

    def __new__(cls, position: int) -> OwnParam:
        return tuple.__new__(cls, ("param", position))


class _ParamOf(NamedTuple):
    tag: Literal["paramof"]
    function: str
    position: int


class ParamOf(Tagged, _ParamOf):
    """Parameter `position` of `function` (the function that stored the value, or the enclosing
    function of a literal that calls it): what that function's callers pass."""

    __slots__ = ()

    def __new__(cls, function: str, position: int) -> ParamOf:
        return tuple.__new__(cls, ("paramof", function, position))


class _FieldFunc(NamedTuple):
    tag: Literal["field"]
    owner: TypeKey
    field: str


class FieldFunc(Tagged, _FieldFunc):
    """Whatever func-valued field `field` of struct `owner` holds (a func value, and a callee)."""

    __slots__ = ()

    def __new__(cls, owner: TypeKey, field: str) -> FieldFunc:
        return tuple.__new__(cls, ("field", owner, field))


class _IfaceMethod(NamedTuple):
    tag: Literal["ifacemethod"]
    iface: TypeKey
    method: str
    bound: Binding


class IfaceMethod(Tagged, _IfaceMethod):
    """A method value of an interface: every implementation, bound like a method value."""

    __slots__ = ()

    def __new__(cls, iface: TypeKey, method: str, bound: Binding) -> IfaceMethod:
        return tuple.__new__(cls, ("ifacemethod", iface, method, bound))


class _ReturnedBy(NamedTuple):
    tag: Literal["ret"]
    callees: tuple[FuncValue, ...]
    args: tuple[tuple[FuncValue, ...], ...]


class ReturnedBy(Tagged, _ReturnedBy):
    """The func value a call returns: the callees and the func values passed as each argument."""

    __slots__ = ()

    def __new__(cls, callees: tuple[FuncValue, ...], args: tuple[tuple[FuncValue, ...], ...]) -> ReturnedBy:
        return tuple.__new__(cls, ("ret", callees, args))


FuncValue = (
    FuncRef | MethodValue | Closure | GlobalFunc | OwnParam | ParamOf | FieldFunc | IfaceMethod | ReturnedBy
)


class _ReturnedClosure(NamedTuple):
    tag: Literal["lit"]
    qname: str
    forwards: int


class ReturnedClosure(Tagged, _ReturnedClosure):
    """A returned func literal and the parameter of the returning function it calls (-1: none):
    a handler factory."""

    __slots__ = ()

    def __new__(cls, qname: str, forwards: int) -> ReturnedClosure:
        return tuple.__new__(cls, ("lit", qname, forwards))


class _ReturnedHandler(NamedTuple):
    tag: Literal["handler"]
    value: HandlerValue


class ReturnedHandler(Tagged, _ReturnedHandler):
    """A returned event handler value (ResourceEventHandlerFuncs{...})."""

    __slots__ = ()

    def __new__(cls, value: HandlerValue) -> ReturnedHandler:
        return tuple.__new__(cls, ("handler", value))


ReturnValue = FuncValue | ReturnedClosure | ReturnedHandler


class _StaticCall(NamedTuple):
    tag: Literal["static"]
    qname: str


class StaticCall(Tagged, _StaticCall):
    """A call of a known function or method."""

    __slots__ = ()

    def __new__(cls, qname: str) -> StaticCall:
        return tuple.__new__(cls, ("static", qname))


class _IfaceCall(NamedTuple):
    tag: Literal["iface"]
    iface: TypeKey
    method: str
    loc: Location | None
    narrow: tuple[TypeKey, ...]


class IfaceCall(Tagged, _IfaceCall):
    """An interface method call: the receiver's location and the concrete types known to reach it."""

    __slots__ = ()

    def __new__(
        cls, iface: TypeKey, method: str, loc: Location | None, narrow: tuple[TypeKey, ...]
    ) -> IfaceCall:
        return tuple.__new__(cls, ("iface", iface, method, loc, narrow))


class NoCallee(NamedTuple):
    """No function of the program: a library call (its site keeps only the targets)."""

    tag: Literal["none"] = "none"


Callee = StaticCall | IfaceCall | FieldFunc | GlobalFunc | OwnParam | ParamOf | NoCallee


class _ResultOf(NamedTuple):
    tag: Literal["ret"]
    function: str


class ResultOf(Tagged, _ResultOf):
    """The concrete types `function` returns (an argument or field holding a constructor's result)."""

    __slots__ = ()

    def __new__(cls, function: str) -> ResultOf:
        return tuple.__new__(cls, ("ret", function))


ConcreteType = TypeKey | ResultOf


# ---------------------------------------------------------------- per-function facts


@dataclass(slots=True)
class Site:
    """One call: where it is, how it is launched, what it calls and what it is given."""

    line: int
    launch: str  # call | go | defer | callback (library code calls the targets back)
    callee: Callee
    targets: tuple[FuncValue, ...] = ()  # func values already known where the call is written
    recv: AccessPath | None = None  # access path of the receiver expression
    args: tuple[AccessPath | None, ...] = ()  # access path (or None) of each argument
    arg_funcs: tuple[tuple[FuncValue, ...], ...] = ()  # func values passed as each argument
    nargs: int = 0
    arg_types: tuple[tuple[ConcreteType, ...], ...] = ()  # concrete types each argument may hold
    # library model of each argument (an informer with its resource), or OwnParam when it forwards one
    arg_models: tuple[ModelType | OwnParam | None, ...] = ()


@dataclass(slots=True)
class Access:
    """A read or write of non-local state that the function's own code makes."""

    line: int
    mode: str  # read | write
    root: Root
    field: str | None
    loc: Location | None
    via: str  # what the code does: field, map store, chan send, queue.Add, ...
    direct: bool = True  # the function's own expression selects the field


@dataclass(slots=True)
class SinkCall:
    """An API call that changes state on the server."""

    line: int
    verb: str
    resource: str  # group/resource[/subresource]
    kind: str  # write | event (the `kind` column of the chains and sinks tables)
    client: str  # typed | dynamic | rest | events | controller-runtime
    version: str = ""  # API version of the client or object (v1, v1beta1), "" when the call does not say


@dataclass(slots=True)
class LibRead:
    """A recorded library read (lister, cache, client get)."""

    line: int
    what: str  # "lister pods", "get apps/deployments", ...


@dataclass(slots=True)
class FunctionSummary:
    """One function or func literal, relative to its own parameters (see the module docstring)."""

    qname: str
    file: str
    line: int
    ports: list[Port] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)  # (input port, output port) indexes
    sites: list[Site] = field(default_factory=list)
    accesses: list[Access] = field(default_factory=list)
    sinks: list[SinkCall] = field(default_factory=list)
    reads: list[LibRead] = field(default_factory=list)
    forwards_to: str | None = None  # a literal whose only statement calls this function
    returns: tuple[ReturnValue, ...] = ()  # func values returned (handler factories)
    root_types: dict[Root, CanonType] = field(default_factory=dict)  # for materializing substituted paths
    recv_type: CanonType | None = None
    is_literal: bool = False
    parent: str | None = None
    top: str = ""  # qname of the top-level function whose variables this one shares (itself)
    var_names: dict[int, str] = field(default_factory=dict)  # uid -> name, shared and root variables
    instantiates: tuple[
        TypeKey, ...
    ] = ()  # struct types this function builds (composite literals, new, var T)
    param_uids: tuple[int, ...] = ()  # variable uid of each parameter (a closure captures parameters by uid)


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
    type: TypeKey | None = None
    callee: tuple[FuncValue, ...] = ()
    arg_funcs: tuple[tuple[FuncValue, ...], ...] = ()


@dataclass(slots=True)
class Registration:
    """An event handler registration (AddEventHandler, NewInformer, ...) as its function sees it."""

    function: str  # qname of the registering function
    file: str
    line: int
    via: str  # AddEventHandler, NewInformer, ...
    informer: ModelType | None  # model type of the informer (resource attributes), None when unknown
    resource_note: str  # how the resource was found
    handler: HandlerValue
    candidates: tuple[str, ...] = ()  # resources the code may register for when known only at run time
    owner: TypeKey | None = None  # struct the registering function builds or belongs to
    informer_loc: Location | None = None  # field holding the informer, when its own type says no resource
    informer_param: int | None = None  # parameter holding the informer: its callers say which resource


@dataclass(slots=True)
class PackageSummary:
    """Everything summarize produces for one package."""

    package: str
    functions: list[FunctionSummary] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    field_funcs: list[tuple[Location, FuncValue]] = field(default_factory=list)  # (field, value stored)
    field_types: list[tuple[Location, ConcreteType]] = field(default_factory=list)  # (field, type stored)
    field_models: list[tuple[Location, ModelType]] = field(
        default_factory=list
    )  # (field, model with a resource)
    global_funcs: list[tuple[GlobalVar, FuncValue]] = field(default_factory=list)  # (variable, value)
    aliases: list[tuple[Location, Location]] = field(default_factory=list)  # pairs of locations of one object
    returns_types: list[tuple[str, TypeKey]] = field(default_factory=list)  # (qname, concrete type returned)
    # ((function, parameter position), field it is stored in)
    param_stores: list[tuple[tuple[str, int], Location]] = field(default_factory=list)
    # ((callee, parameter position), location of the argument)
    param_aliases: list[tuple[tuple[str, int], Location]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


for _fact in (FieldLoc, AccessPath, Returned, SubObject, NoCallee):
    copyreg.pickle(_fact, _reduce_plain)
