"""extract: one small Go file per construct, with the exact facts of kubetorch/ir.py expected."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from kubetorch.extract import SyntaxFailure, extract, is_generated
from kubetorch.ir import FileFacts, Func, TypeDecl, ValueDecl, Var


def N(name: str, qual: str = "", targs: tuple = ()) -> tuple:
    """A named TypeExpr."""
    return ("n", qual, name, targs)


INT, STRING, BOOL, ERROR, BYTE = N("int"), N("string"), N("bool"), N("error"), N("byte")
ANY = ("i", (), ())  # interface{}
LIT_I = ("lit", "i", None)


def go(src: str) -> FileFacts:
    """Facts of a Go file written inline; its first line is `package ...` (line 1)."""
    return extract(textwrap.dedent(src).lstrip("\n").encode())


def func(facts: FileFacts, outer: str) -> Func:
    found = [f for f in facts.funcs if f.outer == outer]
    assert len(found) == 1, [f.outer for f in facts.funcs]
    return found[0]


def call(fn, args=(), line=0, spread=False) -> tuple:
    return ("call", fn, tuple(args), line, spread)


def use(line: int, *args) -> tuple:
    """The statement `use(args...)` on `line`."""
    return ("x", call(("id", "use"), args, line), line)


def v(uid: int) -> tuple:
    return ("v", uid)


# ---------------------------------------------------------------- file level


def test_package_name_and_empty_file_facts():
    facts = go(
        """
        // Package foo does things.
        package foo
        """
    )
    assert facts == FileFacts(
        package="foo",
        imports=(),
        types=(),
        funcs=(),
        values=(),
        lines=2,
        errors=(),
        generated=False,
        build_tags=(),
    )


def test_imports_named_dot_blank_unaliased_grouped_and_single():
    facts = go(
        """
        package foo

        import (
            "fmt"
            klog "k8s.io/klog/v2"
            . "strings"
            _ "embed"
        )

        import "os"
        import v1 "k8s.io/api/core/v1"
        """
    )
    assert facts.imports == (
        (None, "fmt"),
        ("klog", "k8s.io/klog/v2"),
        (".", "strings"),
        ("_", "embed"),
        (None, "os"),
        ("v1", "k8s.io/api/core/v1"),
    )


def test_lines_counted_with_and_without_trailing_newline():
    assert extract(b"package a\n\nvar x int\n").lines == 3
    assert extract(b"package a\n\nvar x int").lines == 3


def test_not_go_raises_syntax_failure():
    with pytest.raises(SyntaxFailure):
        extract(b"hello world, this is not Go\n")


def test_facts_pickle_round_trip():
    facts = go(
        """
        package p

        type T struct{ X int }

        func F(t *T) func() int {
            return func() int { return t.X }
        }
        """
    )
    assert pickle.loads(pickle.dumps(facts)) == facts


# ---------------------------------------------------------------- types


def test_struct_fields_with_types_tags_dropped():
    facts = go(
        """
        package p

        type S struct {
            Name, Alias string `json:"name"`
            Count       int    `json:"count,omitempty"`
            m           map[string][]*int
            recv        <-chan int
            send        chan<- error
            both        chan struct{}
            fn          func(int, ...string) (bool, error)
            arr         [3]byte
        }
        """
    )
    assert facts.types == (
        TypeDecl(
            name="S",
            type=(
                "st",
                (
                    ("Name", STRING, False),
                    ("Alias", STRING, False),
                    ("Count", INT, False),
                    ("m", ("m", STRING, ("s", ("p", INT))), False),
                    ("recv", ("c", INT, "recv"), False),
                    ("send", ("c", ERROR, "send"), False),
                    ("both", ("c", ("st", ()), ""), False),
                    ("fn", ("f", (INT, ("s", STRING)), (BOOL, ERROR), True), False),
                    ("arr", ("a", BYTE), False),
                ),
            ),
            line=3,
        ),
    )


def test_embedded_fields_value_and_qualified():
    facts = go(
        """
        package p

        import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

        type S struct {
            Inner
            metav1.ObjectMeta
            X int
        }
        """
    )
    (decl,) = facts.types
    assert decl.type == (
        "st",
        (
            ("Inner", N("Inner"), True),
            ("ObjectMeta", N("ObjectMeta", "metav1"), True),
            ("X", INT, False),
        ),
    )


def test_embedded_pointer_fields_keep_their_pointer():
    facts = go(
        """
        package p

        type S struct {
            *Base
            *cache.Store
        }
        """
    )
    (decl,) = facts.types
    assert decl.type == (
        "st",
        (
            ("Base", ("p", N("Base")), True),
            ("Store", ("p", N("Store", "cache")), True),
        ),
    )


def test_interface_method_set_and_embedded_interfaces():
    facts = go(
        """
        package p

        type I interface {
            io.Reader
            fmt.Stringer
            Lister
            Get(key string) (int, bool)
            Put(string, ...int)
            Close() error
        }
        """
    )
    assert facts.types == (
        TypeDecl(
            name="I",
            type=(
                "i",
                (
                    ("Get", ("f", (STRING,), (INT, BOOL), False)),
                    ("Put", ("f", (STRING, ("s", INT)), (), True)),
                    ("Close", ("f", (), (ERROR,), False)),
                ),
                (N("Reader", "io"), N("Stringer", "fmt"), N("Lister")),
            ),
            line=3,
        ),
    )


def test_named_func_type():
    facts = go(
        """
        package p

        type Handler func(obj interface{}, old, new *Pod) error
        type Cb func()
        """
    )
    assert facts.types == (
        TypeDecl("Handler", ("f", (ANY, ("p", N("Pod")), ("p", N("Pod"))), (ERROR,), False), 3),
        TypeDecl("Cb", ("f", (), (), False), 4),
    )


def test_generic_type_parameters():
    facts = go(
        """
        package p

        type List[T any, K comparable] struct {
            items []T
            idx   map[K]T
        }

        type Pair[A, B any] struct{ a A }
        """
    )
    assert facts.types == (
        TypeDecl(
            name="List",
            type=("st", (("items", ("s", N("T")), False), ("idx", ("m", N("K"), N("T")), False))),
            line=3,
            type_params=("T", "K"),
        ),
        TypeDecl(name="Pair", type=("st", (("a", N("A"), False),)), line=8, type_params=("A", "B")),
    )


def test_type_aliases_and_defined_types():
    facts = go(
        """
        package p

        type Alias = S
        type Defined S
        type IntList = List[int, string]
        type Ptr = *cache.Store
        """
    )
    assert facts.types == (
        TypeDecl("Alias", N("S"), 3, alias=True),
        TypeDecl("Defined", N("S"), 4, alias=False),
        TypeDecl("IntList", N("List", "", (INT, STRING)), 5, alias=True),
        TypeDecl("Ptr", ("p", N("Store", "cache")), 6, alias=True),
    )


# ---------------------------------------------------------------- signatures


def test_method_receivers_pointer_and_value():
    facts = go(
        """
        package p

        func (s *S) Get(key string) (v int, ok bool) {
            return
        }

        func (s S) Name() string { return s.name }
        """
    )
    assert facts.funcs == (
        Func(
            name="Get",
            line=3,
            end_line=5,
            recv=0,
            recv_type=("p", N("S")),
            params=((1, STRING),),
            results=((2, INT), (3, BOOL)),
            body=(("ret", (), 4),),
            top=0,
            vars=[
                Var("s", ("p", N("S")), 3),
                Var("key", STRING, 3),
                Var("v", INT, 3),
                Var("ok", BOOL, 3),
            ],
            outer="(*S).Get",
        ),
        Func(
            name="Name",
            line=7,
            end_line=7,
            recv=0,
            recv_type=N("S"),
            results=((1, STRING),),
            body=(("ret", ((".", v(0), "name"),), 7),),
            top=1,
            vars=[Var("s", N("S"), 7), Var("_", STRING, 7)],
            outer="S.Name",
        ),
    )


def test_unnamed_receiver_method_still_named_by_its_type():
    facts = go(
        """
        package p

        func (S) Name() string { return "" }
        func (*S) Ptr() {}
        """
    )
    name, ptr = facts.funcs
    assert (name.name, name.outer, name.recv_type) == ("Name", "S.Name", N("S"))
    assert (ptr.name, ptr.outer, ptr.recv_type) == ("Ptr", "(*S).Ptr", ("p", N("S")))
    assert name.params == () and name.results[0][1] == STRING


def test_unnamed_receiver_is_declared_as_underscore():
    (fn,) = go("package p\nfunc (S) M() {}\n").funcs
    assert fn.recv == 0 and fn.vars[0].name == "_" and fn.vars[0].type == N("S")


def test_generic_receivers_name_the_type_and_its_parameters():
    facts = go(
        """
        package p

        func (l *List[T, K]) Add(item T, key K) {}

        func (l List[A, B]) Len() int { return 0 }
        """
    )
    add, length = facts.funcs
    assert (add.recv_type, add.type_params, add.outer) == (("p", N("List")), ("T", "K"), "(*List).Add")
    assert add.params == ((1, N("T")), (2, N("K")))
    assert (length.recv_type, length.type_params, length.outer) == (N("List"), ("A", "B"), "List.Len")


def test_generic_function_type_parameters():
    (fn,) = go("package p\nfunc Map[T, U any](xs []T, f func(T) U) []U { return nil }\n").funcs
    assert fn.type_params == ("T", "U")
    assert fn.params == ((0, ("s", N("T"))), (1, ("f", (N("T"),), (N("U"),), False)))
    assert fn.results == ((2, ("s", N("U"))),)
    assert fn.recv is None and fn.recv_type is None and fn.outer == "Map"


def test_params_variadic_unnamed_and_results_named_unnamed():
    facts = go(
        """
        package p

        func Printf(format string, args ...interface{}) {}

        func Unnamed(int, *Pod) (int, error) { return 0, nil }

        func Multi(a, b int) (x, y int) { return a, b }

        func One() error { return nil }
        """
    )
    printf, unnamed, multi, one = facts.funcs
    assert (printf.params, printf.variadic, printf.results) == (
        ((0, STRING), (1, ("s", ANY))),
        True,
        (),
    )
    assert printf.vars == [Var("format", STRING, 3), Var("args", ("s", ANY), 3)]
    # unnamed parameters and results get fresh uids each
    assert (unnamed.params, unnamed.results, unnamed.variadic) == (
        ((0, INT), (1, ("p", N("Pod")))),
        ((2, INT), (3, ERROR)),
        False,
    )
    assert [var.name for var in unnamed.vars] == ["_", "_", "_", "_"]
    assert (multi.params, multi.results) == (((0, INT), (1, INT)), ((2, INT), (3, INT)))
    assert multi.vars == [Var("a", INT, 7), Var("b", INT, 7), Var("x", INT, 7), Var("y", INT, 7)]
    assert multi.body == (("ret", (v(0), v(1)), 7),)
    assert (one.params, one.results) == ((), ((0, ERROR),))


def test_function_without_body():
    (fn,) = go("package p\n\nfunc nanotime() int64\n").funcs
    assert fn == Func(
        name="nanotime",
        line=3,
        end_line=3,
        results=((0, N("int64")),),
        body=None,
        top=0,
        vars=[Var("_", N("int64"), 3)],
        outer="nanotime",
    )


# ---------------------------------------------------------------- package-level values


def test_package_vars_and_consts_declared_and_literal_types():
    facts = go(
        """
        package p

        var x, y = f()
        var p, q int = 1, 2
        var r = &T{Name: "n"}
        var s []string
        const Typed int64 = 5
        const Name = "kube"
        """
    )
    comp = ("comp", N("T"), ((("key", "Name", None), ("lit", "s", "n")),), 5)
    assert facts.values == (
        ValueDecl("x", None, call(("id", "f"), (), 3), 3, const=False, index=0),
        ValueDecl("y", None, call(("id", "f"), (), 3), 3, const=False, index=1),
        ValueDecl("p", INT, LIT_I, 4),
        ValueDecl("q", INT, LIT_I, 4),
        ValueDecl("r", None, ("u", "&", comp), 5),
        ValueDecl("s", ("s", STRING), None, 6),
        ValueDecl("Typed", N("int64"), LIT_I, 7, const=True),
        ValueDecl("Name", None, ("lit", "s", "kube"), 8, const=True),
    )


def test_iota_group_first_spec():
    facts = go(
        """
        package p

        const (
            A Kind = iota
            B
            C = "c"
        )
        """
    )
    a, b, c = facts.values
    assert a == ValueDecl("A", N("Kind"), ("id", "iota"), 4, const=True)
    assert (b.name, b.line, b.const) == ("B", 5, True)
    assert c == ValueDecl("C", None, ("lit", "s", "c"), 6, const=True)


def test_iota_group_implicit_repetition_inherits_type():
    facts = go("package p\n\nconst (\n\tA Kind = iota\n\tB\n)\n")
    assert facts.values[1].type == N("Kind")


# ---------------------------------------------------------------- statements


def test_assignments_short_declarations_and_var_specs():
    facts = go(
        """
        package p

        func F() {
            a, b := 1, "s"
            var c int
            var d, e = g()
            var f string = "x"
            a = len(f)
            _, _ = b, c
            _ = d
            _ = e
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(0), v(1)), (LIT_I, ("lit", "s", "s")), 4, True),
        ("=", (v(3), v(4)), (call(("id", "g"), (), 6),), 6, True),
        ("=", (v(5),), (("lit", "s", "x"),), 7, True),
        ("=", (v(0),), (call(("id", "len"), (v(5),), 8),), 8, False),
        ("=", (("id", "_"), ("id", "_")), (v(1), v(2)), 9, False),
        ("=", (("id", "_"),), (v(3),), 10, False),
        ("=", (("id", "_"),), (v(4),), 11, False),
    )
    assert fn.vars == [
        Var("a", None, 4),
        Var("b", None, 4),
        Var("c", INT, 5),
        Var("d", None, 6),
        Var("e", None, 6),
        Var("f", STRING, 7),
    ]


def test_redeclaration_reuses_uid_in_the_same_scope():
    facts = go(
        """
        package p

        func F(m map[string]int) {
            a, b := 1, 2
            a, c := 3, 4
            x, ok := m["k"]
            x, err := g()
            use(a, b, c, x, ok, err)
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(1), v(2)), (LIT_I, LIT_I), 4, True),
        ("=", (v(1), v(3)), (LIT_I, LIT_I), 5, True),
        ("=", (v(4), v(5)), (("[]", v(0), (("lit", "s", "k"),)),), 6, True),
        ("=", (v(4), v(6)), (call(("id", "g"), (), 7),), 7, True),
        use(8, v(1), v(2), v(3), v(4), v(5), v(6)),
    )
    assert [var.name for var in fn.vars] == ["m", "a", "b", "c", "x", "ok", "err"]


def test_shadowing_in_an_inner_scope_gets_a_new_uid():
    facts = go(
        """
        package p

        func F() {
            a := 1
            {
                a := a
                a, b := 2, 3
                use(a, b)
            }
            use(a)
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(0),), (LIT_I,), 4, True),
        # the right side is read before the new `a` is declared: it is the outer one
        ("=", (v(1),), (v(0),), 6, True),
        ("=", (v(1), v(2)), (LIT_I, LIT_I), 7, True),
        use(8, v(1), v(2)),
        use(10, v(0)),
    )
    assert fn.vars == [Var("a", None, 4), Var("a", None, 6), Var("b", None, 7)]


def test_redeclaration_of_a_named_result_reuses_its_uid():
    facts = go(
        """
        package p

        func F() (err error) {
            x, err := g()
            use(x)
            return
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body[0] == ("=", (v(1), v(0)), (call(("id", "g"), (), 4),), 4, True)
    assert [var.name for var in fn.vars] == ["err", "x"]


def test_op_assign():
    facts = go(
        """
        package p

        func F(n int, s string) {
            n += 2
            s += "x"
            n <<= n
        }
        """
    )
    assert facts.funcs[0].body == (
        ("=", (v(0),), (v(0), LIT_I), 4, False),
        ("=", (v(1),), (v(1), ("lit", "s", "x")), 5, False),
        ("=", (v(0),), (v(0), v(0)), 6, False),
    )


def test_calls_with_arguments_and_spread():
    facts = go(
        """
        package p

        func F(xs []string, c *Ctrl) {
            fmt.Println("a", xs[0], len(xs))
            g(xs...)
            c.queue.Add(c.key(xs[1:]), nil)
            h(append(xs, "z")...)
        }
        """
    )
    assert facts.funcs[0].body == (
        (
            "x",
            call(
                (".", ("id", "fmt"), "Println"),
                (("lit", "s", "a"), ("[]", v(0), (LIT_I,)), call(("id", "len"), (v(0),), 4)),
                4,
            ),
            4,
        ),
        ("x", call(("id", "g"), (v(0),), 5, spread=True), 5),
        (
            "x",
            call(
                (".", (".", v(1), "queue"), "Add"),
                (call((".", v(1), "key"), (("[:]", v(0)),), 6), ("id", "nil")),
                6,
            ),
            6,
        ),
        ("x", call(("id", "h"), (call(("id", "append"), (v(0), ("lit", "s", "z")), 7),), 7, True), 7),
    )


def test_expressions_unary_binary_conversion_make_new_literals():
    facts = go(
        """
        package p

        func F(n int, p *T) {
            a := -n
            b := int64(n)
            c := make([]int, 0)
            d := new(T)
            e := *p
            f := (n + 1) * 2
            g := `raw`
            h := "q\\"x"
            i := 1.5
            j := 'r'
            k := !ok
        }
        """
    )
    rhs = [stmt[2][0] for stmt in facts.funcs[0].body]
    assert rhs == [
        ("u", "-", v(0)),
        call(("id", "int64"), (v(0),), 5),
        call(("id", "make"), (("T", ("s", INT)), LIT_I), 6),
        call(("id", "new"), (("T", N("T")),), 7),
        ("u", "*", v(1)),
        ("b", "*", ("b", "+", v(0), LIT_I), LIT_I),
        ("lit", "s", "raw"),
        ("lit", "s", 'q"x'),
        ("lit", "f", None),
        ("lit", "r", None),
        ("u", "!", ("id", "ok")),
    ]


def test_returns():
    facts = go(
        """
        package p

        func F(a int) (int, error) {
            if a > 0 {
                return a, nil
            }
            return g(a)
        }
        """
    )
    assert facts.funcs[0].body == (
        ("x", ("b", ">", v(0), LIT_I), 4),
        ("ret", (v(0), ("id", "nil")), 5),
        ("ret", (call(("id", "g"), (v(0),), 7),), 7),
    )


def test_go_and_defer():
    facts = go(
        """
        package p

        func F(ch chan int, mu *sync.Mutex) {
            go run(ch)
            defer mu.Unlock()
            go func() { close(ch) }()
        }
        """
    )
    fn, lit = facts.funcs
    assert fn.body == (
        ("go", call(("id", "run"), (v(0),), 4), 4),
        ("defer", call((".", v(1), "Unlock"), (), 5), 5),
        ("go", call(("fl", 1), (), 6), 6),
    )
    assert lit.body == (("x", call(("id", "close"), (v(0),), 6), 6),)
    assert lit.captures == (0,)


def test_channel_send_and_receive():
    facts = go(
        """
        package p

        func F(ch chan int, done chan struct{}) {
            ch <- 1
            x := <-ch
            <-done
            x, ok := <-ch
            x = <-ch
            use(x, ok)
        }
        """
    )
    assert facts.funcs[0].body == (
        ("send", v(0), LIT_I, 4),
        ("=", (v(2),), (("u", "<-", v(0)),), 5, True),
        ("x", ("u", "<-", v(1)), 6),
        ("=", (v(2), v(3)), (("u", "<-", v(0)),), 7, True),
        ("=", (v(2),), (("u", "<-", v(0)),), 8, False),
        use(9, v(2), v(3)),
    )


def test_select_cases():
    facts = go(
        """
        package p

        func F(ch chan int, done chan struct{}, v int) {
            select {
            case y := <-ch:
                use(y)
            case y, ok := <-ch:
                use(y, ok)
            case ch <- v:
            case <-done:
                return
            default:
            }
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(3),), (("u", "<-", v(0)),), 5, True),
        use(6, v(3)),
        # each case has its own scope: this y is a new variable
        ("=", (v(4), v(5)), (("u", "<-", v(0)),), 7, True),
        use(8, v(4), v(5)),
        ("send", v(0), v(2), 9),
        ("x", ("u", "<-", v(1)), 10),
        ("ret", (), 11),
    )
    assert [var.name for var in fn.vars] == ["ch", "done", "v", "y", "y", "ok"]


def test_range_define_and_assign_over_map_slice_chan():
    facts = go(
        """
        package p

        func F(m map[string]int, s []int, ch chan int) {
            for k, val := range m {
                use(k, val)
            }
            for i := range s {
                use(i)
            }
            for x := range ch {
                use(x)
            }
            var a string
            var b int
            for a, b = range m {
            }
            for range s {
            }
            for _, e := range s {
                use(e)
            }
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("range", v(3), v(4), v(0), 4),
        use(5, v(3), v(4)),
        ("range", v(5), None, v(1), 7),
        use(8, v(5)),
        ("range", v(6), None, v(2), 10),
        use(11, v(6)),
        ("range", v(7), v(8), v(0), 15),
        ("range", None, None, v(1), 17),
        ("range", ("id", "_"), v(9), v(1), 19),
        use(20, v(9)),
    )
    assert fn.vars[3:] == [
        Var("k", None, 4),
        Var("val", None, 4),
        Var("i", None, 7),
        Var("x", None, 10),
        Var("a", STRING, 13),
        Var("b", INT, 14),
        Var("e", None, 19),
    ]


def test_type_assertions_plain_and_comma_ok():
    facts = go(
        """
        package p

        func F(obj interface{}) {
            p, ok := obj.(*v1.Pod)
            s := obj.(fmt.Stringer)
            use(p, ok, s)
        }
        """
    )
    assert facts.funcs[0].body == (
        ("=", (v(1), v(2)), (("assert", v(0), ("p", N("Pod", "v1"))),), 4, True),
        ("=", (v(3),), (("assert", v(0), N("Stringer", "fmt")),), 5, True),
        use(6, v(1), v(2), v(3)),
    )


def test_type_switch_binds_per_case_with_the_case_type():
    facts = go(
        """
        package p

        func F(obj interface{}) {
            switch t := obj.(type) {
            case *Pod:
                use(t)
            case string, int:
                use(t)
            default:
                use(t)
            }
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(1),), (("assert", v(0), ("p", N("Pod"))),), 5, True),
        use(6, v(1)),
        ("=", (v(2),), (("assert", v(0), None),), 7, True),
        use(8, v(2)),
        ("=", (v(3),), (("assert", v(0), None),), 9, True),
        use(10, v(3)),
    )
    assert fn.vars == [
        Var("obj", ANY, 3),
        Var("t", ("p", N("Pod")), 5),
        Var("t", None, 7),
        Var("t", None, 9),
    ]


def test_type_switch_nil_case_binds_none():
    facts = go(
        """
        package p

        func F(obj interface{}) {
            switch t := obj.(type) {
            case nil:
                use(t)
            }
        }
        """
    )
    assert facts.funcs[0].body[0] == ("=", (v(1),), (("assert", v(0), None),), 5, True)


def test_type_switch_without_binding_and_with_init():
    facts = go(
        """
        package p

        func F() {
            switch x := get(); x.(type) {
            case int:
                use(x)
            }
        }
        """
    )
    assert facts.funcs[0].body == (
        ("=", (v(0),), (call(("id", "get"), (), 4),), 4, True),
        ("x", v(0), 4),
        use(6, v(0)),
    )


def test_composite_literals_keyed_positional_nested_elided_and_address():
    facts = go(
        """
        package p

        func F(name string) {
            a := T{Name: name, Count: 1}
            b := []int{1, 2}
            c := map[string][]Pair{"k": {{1, 2}}}
            d := &T{}
            e := []*T{{Name: "x"}}
            m := map[string]int{name: 1}
            use(a, b, c, d, e, m)
        }
        """
    )
    rhs = [stmt[2][0] for stmt in facts.funcs[0].body[:-1]]
    assert rhs == [
        ("comp", N("T"), ((("key", "Name", None), v(0)), (("key", "Count", None), LIT_I)), 4),
        ("comp", ("s", INT), ((None, LIT_I), (None, LIT_I)), 5),
        (
            "comp",
            ("m", STRING, ("s", N("Pair"))),
            (
                (
                    ("lit", "s", "k"),
                    ("comp", None, ((None, ("comp", None, ((None, LIT_I), (None, LIT_I)), 6)),), 6),
                ),
            ),
            6,
        ),
        ("u", "&", ("comp", N("T"), (), 7)),
        (
            "comp",
            ("s", ("p", N("T"))),
            ((None, ("comp", None, ((("key", "Name", None), ("lit", "s", "x")),), 8)),),
            8,
        ),
        # a bare identifier key that is a local variable carries its uid (a map key variable)
        ("comp", ("m", STRING, INT), ((("key", "name", 0), LIT_I),), 9),
    ]


def test_func_literals_are_units_with_captures_names_parent_and_root():
    facts = go(
        """
        package p

        func (c *Ctrl) Run(stop chan struct{}) {
            n := 0
            handler := func(obj interface{}) {
                c.add(obj)
                go func() {
                    use(stop, n)
                }()
            }
            other := func() int { return n }
            use(handler, other)
        }

        func G() {
            f := func() {}
            f()
        }
        """
    )
    run, func1, func11, func2, g, gfunc1 = facts.funcs
    assert run.body == (
        ("=", (v(2),), (LIT_I,), 4, True),
        ("=", (v(4),), (("fl", 1),), 5, True),
        ("=", (v(6),), (("fl", 3),), 11, True),
        use(12, v(4), v(6)),
    )
    # literals use the root's vars table: their parameters and results are declared there
    assert run.vars == [
        Var("c", ("p", N("Ctrl")), 3),
        Var("stop", ("c", ("st", ()), ""), 3),
        Var("n", None, 4),
        Var("obj", ANY, 5),
        Var("handler", None, 5),
        Var("_", INT, 11),
        Var("other", None, 11),
    ]
    assert func1 == Func(
        name="func1",
        line=5,
        end_line=10,
        params=((3, ANY),),
        body=(
            ("x", call((".", v(0), "add"), (v(3),), 6), 6),
            ("go", call(("fl", 2), (), 7), 7),
        ),
        parent=0,
        top=0,
        # c directly, stop and n through the nested literal
        captures=(0, 1, 2),
        vars=None,
        outer="(*Ctrl).Run.func1",
    )
    assert func11 == Func(
        name="func1.1",
        line=7,
        end_line=9,
        body=(use(8, v(1), v(2)),),
        parent=1,
        top=0,
        captures=(1, 2),
        outer="(*Ctrl).Run.func1.1",
    )
    assert func2 == Func(
        name="func2",
        line=11,
        end_line=11,
        results=((5, INT),),
        body=(("ret", (v(2),), 11),),
        parent=0,
        top=0,
        captures=(2,),
        outer="(*Ctrl).Run.func2",
    )
    assert (g.name, g.top, g.parent, g.body) == (
        "G",
        4,
        None,
        (("=", (v(0),), (("fl", 5),), 16, True), ("x", call(v(0), (), 17), 17)),
    )
    assert (gfunc1.name, gfunc1.outer, gfunc1.parent, gfunc1.top, gfunc1.captures) == (
        "func1",
        "G.func1",
        4,
        4,
        (),
    )


def test_func_literal_params_shadow_captured_names():
    facts = go(
        """
        package p

        func F(x int) {
            f := func(x int) int { return x }
            use(f, x)
        }
        """
    )
    fn, lit = facts.funcs
    assert lit.params == ((1, INT),)
    assert lit.body == (("ret", (v(1),), 4),)
    assert lit.captures == ()
    assert fn.body[-1] == use(5, v(3), v(0))
    assert fn.vars == [Var("x", INT, 3), Var("x", INT, 4), Var("_", INT, 4), Var("f", None, 4)]


def test_func_literal_capturing_through_inc_statement():
    facts = go(
        """
        package p

        func F() {
            n := 0
            f := func() { n++ }
            f()
        }
        """
    )
    assert facts.funcs[1].captures == (0,)


def test_package_level_func_literals_are_glob_funcs_with_their_own_vars():
    facts = go(
        """
        package p

        var h = func(a int) int { return a }
        var k = func() {
            x := 1
            _ = func() int { return x }
        }
        """
    )
    h, k, k1 = facts.funcs
    assert h == Func(
        name="func1",
        line=3,
        end_line=3,
        params=((0, INT),),
        results=((1, INT),),
        body=(("ret", (v(0),), 3),),
        top=0,
        vars=[Var("a", INT, 3), Var("_", INT, 3)],
        outer="glob.func1",
    )
    assert (k.name, k.outer, k.top, k.parent, k.vars) == (
        "func2",
        "glob.func2",
        1,
        None,
        [Var("x", None, 5), Var("_", INT, 6)],
    )
    assert k.body == (("=", (v(0),), (LIT_I,), 5, True), ("=", (("id", "_"),), (("fl", 2),), 6, False))
    assert (k1.parent, k1.top, k1.captures, k1.vars) == (1, 1, (0,), None)
    assert k1.body == (("ret", (v(0),), 6),)
    assert [val.value for val in facts.values] == [("fl", 0), ("fl", 1)]


def test_literal_nested_in_package_level_literal_gets_go_style_name():
    facts = go("package p\n\nvar h = 1\nvar k = func() {\n\t_ = func() {}\n}\n")
    _k, k1 = facts.funcs
    assert (k1.name, k1.outer) == ("func1.1", "glob.func1.1")


def test_local_type_declarations():
    facts = go(
        """
        package p

        func (c *Ctrl) Sync() {
            type item struct{ key string }
            var it item
            x := item{key: "a"}
            use(it, x)
        }
        """
    )
    assert facts.types == (TypeDecl("(*Ctrl).Sync.item", ("st", (("key", STRING, False),)), 4),)
    fn = facts.funcs[0]
    assert fn.vars[1] == Var("it", N("(*Ctrl).Sync.item"), 5)
    assert fn.body[0] == (
        "=",
        (v(2),),
        (("comp", N("(*Ctrl).Sync.item"), ((("key", "key", None), ("lit", "s", "a")),), 6),),
        6,
        True,
    )


def test_local_type_is_visible_only_in_its_block():
    facts = go(
        """
        package p

        type item int

        func F() {
            if true {
                type item struct{}
            }
            var x item
            _ = x
        }
        """
    )
    assert facts.funcs[0].vars == [Var("x", N("item"), 9)]


def test_labeled_statements():
    facts = go(
        """
        package p

        func F(xs []int) {
        outer:
            for _, x := range xs {
                if x > 0 {
                    continue outer
                }
                use(x)
            }
        done:
            use(xs)
        }
        """
    )
    assert facts.funcs[0].body == (
        ("range", ("id", "_"), v(1), v(0), 5),
        ("x", ("b", ">", v(1), LIT_I), 6),
        use(9, v(1)),
        use(12, v(0)),
    )


def test_if_for_switch_init_statements_have_their_own_scope():
    facts = go(
        """
        package p

        func F() {
            if err := a(); err != nil {
                err := b()
                use(err)
            } else if v := err; v == nil {
                use(v, err)
            }
            err := c()
            for i := 0; i < n; i++ {
                i := 5
                use(i)
            }
            switch s := d(); s {
            case 1, 2:
                s := 2
                use(s)
            default:
            }
            use(err)
        }
        """
    )
    fn = facts.funcs[0]
    assert fn.body == (
        ("=", (v(0),), (call(("id", "a"), (), 4),), 4, True),
        ("x", ("b", "!=", v(0), ("id", "nil")), 4),
        ("=", (v(1),), (call(("id", "b"), (), 5),), 5, True),
        use(6, v(1)),
        ("=", (v(2),), (v(0),), 7, True),
        ("x", ("b", "==", v(2), ("id", "nil")), 7),
        use(8, v(2), v(0)),
        ("=", (v(3),), (call(("id", "c"), (), 10),), 10, True),
        ("=", (v(4),), (LIT_I,), 11, True),
        ("x", ("b", "<", v(4), ("id", "n")), 11),
        ("=", (v(4),), (v(4),), 11, False),  # i++
        ("=", (v(5),), (LIT_I,), 12, True),
        use(13, v(5)),
        ("=", (v(6),), (call(("id", "d"), (), 15),), 15, True),
        ("x", v(6), 15),
        ("x", LIT_I, 16),
        ("x", LIT_I, 16),
        ("=", (v(7),), (LIT_I,), 17, True),
        use(18, v(7)),
        use(21, v(3)),
    )
    assert [(var.name, var.line) for var in fn.vars] == [
        ("err", 4),
        ("err", 5),
        ("v", 7),
        ("err", 10),
        ("i", 11),
        ("i", 12),
        ("s", 15),
        ("s", 17),
    ]


# ---------------------------------------------------------------- generated files, build tags, errors


@pytest.mark.parametrize(
    ("source", "generated"),
    [
        (b"// Code generated by deepcopy-gen. DO NOT EDIT.\n\npackage p\n", True),
        (b"/*\nCopyright 2024.\n*/\n\n// Code generated by mockery. DO NOT EDIT.\n\npackage p\n", True),
        (b"// Code generated by x. DO NOT EDIT\n\npackage p\n", False),  # no final period
        (b"// Code generated by x.\n\npackage p\n", False),
        (b"package p\n\nfunc F() {}\n", False),
        (b"// Package p. Code generated by x. DO NOT EDIT.\npackage p\n", False),  # not at line start
    ],
)
def test_generated_file_detection(source, generated):
    assert is_generated(source) is generated
    assert extract(source).generated is generated


def test_generated_comment_after_package_clause_does_not_count():
    assert is_generated(b"package p\n\n// Code generated by x. DO NOT EDIT.\n") is False


def test_build_tags():
    facts = extract(
        b"// Code generated by x. DO NOT EDIT.\n\n//go:build !ignore_autogenerated\n\npackage p\n"
    )
    assert (facts.generated, facts.build_tags) == (True, ("!ignore_autogenerated",))
    assert extract(b"//go:build linux && amd64\n\npackage p\n").build_tags == ("linux && amd64",)
    assert extract(b"// +build linux\n\npackage p\n").build_tags == ()


def test_syntax_errors_are_reported_with_lines_and_the_rest_is_extracted():
    facts = go(
        """
        package p

        type T struct{ X int }

        func A() int { return 1 }

        func B() {
            x := 1 )
            _ = x
        }

        func C(s string) string { return s }
        """
    )
    assert len(facts.errors) == 1
    line, _col, message = facts.errors[0].split(":", 2)
    assert (line, message) == ("8", " syntax error")
    assert facts.types == (TypeDecl("T", ("st", (("X", INT, False),)), 3),)
    assert [f.name for f in facts.funcs] == ["A", "B", "C"]
    a, _b, c = facts.funcs
    assert a.body == (("ret", (LIT_I,), 5),)
    assert (c.line, c.params, c.results, c.body) == (
        12,
        ((0, STRING),),
        ((1, STRING),),
        (("ret", (v(0),), 12),),
    )


def test_missing_token_is_reported():
    facts = go(
        """
        package p

        func A() {
            x :=
        }

        func B() {}
        """
    )
    assert [e.split(":")[0] for e in facts.errors] == ["4"]
    assert "missing" in facts.errors[0]
    assert [f.name for f in facts.funcs] == ["A", "B"]
