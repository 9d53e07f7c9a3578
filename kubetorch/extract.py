"""extract: one Go file's bytes -> FileFacts (see kubetorch.ir for the shapes).

A single-pass visitor over the tree-sitter-go syntax tree, in the manner of pyflakes: one method
per node type, a scope stack that turns every local name into a uid, so later stages never have
to redo Go's scoping rules. Everything here is a pure function of the file's bytes, which is what
lets the pipeline cache it by content hash.

Any file a tree can hold must cost bounded work, so every file has budgets (see the README,
"Budgets"): CPU time for parsing and visiting, a number of syntax nodes, and a nesting depth. A
file over the time or size budget raises TooComplex; a construct nested deeper than MAX_DEPTH is
cut there (what is inside it is left out, and `FileFacts.skipped` says where), which also bounds
the depth of every tuple tree in the facts, so that nothing downstream (pickling them for the
cache, the recursive walks of index and summarize) can exhaust the stack. A top-level declaration
the visitor cannot read is left out and named in `skipped`; the rest of the file is kept.
"""

from __future__ import annotations

import itertools
import re
import time
from functools import lru_cache

from kubetorch.ir import UNKNOWN_TYPE, FileFacts, Func, TypeDecl, ValueDecl, Var

GENERATED_RE = re.compile(rb"^// Code generated .* DO NOT EDIT\.$", re.M)
BUILD_RE = re.compile(rb"^//go:build (.+)$", re.M)


@lru_cache(maxsize=1)
def go_parser():
    """The tree-sitter parser, built once per process (it is not picklable, so never shipped)."""
    import tree_sitter_go
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_go.language()))


PACKAGE_RE = re.compile(rb"^package\s", re.M)


def is_generated(source: bytes) -> bool:
    """Go's convention: a `// Code generated ... DO NOT EDIT.` line before the package clause."""
    m = PACKAGE_RE.search(source)
    head = source[: m.start()] if m else source[:4096]
    return GENERATED_RE.search(head) is not None


class SyntaxFailure(Exception):
    """The file is not Go at all (no package clause could be read)."""


class TooComplex(Exception):
    """The file is over a budget: it is reported as too complex instead of analysed."""


class _Unreadable(Exception):
    """One declaration the visitor cannot make sense of (it is left out, not the file)."""


# Budgets of one file. Kubernetes v1.28.0 (all 9,287 Go files, tests and generated ones included)
# nests at most 35 levels, has at most 682,000 syntax nodes in a file (1.8 MB of generated
# protobuf code), parses at 0.18 s of CPU a MB at worst and extracts at 1.15 s a MB at worst. The
# budgets leave a margin of 3 to 7 times the worst real file, and cap what a pathological one
# costs: tree-sitter's error recovery on some garbage (a long line of punctuation) takes 4 s a MB
# and grows faster than linearly.
MAX_DEPTH = 100  # nested expressions, types and statements; deeper parts are left out
MAX_SYNTAX_NODES = 5_000_000  # a stand-in for memory: the facts take about 45 bytes a node
# functions and func literals of one file: the most in Kubernetes v1.28 is 3,059 (generated.pb.go);
# every later stage (summaries, their pickles) costs per function, so this bounds a file's whole cost
MAX_FUNCTIONS = 30_000
PARSE_SECONDS, PARSE_SECONDS_PER_MB = 0.5, 1.0  # CPU time of parsing: this, and this per MB
SECONDS, SECONDS_PER_MB = 2.0, 3.0  # CPU time of parsing and visiting
MAX_SKIPPED_NOTES = 20


def cpu_budgets(size: int) -> tuple[float, float]:
    """CPU seconds one file of `size` bytes may take to parse, and to parse and visit."""
    mb = size / (1 << 20)
    return PARSE_SECONDS + PARSE_SECONDS_PER_MB * mb, SECONDS + SECONDS_PER_MB * mb


def extract(source: bytes, budgets: tuple[float, float] | None = None) -> FileFacts:
    """Parse one file and return its facts. Raises SyntaxFailure only when nothing usable is left,
    and TooComplex when the file is over a budget (`budgets`: CPU seconds to parse, and to parse
    and visit; cpu_budgets by default)."""
    parse_budget, budget = budgets or cpu_budgets(len(source))
    start = time.thread_time()
    tree = _parse(source, start + parse_budget, parse_budget).root_node
    nodes = tree.descendant_count
    if nodes > MAX_SYNTAX_NODES:
        raise TooComplex(f"{nodes:,} syntax nodes, over the budget of {MAX_SYNTAX_NODES:,}")
    return _Extractor(source, start + budget, budget).file(tree)


_CHUNK = 1 << 16


def _parse(source: bytes, deadline: float, budget: float):
    """tree-sitter's parse, stopped at the deadline (of thread CPU time)."""
    parser = go_parser()
    calls = itertools.count()  # the clock is read on every 8th call (about every 4 ms at worst)
    try:
        return parser.parse(
            lambda offset, _point: source[offset : offset + _CHUNK],
            progress_callback=lambda _o, _e: not next(calls) & 7 and time.thread_time() > deadline,
        )
    except ValueError as e:  # a parse stopped by the callback
        parser.reset()  # or the next parse would resume this one
        raise TooComplex(f"parsing took more than {budget:.1f} s of CPU time") from e


def _text(source: bytes, node) -> str:
    # sliced from the source: the tree of a parse with a callback has no text of its own
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _line(node) -> int:
    return node.start_point[0] + 1


_LITERAL_KINDS = {
    "int_literal": "i",
    "float_literal": "f",
    "imaginary_literal": "x",
    "rune_literal": "r",
}
_TYPE_NODES = frozenset(
    {
        "slice_type",
        "map_type",
        "array_type",
        "implicit_length_array_type",
        "channel_type",
        "pointer_type",
        "struct_type",
        "interface_type",
        "function_type",
        "qualified_type",
        "generic_type",
        "type_identifier",
        "parenthesized_type",
    }
)
_IGNORED_STMTS = frozenset(
    {
        "comment",
        "empty_statement",
        "break_statement",
        "continue_statement",
        "goto_statement",
        "fallthrough_statement",
        ";",
        "\n",
    }
)


class _Frame:
    """A function being visited: where its statements go and which outer scopes it captures."""

    __slots__ = ("base_depth", "captures", "children", "func", "index", "stmts")

    def __init__(self, func: Func, index: int, base_depth: int):
        self.func = func
        self.index = index  # in FileFacts.funcs
        self.base_depth = base_depth
        self.stmts: list = []
        self.captures: dict[int, None] = {}
        self.children = 0


class _Extractor:
    def __init__(self, source: bytes, deadline: float = float("inf"), budget: float = 0.0):
        self.source = source
        self.deadline = deadline  # thread CPU time
        self.budget = budget
        self.depth = 0  # nesting of expr/texpr/stmt calls in the current declaration
        self.cut_at: int | None = None  # first line where the current declaration was cut
        self.skipped: list[str] = []
        self.funcs: list[Func] = []
        self.types: list[TypeDecl] = []
        self.values: list[ValueDecl] = []
        self.scopes: list[dict[str, int]] = []
        self.scope_frames: list[int] = []  # frame depth owning each scope
        self.frames: list[_Frame] = []
        self.vars: list[Var] = []
        self.top: int | None = None
        self.local_types: list[dict[str, str]] = []
        self.glob_literals = 0
        self.stmt_dispatch = {
            "expression_statement": self.s_expression,
            "short_var_declaration": self.s_short_var,
            "assignment_statement": self.s_assign,
            "var_declaration": self.s_var_decl,
            "const_declaration": self.s_var_decl,
            "type_declaration": self.s_local_type,
            "return_statement": self.s_return,
            "go_statement": self.s_go,
            "defer_statement": self.s_go,
            "if_statement": self.s_if,
            "for_statement": self.s_for,
            "expression_switch_statement": self.s_switch,
            "type_switch_statement": self.s_type_switch,
            "select_statement": self.s_select,
            "labeled_statement": self.s_labeled,
            "block": self.s_block,
            "statement_list": self.s_list,
            "send_statement": self.s_send,
            "inc_statement": self.s_incdec,
            "dec_statement": self.s_incdec,
            "receive_statement": self.s_receive,
        }
        self.expr_dispatch = {
            "identifier": self.e_ident,
            "selector_expression": self.e_selector,
            "call_expression": self.e_call,
            "composite_literal": self.e_composite,
            "func_literal": self.e_func_literal,
            "unary_expression": self.e_unary,
            "binary_expression": self.e_binary,
            "index_expression": self.e_index,
            "slice_expression": self.e_slice,
            "type_assertion_expression": self.e_assert,
            "type_conversion_expression": self.e_conversion,
            "parenthesized_expression": self.e_paren,
            "interpreted_string_literal": self.e_string,
            "raw_string_literal": self.e_string,
            "literal_value": self.e_literal_value,
            "generic_type": self.e_generic,
        }

    # ---------------------------------------------------------------- file level
    def file(self, tree) -> FileFacts:
        package = ""
        imports: list[tuple[str | None, str]] = []
        for child in tree.named_children:
            node_type = child.type
            if node_type == "package_clause":
                for c in child.named_children:
                    if c.type == "package_identifier":
                        package = self.text(c)
            elif node_type == "import_declaration":
                self._imports(child, imports)
            elif node_type in _DECLARATIONS:
                self.declaration(child, node_type)
        if not package:
            raise SyntaxFailure("no package clause")
        errors: tuple[str, ...] = ()
        if tree.has_error:
            errors = tuple(_syntax_errors(tree))
        skipped = self.skipped
        if len(skipped) > MAX_SKIPPED_NOTES:
            skipped = [*skipped[:MAX_SKIPPED_NOTES], f"and {len(skipped) - MAX_SKIPPED_NOTES} more"]
        return FileFacts(
            package=package,
            imports=tuple(imports),
            types=tuple(self.types),
            funcs=tuple(self.funcs),
            values=tuple(self.values),
            lines=self.source.count(b"\n") + (0 if self.source.endswith(b"\n") else 1),
            errors=errors,
            generated=is_generated(self.source),
            build_tags=tuple(m.decode("utf-8", "replace") for m in BUILD_RE.findall(self.source[:4096])),
            skipped=tuple(skipped),
        )

    def declaration(self, node, node_type: str) -> None:
        """One top-level declaration. One the visitor cannot read is left out (and named in
        `skipped`) instead of the whole file; one nested too deep is kept without its inner part."""
        if time.thread_time() > self.deadline:
            raise TooComplex(f"parsing and visiting took more than {self.budget:.1f} s of CPU time")
        if len(self.funcs) > MAX_FUNCTIONS:
            raise TooComplex(f"more than {MAX_FUNCTIONS:,} functions and func literals in one file")
        marks = (len(self.funcs), len(self.types), len(self.values), self.glob_literals)
        self.depth = 0
        self.cut_at = None
        self.top_level()
        try:
            if node_type == "function_declaration":
                self.function(node, method=False)
            elif node_type == "method_declaration":
                self.function(node, method=True)
            elif node_type == "type_declaration":
                self.type_declaration(node, self.types, prefix="")
            else:
                self.package_values(node, const=node_type == "const_declaration")
        except TooComplex:
            raise
        except Exception as e:  # noqa: BLE001 - one unreadable declaration must not lose the file
            del self.funcs[marks[0] :], self.types[marks[1] :], self.values[marks[2] :]
            self.glob_literals = marks[3]
            self.top_level()
            why = str(e) if isinstance(e, _Unreadable) else f"extract failed: {type(e).__name__}: {e}"
            self.skipped.append(f"{_line(node)}: {_describe(self.source, node, node_type)} left out: {why}")
            return
        if self.cut_at is not None:
            self.skipped.append(
                f"{self.cut_at}: nested more than {MAX_DEPTH} levels deep: the inner part is left out"
            )

    def top_level(self) -> None:
        """No function scope: what a package-level initializer sees (not the last function's locals)."""
        self.frames, self.scopes, self.scope_frames, self.local_types = [], [], [], []
        self.vars, self.top = [], None

    def text(self, node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def cut(self, node, placeholder):
        """The construct at node is nested too deep: left out, in its place a placeholder."""
        if self.cut_at is None:
            self.cut_at = _line(node)
        return placeholder

    def _imports(self, node, out: list) -> None:
        for spec in node.named_children:
            if spec.type == "import_spec_list":
                self._imports(spec, out)
            elif spec.type == "import_spec":
                name = spec.child_by_field_name("name")
                path = spec.child_by_field_name("path")
                if path is None:
                    continue
                alias = self.text(name) if name is not None else None
                out.append((alias, self.text(path)[1:-1]))

    def package_values(self, node, const: bool) -> None:
        last_type: tuple | None = None
        last_values: list = []
        for spec in _specs(node):
            names = [self.text(c) for c in spec.children_by_field_name("name")]
            tnode = spec.child_by_field_name("type")
            vtype = self.texpr(tnode) if tnode is not None else None
            vnode = spec.child_by_field_name("value")
            values = self._package_exprs(vnode) if vnode is not None else []
            if const:
                # in a const group a spec without type and value repeats the previous one (iota)
                if vnode is None and tnode is None:
                    vtype, values = last_type, last_values
                else:
                    last_type, last_values = vtype, values
            for i, name in enumerate(names):
                value = values[i] if i < len(values) else (values[0] if len(values) == 1 else None)
                self.values.append(
                    ValueDecl(name, vtype, value, _line(spec), const, i if len(values) == 1 else 0)
                )

    def _package_exprs(self, node) -> list:
        """Package-level initializers: func literals in them become functions named glob.funcN."""
        nodes = node.named_children if node.type == "expression_list" else [node]
        return [self.expr(n) for n in nodes if n.type != "comment"]

    # ---------------------------------------------------------------- types
    def type_declaration(self, node, out: list, prefix: str) -> None:
        for spec in node.named_children:
            if spec.type not in ("type_spec", "type_alias"):
                continue
            name_node = spec.child_by_field_name("name")
            tnode = spec.child_by_field_name("type")
            if name_node is None or tnode is None:
                continue
            tparams = self.type_params(spec.child_by_field_name("type_parameters"))
            out.append(
                TypeDecl(
                    name=prefix + self.text(name_node),
                    type=self.texpr(tnode),
                    line=_line(spec),
                    type_params=tparams,
                    alias=spec.type == "type_alias",
                )
            )

    def type_params(self, node) -> tuple[str, ...]:
        if node is None:
            return ()
        names: list[str] = []
        for decl in node.named_children:
            if decl.type == "type_parameter_declaration":
                names.extend(self.text(n) for n in decl.children_by_field_name("name"))
        return tuple(names)

    def texpr(self, node):
        depth = self.depth
        if depth >= MAX_DEPTH:
            return self.cut(node, UNKNOWN_TYPE)
        self.depth = depth + 1
        t = self._texpr(node)
        self.depth = depth
        return t

    def _texpr(self, node):
        node_type = node.type
        if node_type == "type_identifier":
            name = self.text(node)
            for scope in reversed(self.local_types):
                if name in scope:
                    return ("n", "", scope[name], ())
            return ("n", "", name, ())
        if node_type == "pointer_type":
            return ("p", self.texpr(node.named_children[-1]))
        if node_type == "qualified_type":
            return (
                "n",
                self.text(node.child_by_field_name("package")),
                self.text(node.child_by_field_name("name")),
                (),
            )
        if node_type == "generic_type":
            base = self.texpr(node.child_by_field_name("type"))
            args = node.child_by_field_name("type_arguments")
            targs = tuple(self.texpr(a) for a in args.named_children) if args is not None else ()
            if base[0] == "n":
                return ("n", base[1], base[2], targs)
            return base
        if node_type == "slice_type":
            return ("s", self.texpr(node.child_by_field_name("element")))
        if node_type in ("array_type", "implicit_length_array_type"):
            return ("a", self.texpr(node.child_by_field_name("element")))
        if node_type == "map_type":
            return (
                "m",
                self.texpr(node.child_by_field_name("key")),
                self.texpr(node.child_by_field_name("value")),
            )
        if node_type == "channel_type":
            first = node.children[0].type
            direction = (
                "recv"
                if first == "<-"
                else ("send" if node.child_count > 1 and node.children[1].type == "<-" else "")
            )
            return ("c", self.texpr(node.child_by_field_name("value")), direction)
        if node_type == "function_type":
            params, variadic = self._param_types(node.child_by_field_name("parameters"))
            return ("f", params, self._result_types(node.child_by_field_name("result")), variadic)
        if node_type == "struct_type":
            return ("st", self.struct_fields(node))
        if node_type == "interface_type":
            return self.interface(node)
        if node_type in ("parenthesized_type", "type_elem", "type_constraint"):
            named = [c for c in node.named_children if c.type != "comment"]
            if len(named) == 1:
                return self.texpr(named[0])
            return UNKNOWN_TYPE
        if node_type == "identifier":  # a type written where tree-sitter expected an expression
            return ("n", "", self.text(node), ())
        if node_type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                return ("n", self.text(operand), self.text(node.child_by_field_name("field")), ())
        return UNKNOWN_TYPE

    def _param_types(self, node) -> tuple[tuple, bool]:
        if node is None:
            return (), False
        out: list = []
        variadic = False
        for decl in node.named_children:
            if decl.type == "parameter_declaration":
                tnode = decl.child_by_field_name("type")
                t = self.texpr(tnode) if tnode is not None else UNKNOWN_TYPE
                out.extend([t] * max(1, len(decl.children_by_field_name("name"))))
            elif decl.type == "variadic_parameter_declaration":
                tnode = decl.child_by_field_name("type")
                out.append(("s", self.texpr(tnode)) if tnode is not None else UNKNOWN_TYPE)
                variadic = True
        return tuple(out), variadic

    def _result_types(self, node) -> tuple:
        if node is None:
            return ()
        if node.type == "parameter_list":
            return self._param_types(node)[0]
        return (self.texpr(node),)

    def struct_fields(self, node) -> tuple:
        fields: list = []
        body = node.named_children[0] if node.named_child_count else None
        if body is None:
            return ()
        for decl in body.named_children:
            if decl.type != "field_declaration":
                continue
            tnode = decl.child_by_field_name("type")
            if tnode is None:
                continue
            t = self.texpr(tnode)
            names = decl.children_by_field_name("name")
            if names:
                for n in names:
                    fields.append((self.text(n), t, False))
            else:
                if t[0] != "p" and any(c.type == "*" for c in decl.children):
                    t = ("p", t)  # `*Base`: tree-sitter keeps the star as a separate token
                base = t[1] if t[0] == "p" else t
                fields.append((base[2] if base[0] == "n" else "?", t, True))
        return tuple(fields)

    def interface(self, node) -> tuple:
        methods: list = []
        embeds: list = []
        for elem in node.named_children:
            if elem.type == "method_elem":
                params, variadic = self._param_types(elem.child_by_field_name("parameters"))
                results = self._result_types(elem.child_by_field_name("result"))
                methods.append(
                    (self.text(elem.child_by_field_name("name")), ("f", params, results, variadic))
                )
            elif elem.type == "type_elem":
                named = [c for c in elem.named_children if c.type != "comment"]
                if len(named) == 1 and named[0].type in ("type_identifier", "qualified_type", "generic_type"):
                    embeds.append(self.texpr(named[0]))
        return ("i", tuple(methods), tuple(embeds))

    # ---------------------------------------------------------------- functions
    def function(self, node, method: bool) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            raise _Unreadable("no name")
        name = self.text(name_node)
        func = Func(name=name, line=_line(node), end_line=node.end_point[0] + 1)
        func.type_params = self.type_params(node.child_by_field_name("type_parameters"))
        self.vars = []
        func.vars = self.vars
        index = len(self.funcs)
        self.funcs.append(func)
        self.top = index
        func.top = index
        self.scopes = [{}]
        self.scope_frames = [0]
        self.local_types = [{}]
        frame = _Frame(func, index, base_depth=1)
        self.frames = [frame]
        if method:
            recv = node.child_by_field_name("receiver")
            decls = [d for d in recv.named_children if d.type == "parameter_declaration"] if recv else []
            if decls:
                tnode = decls[0].child_by_field_name("type")
                func.recv_type = self.texpr(tnode) if tnode is not None else UNKNOWN_TYPE
                # the receiver names the type, not an instantiation: drop (*T[K]) type arguments
                if func.recv_type[0] == "p" and func.recv_type[1][0] == "n":
                    func.recv_type = ("p", (*func.recv_type[1][:3], ()))
                elif func.recv_type[0] == "n":
                    func.recv_type = (*func.recv_type[:3], ())
                else:
                    raise _Unreadable(f"receiver type not understood: {self.text(tnode)[:80]}")
                names = decls[0].children_by_field_name("name")
                rname = self.text(names[0]) if names else "_"
                func.recv = self.declare(rname, func.recv_type, func.line)
                recv_name = func.recv_type[1][2] if func.recv_type[0] == "p" else func.recv_type[2]
                func.outer = f"(*{recv_name}).{name}" if func.recv_type[0] == "p" else f"{recv_name}.{name}"
                # a generic receiver (*T[K, V]) names its type parameters
                func.type_params = self._receiver_type_params(recv) or func.type_params
        else:
            func.outer = name
        self.signature(func, node)
        body = node.child_by_field_name("body")
        if body is not None:
            # no scope of its own: the body is the parameters' scope (Go spec), so `x, err := f()`
            # at its top level reuses a named result err
            self.s_list(body)
            func.body = tuple(frame.stmts)
        self.frames = []

    def _receiver_type_params(self, recv) -> tuple[str, ...]:
        if recv is None:
            return ()
        for decl in recv.named_children:
            if decl.type != "parameter_declaration":
                continue
            t = decl.child_by_field_name("type")
            if t is not None and t.type == "pointer_type":
                t = t.named_children[-1]
            if t is not None and t.type == "generic_type":
                args = t.child_by_field_name("type_arguments")
                if args is not None:
                    return tuple(self.text(a) for a in args.named_children)
        return ()

    def signature(self, func: Func, node) -> None:
        params: list = []
        pnode = node.child_by_field_name("parameters")
        if pnode is not None:
            for decl in pnode.named_children:
                if decl.type == "parameter_declaration":
                    tnode = decl.child_by_field_name("type")
                    t = self.texpr(tnode) if tnode is not None else UNKNOWN_TYPE
                    names = decl.children_by_field_name("name")
                    for n in names or [None]:
                        params.append((self.declare(self.text(n) if n is not None else "_", t, func.line), t))
                elif decl.type == "variadic_parameter_declaration":
                    tnode = decl.child_by_field_name("type")
                    t = ("s", self.texpr(tnode)) if tnode is not None else UNKNOWN_TYPE
                    n = decl.child_by_field_name("name")
                    params.append((self.declare(self.text(n) if n is not None else "_", t, func.line), t))
                    func.variadic = True
        func.params = tuple(params)
        results: list = []
        rnode = node.child_by_field_name("result")
        if rnode is not None:
            if rnode.type == "parameter_list":
                for decl in rnode.named_children:
                    if decl.type != "parameter_declaration":
                        continue
                    tnode = decl.child_by_field_name("type")
                    t = self.texpr(tnode) if tnode is not None else UNKNOWN_TYPE
                    names = decl.children_by_field_name("name")
                    for n in names or [None]:
                        results.append(
                            (self.declare(self.text(n) if n is not None else "_", t, func.line), t)
                        )
            else:
                t = self.texpr(rnode)
                results.append((self.declare("_", t, func.line), t))
        func.results = tuple(results)

    def declare(self, name: str, vtype, line: int) -> int:
        uid = len(self.vars)
        self.vars.append(Var(name, vtype, line))
        if name != "_":
            self.scopes[-1][name] = uid
        return uid

    def push(self) -> None:
        self.scopes.append({})
        self.local_types.append({})
        self.scope_frames.append(len(self.frames) - 1)

    def pop(self) -> None:
        self.scopes.pop()
        self.local_types.pop()
        self.scope_frames.pop()

    def resolve(self, name: str):
        scopes = self.scopes
        for depth in range(len(scopes) - 1, -1, -1):
            uid = scopes[depth].get(name)
            if uid is not None:
                owner = self.scope_frames[depth]
                if owner < len(self.frames) - 1:
                    for frame in self.frames[owner + 1 :]:
                        frame.captures[uid] = None
                return ("v", uid)
        return ("id", name)

    # ---------------------------------------------------------------- statements
    def emit(self, stmt) -> None:
        self.frames[-1].stmts.append(stmt)

    def stmt(self, node) -> None:
        depth = self.depth
        if depth >= MAX_DEPTH:
            self.cut(node, None)
            return
        self.depth = depth + 1
        handler = self.stmt_dispatch.get(node.type)
        if handler is not None:
            handler(node)
        elif node.type in self.expr_dispatch:
            # a bare expression where a statement was expected (tree-sitter's error recovery)
            self.emit(("x", self.expr(node), _line(node)))
        self.depth = depth

    def s_list(self, node) -> None:
        for child in node.named_children:
            self.stmt(child)

    def s_block(self, node) -> None:
        self.push()
        self.s_list(node)
        self.pop()

    def s_expression(self, node) -> None:
        for child in node.named_children:
            if child.type != "comment":
                self.emit(("x", self.expr(child), _line(node)))

    def _exprs(self, node) -> tuple:
        if node is None:
            return ()
        if node.type == "expression_list":
            return tuple(self.expr(c) for c in node.named_children if c.type != "comment")
        return (self.expr(node),)

    def s_short_var(self, node) -> None:
        rhs = self._exprs(node.child_by_field_name("right"))
        self.emit(("=", self._define(node.child_by_field_name("left"), _line(node)), rhs, _line(node), True))

    def _define(self, left, line: int, types: tuple = ()) -> tuple:
        """Declare the identifiers of a := left side (reusing ones already in the innermost scope)."""
        out = []
        nodes = left.named_children if left.type == "expression_list" else [left]
        for i, n in enumerate(c for c in nodes if c.type != "comment"):
            if n.type != "identifier":
                out.append(self.expr(n))
                continue
            name = self.text(n)
            if name == "_":
                out.append(("id", "_"))
                continue
            uid = self.scopes[-1].get(name)
            if uid is None:
                uid = self.declare(name, types[i] if i < len(types) else None, line)
            out.append(("v", uid))
        return tuple(out)

    def s_assign(self, node) -> None:
        lhs = self._exprs(node.child_by_field_name("left"))
        rhs = self._exprs(node.child_by_field_name("right"))
        op = node.child_by_field_name("operator")
        if op is not None and self.text(op) != "=":
            rhs = lhs + rhs
        self.emit(("=", lhs, rhs, _line(node), False))

    def s_var_decl(self, node) -> None:
        for spec in _specs(node):
            tnode = spec.child_by_field_name("type")
            vtype = self.texpr(tnode) if tnode is not None else None
            vnode = spec.child_by_field_name("value")
            rhs = self._exprs(vnode) if vnode is not None else ()
            lhs = []
            for n in spec.children_by_field_name("name"):
                name = self.text(n)
                lhs.append(("v", self.declare(name, vtype, _line(spec))) if name != "_" else ("id", "_"))
            if rhs:
                self.emit(("=", tuple(lhs), rhs, _line(spec), True))

    def s_local_type(self, node) -> None:
        """Local type declarations become file-level types named Outer.T, visible only in scope."""
        prefix = self.frames[0].func.outer + "."
        for spec in node.named_children:
            name_node = spec.child_by_field_name("name")
            if name_node is not None:
                self.local_types[-1][self.text(name_node)] = prefix + self.text(name_node)
        self.type_declaration(node, self.types, prefix=prefix)

    def s_return(self, node) -> None:
        exprs: tuple = ()
        for child in node.named_children:
            if child.type != "comment":
                exprs = self._exprs(child)
        self.emit(("ret", exprs, _line(node)))

    def s_go(self, node) -> None:
        tag = "go" if node.type == "go_statement" else "defer"
        for child in node.named_children:
            if child.type != "comment":
                self.emit((tag, self.expr(child), _line(node)))

    def s_if(self, node) -> None:
        # an else-if chain is walked in a loop, each if inside the scope of the one before
        scopes = 0
        while True:
            self.push()
            scopes += 1
            init = node.child_by_field_name("initializer")
            if init is not None:
                self.stmt(init)
            cond = node.child_by_field_name("condition")
            if cond is not None:
                self.emit(("x", self.expr(cond), _line(cond)))
            cons = node.child_by_field_name("consequence")
            if cons is not None:
                self.s_block(cons)
            alt = node.child_by_field_name("alternative")
            if alt is None:
                break
            if alt.type != "if_statement":
                self.stmt(alt)
                break
            node = alt
        for _ in range(scopes):
            self.pop()

    def s_for(self, node) -> None:
        self.push()
        for child in node.named_children:
            node_type = child.type
            if node_type == "for_clause":
                for part in ("initializer", "condition", "update"):
                    p = child.child_by_field_name(part)
                    if p is None:
                        continue
                    if part == "condition":
                        self.emit(("x", self.expr(p), _line(p)))
                    else:
                        self.stmt(p)
            elif node_type == "range_clause":
                self._range(child)
            elif node_type == "block":
                self.s_block(child)
            elif node_type != "comment":
                self.emit(("x", self.expr(child), _line(child)))
        self.pop()

    def _range(self, node) -> None:
        right = node.child_by_field_name("right")
        subject = self.expr(right) if right is not None else ("id", "_")
        left = node.child_by_field_name("left")
        define = any(c.type == ":=" for c in node.children)
        targets: tuple = ()
        if left is not None:
            targets = self._define(left, _line(node)) if define else self._exprs(left)
        key = targets[0] if targets else None
        value = targets[1] if len(targets) > 1 else None
        self.emit(("range", key, value, subject, _line(node)))

    def s_switch(self, node) -> None:
        self.push()
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.stmt(init)
        value = node.child_by_field_name("value")
        if value is not None:
            self.emit(("x", self.expr(value), _line(value)))
        for case in node.named_children:
            if case.type not in ("expression_case", "default_case"):
                continue
            self.push()
            for c in case.named_children:
                if c.type == "expression_list" and c == case.child_by_field_name("value"):
                    for e in self._exprs(c):
                        self.emit(("x", e, _line(c)))
                else:
                    self.stmt(c)
            self.pop()
        self.pop()

    def s_type_switch(self, node) -> None:
        self.push()
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.stmt(init)
        alias_node = node.child_by_field_name("alias")
        value = node.child_by_field_name("value")
        subject = self.expr(value) if value is not None else ("id", "_")
        alias = None
        if alias_node is not None:
            names = [c for c in alias_node.named_children if c.type == "identifier"] or [alias_node]
            alias = self.text(names[0])
        if alias is None:
            self.emit(("x", subject, _line(node)))
        for case in node.named_children:
            if case.type not in ("type_case", "default_case"):
                continue
            self.push()
            types = [self.texpr(t) for t in case.children_by_field_name("type")]
            types = [None if t == ("n", "", "nil", ()) else t for t in types]  # `case nil:` binds no type
            if alias is not None and alias != "_":
                t = types[0] if len(types) == 1 else None
                uid = self.declare(alias, t, _line(case))
                self.emit(("=", (("v", uid),), (("assert", subject, t),), _line(case), True))
            for c in case.named_children:
                if c.type in self.stmt_dispatch and c not in case.children_by_field_name("type"):
                    self.stmt(c)
            self.pop()
        self.pop()

    def s_select(self, node) -> None:
        for case in node.named_children:
            if case.type not in ("communication_case", "default_case"):
                continue
            self.push()
            for c in case.named_children:
                self.stmt(c)
            self.pop()

    def s_receive(self, node) -> None:
        right = node.child_by_field_name("right")
        rhs = (self.expr(right),) if right is not None else ()
        left = node.child_by_field_name("left")
        if left is None:
            for e in rhs:
                self.emit(("x", e, _line(node)))
            return
        define = any(c.type == ":=" for c in node.children)
        lhs = self._define(left, _line(node)) if define else self._exprs(left)
        self.emit(("=", lhs, rhs, _line(node), define))

    def s_send(self, node) -> None:
        ch = node.child_by_field_name("channel")
        value = node.child_by_field_name("value")
        if ch is not None and value is not None:
            self.emit(("send", self.expr(ch), self.expr(value), _line(node)))

    def s_incdec(self, node) -> None:
        """n++ is n = n + 1: a read and a write of n (and a capture inside a literal)."""
        for child in node.named_children:
            if child.type != "comment":
                target = self.expr(child)
                self.emit(("=", (target,), (target,), _line(node), False))

    def s_labeled(self, node) -> None:
        for child in node.named_children:
            if child.type != "label_name":
                self.stmt(child)

    # ---------------------------------------------------------------- expressions
    def expr(self, node):
        depth = self.depth
        if depth >= MAX_DEPTH:
            return self.cut(node, ("id", "?"))
        self.depth = depth + 1
        handler = self.expr_dispatch.get(node.type)
        if handler is not None:
            out = handler(node)
        else:
            node_type = node.type
            lit = _LITERAL_KINDS.get(node_type)
            if lit is not None:
                out = ("lit", lit, None)
            elif node_type in ("nil", "true", "false", "iota"):
                out = ("id", node_type)
            elif node_type in _TYPE_NODES:
                out = ("T", self.texpr(node))
            elif node_type == "variadic_argument":
                out = self.expr(node.named_children[0])
            elif node_type == "field_identifier" or node_type == "type_identifier":
                out = ("id", self.text(node))
            else:
                out = ("id", "?")
        self.depth = depth
        return out

    def e_ident(self, node):
        return self.resolve(self.text(node))

    def e_selector(self, node):
        operand = node.child_by_field_name("operand")
        field = node.child_by_field_name("field")
        return (".", self.expr(operand), self.text(field) if field is not None else "?")

    def e_paren(self, node):
        for child in node.named_children:
            if child.type != "comment":
                return self.expr(child)
        return ("id", "?")

    def e_string(self, node):
        text = self.text(node)
        if node.type == "interpreted_string_literal":
            return ("lit", "s", text[1:-1].replace('\\"', '"'))
        return ("lit", "s", text[1:-1])

    def e_call(self, node):
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args: list = []
        spread = False
        if args_node is not None:
            for a in args_node.named_children:
                node_type = a.type
                if node_type == "comment":
                    continue
                if node_type == "variadic_argument":
                    spread = True
                args.append(self.expr(a))
            if not spread:
                spread = any(c.type == "..." for c in args_node.children)
        return ("call", self.expr(fn) if fn is not None else ("id", "?"), tuple(args), _line(node), spread)

    def e_conversion(self, node):
        tnode = node.child_by_field_name("type")
        operand = node.child_by_field_name("operand")
        arg = self.expr(operand) if operand is not None else ("id", "?")
        if tnode is not None and tnode.type == "generic_type":
            base = tnode.child_by_field_name("type")
            if base is not None and base.type in ("type_identifier", "identifier"):
                # f[T](x): tree-sitter cannot tell a generic call from a conversion
                return ("call", self.resolve(self.text(base)), (arg,), _line(node), False)
        return (
            "call",
            ("T", self.texpr(tnode)) if tnode is not None else ("id", "?"),
            (arg,),
            _line(node),
            False,
        )

    def e_generic(self, node):
        base = node.child_by_field_name("type")
        if base is not None and base.type in ("type_identifier", "identifier"):
            return self.resolve(self.text(base))
        return ("T", self.texpr(node))

    def e_composite(self, node):
        tnode = node.child_by_field_name("type")
        body = node.child_by_field_name("body")
        ctype = self.texpr(tnode) if tnode is not None else None
        elems = self._elements(body) if body is not None else ()
        return ("comp", ctype, elems, _line(node))

    def e_literal_value(self, node):
        return ("comp", None, self._elements(node), _line(node))

    def _elements(self, body) -> tuple:
        elems: list[tuple] = []
        for el in body.named_children:
            node_type = el.type
            if node_type == "keyed_element":
                kv = [c for c in el.named_children if c.type != "comment"]
                if len(kv) != 2:
                    continue
                key_node = (
                    kv[0].named_children[0]
                    if kv[0].type == "literal_element" and kv[0].named_child_count
                    else kv[0]
                )
                if key_node.type in ("identifier", "field_identifier"):
                    name = self.text(key_node)
                    found = self.resolve(name)
                    key = ("key", name, found[1] if found[0] == "v" else None)
                else:
                    key = self.expr(key_node)
                elems.append((key, self._element_value(kv[1])))
            elif node_type == "literal_element":
                elems.append((None, self._element_value(el)))
            elif node_type != "comment":
                elems.append((None, self.expr(el)))
        return tuple(elems)

    def _element_value(self, node):
        if node.type == "literal_element":
            for c in node.named_children:
                if c.type != "comment":
                    return self.expr(c)
            return ("id", "?")
        return self.expr(node)

    def e_func_literal(self, node):
        parent_frame = self.frames[-1] if self.frames else None
        if parent_frame is None:
            self.glob_literals += 1
            name = f"func{self.glob_literals}"
            outer = "glob."
        else:
            # Go's names: F.func1 in a declared function, F.func1.2 in a literal, glob.func1.2 at
            # package level
            parent_frame.children += 1
            pf = parent_frame.func
            top = self.frames[0].func
            name = f"{pf.name}.{parent_frame.children}" if pf.is_literal else f"func{parent_frame.children}"
            outer = "glob." if top.outer.startswith("glob.") else top.outer + "."
        func = Func(name=name, line=_line(node), end_line=node.end_point[0] + 1, outer=outer + name)
        index = len(self.funcs)
        self.funcs.append(func)
        saved = None
        if parent_frame is None:
            # a package-level literal: it gets a variables table of its own
            saved = (self.vars, self.scopes, self.scope_frames, self.top, self.local_types)
            self.vars = []
            func.vars = self.vars
            self.scopes = [{}]
            self.scope_frames = [0]
            self.top = index
            self.local_types = [{}]
            func.top = index
        else:
            func.parent = parent_frame.index
            func.top = self.top
        frame = _Frame(func, index, base_depth=len(self.scopes))
        self.frames.append(frame)
        self.push()
        self.signature(func, node)
        body = node.child_by_field_name("body")
        if body is not None:
            self.s_list(body)  # the body shares the parameters' scope (Go spec)
        self.pop()
        self.frames.pop()
        func.body = tuple(frame.stmts)
        func.captures = tuple(frame.captures)
        if saved is not None:
            self.vars, self.scopes, self.scope_frames, self.top, self.local_types = saved
        return ("fl", index)

    def e_unary(self, node):
        op = node.child_by_field_name("operator")
        operand = node.child_by_field_name("operand")
        return (
            "u",
            self.text(op) if op is not None else "?",
            self.expr(operand) if operand is not None else ("id", "?"),
        )

    def e_binary(self, node):
        op = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        return (
            "b",
            self.text(op) if op is not None else "?",
            self.expr(left) if left is not None else ("id", "?"),
            self.expr(right) if right is not None else ("id", "?"),
        )

    def e_index(self, node):
        operand = node.child_by_field_name("operand")
        index = node.child_by_field_name("index")
        x = self.expr(operand) if operand is not None else ("id", "?")
        return ("[]", x, (self.expr(index),) if index is not None else ())

    def e_slice(self, node):
        operand = node.child_by_field_name("operand")
        return ("[:]", self.expr(operand) if operand is not None else ("id", "?"))

    def e_assert(self, node):
        operand = node.child_by_field_name("operand")
        tnode = node.child_by_field_name("type")
        return (
            "assert",
            self.expr(operand) if operand is not None else ("id", "?"),
            self.texpr(tnode) if tnode is not None else None,
        )


_DECLARATIONS = frozenset(
    {"function_declaration", "method_declaration", "type_declaration", "var_declaration", "const_declaration"}
)


def _describe(source: bytes, node, node_type: str) -> str:
    """`func Name`, `method Name`, `type declaration`, ... for a message about one declaration."""
    what = {"function_declaration": "func", "method_declaration": "method"}.get(node_type)
    if what is None:
        return node_type.replace("_", " ")
    name = node.child_by_field_name("name")
    return f"{what} {_text(source, name)[:80]}" if name is not None else what


def _specs(node):
    """var/const specs, through the optional parenthesised spec list."""
    for child in node.named_children:
        if child.type in ("var_spec", "const_spec"):
            yield child
        elif child.type in ("var_spec_list", "const_spec_list"):
            yield from _specs(child)


def _syntax_errors(tree, limit: int = 20) -> list[str]:
    """Positions of ERROR and MISSING nodes; only walked when the tree reports an error."""
    out: list[str] = []
    cursor = tree.walk()
    stack = [tree]
    while stack and len(out) < limit:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            out.append(f"{node.start_point[0] + 1}:{node.start_point[1] + 1}: {what}")
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    del cursor
    return out
