"""The facts `extract` produces for one Go file: plain, picklable data.

Declarations are dataclasses; the type and expression trees inside them are tuples tagged by
their first element, because a 1.6-million-line tree yields tens of millions of them and tuples
are the cheapest thing Python can build, pickle and compare. They stay tuples for that speed (the
only values of the analysis that do; what later stages derive from them are named types, see
kubetorch.summary), and code takes them apart with `match` or unpacking, never by position.

Type expressions (``TypeExpr``)::

    ('n', qual, name, targs)   named type; qual is the import name as written ('' when unqualified),
                               targs a tuple of TypeExpr (generic instantiation)
    ('p', T)                   pointer
    ('s', T) / ('a', T)        slice / array
    ('m', K, V)                map
    ('c', T, dir)              channel; dir is '', 'send' or 'recv'
    ('f', params, results, variadic)   func type; params and results are tuples of TypeExpr
    ('st', fields)             struct; fields as in TypeDecl.fields
    ('i', methods, embeds)     interface; methods ((name, ('f', ...)), ...), embeds (TypeExpr, ...)
    ('?',)                     not understood (unions, constraints)

Expressions (``Expr``)::

    ('v', uid)                 a local variable, parameter or receiver of the enclosing function
                               (uids index ``Func.vars`` of the top-level function, so a func literal's
                               captured variables share their uid with the enclosing function)
    ('id', name)               any other identifier: package-level name, import name, builtin, type
    ('.', X, name)             selector X.name
    ('call', F, args, line, spread)    call; spread is True for f(xs...)
    ('comp', T, elems, line)   composite literal; T may be None (elided); elems ((key, value), ...)
                               where key is None, ('key', name, uid_or_None) for a bare identifier
                               (a struct field name, or a map key variable), or an Expr
    ('lit', letter, value)     basic literal; letter 's' (value = string content), 'i', 'f', 'r', 'x'
    ('u', op, X)               unary: & * <- ! - + ^
    ('b', op, X, Y)            binary
    ('[]', X, idx)             index (idx a tuple: several for generic instantiation)
    ('[:]', X)                 slice expression
    ('assert', X, T)           type assertion; T is None for x.(type)
    ('fl', index)              func literal: index into FileFacts.funcs
    ('T', TypeExpr)            a type in expression position (make/new/conversion argument)

Statements, a flat list per function in source order (blocks are flattened: the analyses are
path-insensitive; scoping is already resolved into uids)::

    ('=', lhs, rhs, line, define)   assignment, short declaration, var spec; lhs and rhs are tuples of
                                    Expr (rhs may be shorter: v, ok := m[k]); an op-assignment
                                    x += y is ('=', (x,), (x, y), line, False)
    ('x', X, line)                  expression statement, and every condition or switch tag
    ('ret', exprs, line)
    ('go', call, line) / ('defer', call, line)
    ('send', ch, value, line)
    ('range', key, value, X, line)  key/value are Expr or None
A type switch ``switch t := x.(type)`` becomes, per case, ('=', (('v', t_uid),), (('assert', x, T),), ...)
with T None for default and multi-type cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TypeExpr = tuple
Expr = tuple
Stmt = tuple

UNKNOWN_TYPE: TypeExpr = ("?",)


@dataclass(slots=True)
class Var:
    """One declared local: parameter, receiver, result, := or var."""

    name: str
    type: TypeExpr | None  # declared type, None when inferred from its initializer
    line: int


@dataclass(slots=True)
class Func:
    """A function, method or func literal with its body in the statement form above."""

    name: str  # "Get", or for literals "func1", "func1.2" (Go's runtime naming)
    line: int
    end_line: int
    recv: int | None = None  # uid of the receiver (an unnamed receiver is declared as "_")
    recv_type: TypeExpr | None = None
    type_params: tuple[str, ...] = ()
    params: tuple[tuple[int, TypeExpr], ...] = ()  # (uid, type); unnamed params get fresh uids
    variadic: bool = False
    results: tuple[tuple[int, TypeExpr], ...] = ()
    body: tuple[Stmt, ...] | None = None
    parent: int | None = None  # index in FileFacts.funcs of the enclosing function (literals)
    top: int | None = None  # index of the top-level function whose vars table this one uses
    captures: tuple[int, ...] = ()  # uids of enclosing locals a literal uses
    vars: list[Var] | None = None  # only on top-level functions
    outer: str = ""  # for literals: the qualified-name stem of the enclosing top-level decl

    @property
    def is_literal(self) -> bool:
        """A func literal: inside another function, or in a package-level initializer (glob.)."""
        return self.parent is not None or self.outer.startswith("glob.")


@dataclass(slots=True)
class TypeDecl:
    name: str
    type: TypeExpr
    line: int
    type_params: tuple[str, ...] = ()
    alias: bool = False


@dataclass(slots=True)
class ValueDecl:
    """A package-level var or const."""

    name: str
    type: TypeExpr | None
    value: Expr | None
    line: int
    const: bool = False
    index: int = 0  # position in a multi-value spec: var a, b = f()


@dataclass(slots=True)
class FileFacts:
    package: str
    imports: tuple[tuple[str | None, str], ...]  # (alias as written or None, import path)
    types: tuple[TypeDecl, ...]
    funcs: tuple[Func, ...]
    values: tuple[ValueDecl, ...]
    lines: int
    errors: tuple[str, ...] = ()  # "LINE: message" for each syntax error tree-sitter reported
    generated: bool = False
    build_tags: tuple[str, ...] = field(default_factory=tuple)
    skipped: tuple[str, ...] = ()  # "LINE: what" for each part left out (too deep, unreadable)
