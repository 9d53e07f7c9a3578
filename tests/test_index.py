"""build_index over small Go packages: method sets, implementers, fields, generics, names, build tags."""

from __future__ import annotations

import textwrap

import pytest

from kubetorch.extract import extract
from kubetorch.index import (
    FileCtx,
    IndexedFile,
    MethodInfo,
    ProgramIndex,
    build_index,
    guess_package_names,
    substitute,
)

M = "example.com/m"
A, B = f"{M}/a", f"{M}/b"
STRING, INT, ERROR = ("n", "", "string", ()), ("n", "", "int", ()), ("n", "", "error", ())


def T(pkg: str, name: str, *targs) -> tuple:
    return ("n", pkg, name, tuple(targs))


def index_of(files: dict[str, tuple[str, str]]) -> ProgramIndex:
    """{path: (import path, Go source)} -> ProgramIndex."""
    indexed = []
    for path, (import_path, src) in files.items():
        facts = extract(textwrap.dedent(src).lstrip("\n").encode())
        indexed.append(IndexedFile(path, import_path, path.rsplit("/", 1)[0], facts))
    return build_index(indexed)


A_SRC = """
package a

import "example.com/m/b"

type Base struct{ ID string }

func (x *Base) PtrM()     {}
func (x Base) ValM() int { return 0 }

type Getter interface {
    Get(key string) (int, error)
}
type Named interface{ Name() string }
type Both interface {
    Getter
    Named
}

type Outer struct {
    *Base
    Getter
    b.Remote
    Count int
}

type Impl struct{}

func (Impl) Get(key string) (int, error) { return 0, nil }
func (*Impl) Name() string             { return "" }

type Wrong struct{}

func (Wrong) Get() int      { return 0 }
func (Wrong) Name() string { return "" }

type Embeds struct{ Impl }
type EmbedsPtr struct{ *Impl }
"""
B_SRC = """
package b

type Remote struct{ Addr string }

func (r *Remote) Dial() error { return nil }
"""


@pytest.fixture(scope="module")
def idx() -> ProgramIndex:
    return index_of({"a/a.go": (A, A_SRC), "b/b.go": (B, B_SRC)})


def test_packages_and_declared_methods(idx):
    assert sorted(idx.packages) == [A, B]
    assert (idx.packages[A].name, idx.packages[A].dir, idx.packages[A].files) == ("a", "a", ["a/a.go"])
    assert idx.packages[A].imports == {B}
    assert idx.methods[(A, "Base")] == {"PtrM": f"{A}.(*Base).PtrM", "ValM": f"{A}.Base.ValM"}
    assert idx.methods[(A, "Impl")] == {"Get": f"{A}.Impl.Get", "Name": f"{A}.(*Impl).Name"}
    get = idx.funcs[f"{A}.Impl.Get"]
    assert (get.recv, get.pointer_recv, get.params, get.results) == (
        (A, "Impl"),
        False,
        (STRING,),
        (INT, ERROR),
    )
    assert idx.funcs[f"{A}.(*Impl).Name"].pointer_recv is True


def test_method_set_promotion_through_embedding(idx):
    assert idx.method_set((A, "Outer")) == {
        # through the embedded pointer *Base: pointer and value receivers
        "PtrM": (f"{A}.(*Base).PtrM", True),
        "ValM": (f"{A}.Base.ValM", False),
        # through the embedded interface: no concrete method
        "Get": (None, False),
        # through the qualified embedded b.Remote
        "Dial": (f"{B}.(*Remote).Dial", True),
    }
    assert idx.method_set((A, "Embeds")) == {
        "Get": (f"{A}.Impl.Get", False),
        "Name": (f"{A}.(*Impl).Name", True),
    }
    assert idx.method_set((A, "EmbedsPtr")) == idx.method_set((A, "Embeds"))
    assert idx.method_set((A, "Getter")) == {}


def test_method_resolution_with_embedded_path(idx):
    outer = T(A, "Outer")
    assert idx.method(("p", outer), "PtrM") == MethodInfo(f"{A}.(*Base).PtrM", ("Base",))
    assert idx.method(outer, "ValM") == MethodInfo(f"{A}.Base.ValM", ("Base",))
    assert idx.method(outer, "Dial") == MethodInfo(f"{B}.(*Remote).Dial", ("Remote",))
    assert idx.method(outer, "Get") == MethodInfo(None, ("Getter",), T(A, "Getter"))
    assert idx.method(outer, "Nope") is None
    assert idx.method(T(A, "Impl"), "Get") == MethodInfo(f"{A}.Impl.Get", ())


def test_interface_method_sets_with_embedded_interfaces(idx):
    get = ("f", (STRING,), (INT, ERROR), False)
    name = ("f", (), (STRING,), False)
    assert idx.iface_methods(T(A, "Getter")) == {"Get": get}
    assert idx.iface_methods(T(A, "Both")) == {"Get": get, "Name": name}
    assert idx.iface_methods(T(A, "Impl")) is None
    assert idx.is_interface(T(A, "Both")) and not idx.is_interface(T(A, "Impl"))


def test_interface_implementers_through_embedding_excluding_arity_mismatch(idx):
    # Wrong has Get() int: same name, other arity, so it is not a Getter
    assert idx.implementers(T(A, "Getter")) == ((A, "Embeds"), (A, "EmbedsPtr"), (A, "Impl"), (A, "Outer"))
    assert idx.implementers(T(A, "Named")) == ((A, "Embeds"), (A, "EmbedsPtr"), (A, "Impl"), (A, "Wrong"))
    assert idx.implementers(T(A, "Both")) == ((A, "Embeds"), (A, "EmbedsPtr"), (A, "Impl"))
    assert idx.implementers(T(A, "Base")) == ()


def test_field_lookup_through_embedding_returns_declaring_struct(idx):
    outer = T(A, "Outer")
    assert idx.field(outer, "Count") == (INT, (), (A, "Outer"))
    assert idx.field(("p", outer), "ID") == (STRING, ("Base",), (A, "Base"))
    assert idx.field(outer, "Addr") == (STRING, ("Remote",), (B, "Remote"))
    assert idx.field(outer, "Nope") is None
    assert idx.field(T(A, "Missing"), "X") is None


def test_generic_type_substitution_on_field_types():
    idx = index_of(
        {
            "a/a.go": (
                A,
                """
                package a

                type Box[T any] struct {
                    Val   T
                    Items []T
                    ByKey map[string]*T
                }
                type IntBox = Box[int]
                type Holder struct{ B Box[string] }

                func (b *Box[T]) Put(v T) {}
                func Map[K comparable, V any](m map[K]V) []V { return nil }
                """,
            )
        }
    )
    box = idx.types[(A, "Box")]
    assert box.type_params == ("T",)
    assert box.type == (
        "st",
        (
            ("Val", ("tp", "T"), False),
            ("Items", ("s", ("tp", "T")), False),
            ("ByKey", ("m", STRING, ("p", ("tp", "T"))), False),
        ),
    )
    box_int = T(A, "Box", INT)
    assert idx.field(box_int, "Val") == (INT, (), (A, "Box"))
    assert idx.field(box_int, "Items") == (("s", INT), (), (A, "Box"))
    assert idx.field(box_int, "ByKey") == (("m", STRING, ("p", INT)), (), (A, "Box"))
    assert idx.field(T(A, "IntBox"), "Val") == (INT, (), (A, "Box"))
    assert idx.underlying(T(A, "IntBox")) == (
        "st",
        (("Val", INT, False), ("Items", ("s", INT), False), ("ByKey", ("m", STRING, ("p", INT)), False)),
    )
    field_b = idx.field(T(A, "Holder"), "B")
    assert field_b == (T(A, "Box", STRING), (), (A, "Holder"))
    assert idx.field(field_b[0], "Val") == (STRING, (), (A, "Box"))
    put = idx.funcs[f"{A}.(*Box).Put"]
    assert (put.recv, put.type_params, put.params) == ((A, "Box"), ("T",), (("tp", "T"),))
    fmap = idx.funcs[f"{A}.Map"]
    assert (fmap.params, fmap.results) == ((("m", ("tp", "K"), ("tp", "V")),), (("s", ("tp", "V")),))
    assert substitute(
        ("f", (("tp", "K"),), (("c", ("tp", "V"), "recv"),), False), {"K": INT, "V": STRING}
    ) == (
        "f",
        (INT,),
        (("c", STRING, "recv"),),
        False,
    )


def test_unqualified_names_resolve_to_own_package_builtins_type_params_and_dot_imports():
    idx = index_of(
        {
            "a/a.go": (
                A,
                """
                package a

                import . "example.com/m/b"

                type Local struct{}

                type S struct {
                    L  Local
                    R  Remote
                    E  error
                    U  Unknown
                    Sh Shadowed
                }
                """,
            ),
            "a/shadow.go": (A, "package a\n\ntype Shadowed int\n"),
            "b/b.go": (B, "package b\n\ntype Remote struct{}\ntype Shadowed struct{}\n"),
        }
    )
    assert idx.files["a/a.go"] == FileCtx("a/a.go", A, {}, (B,))
    assert idx.struct_fields((A, "S")) == (
        ("L", T(A, "Local"), False),
        ("R", T(B, "Remote"), False),  # through the dot import
        ("E", ERROR, False),
        ("U", T(A, "Unknown"), False),  # unknown names stay in their own package
        ("Sh", T(A, "Shadowed"), False),  # the package's own declaration wins over the dot import
    )


def test_imports_aliased_unaliased_and_guessed_package_names():
    idx = index_of(
        {
            "a/a.go": (
                A,
                """
                package a

                import (
                    corev1 "k8s.io/api/core/v1"
                    "k8s.io/klog/v2"
                    "k8s.io/client-go/tools/cache"
                    "gopkg.in/yaml.v2"
                    "example.com/m/api/install2"
                    _ "embed"
                    "example.com/m/b"
                )

                var P corev1.Pod
                var L klog.Logger
                var S cache.Store
                var Y yaml.Node
                var I coreinstall.Thing
                var R b.Remote
                """,
            ),
            # the declared package name differs from the directory: the index knows it
            "api/install2/i.go": (f"{M}/api/install2", "package coreinstall\n\ntype Thing struct{}\n"),
            "b/b.go": (B, B_SRC),
        }
    )
    ctx = idx.files["a/a.go"]
    assert ctx.imports == {
        "corev1": "k8s.io/api/core/v1",
        "klog": "k8s.io/klog/v2",
        "cache": "k8s.io/client-go/tools/cache",
        "yaml": "gopkg.in/yaml.v2",
        "yaml.v2": "gopkg.in/yaml.v2",
        "coreinstall": f"{M}/api/install2",
        "b": B,
    }
    assert ctx.dot_imports == ()
    types = {name: idx.values[(A, name)].type for name in "PLSYIR"}
    assert types == {
        "P": T("k8s.io/api/core/v1", "Pod"),
        "L": T("k8s.io/klog/v2", "Logger"),
        "S": T("k8s.io/client-go/tools/cache", "Store"),
        "Y": T("gopkg.in/yaml.v2", "Node"),
        "I": T(f"{M}/api/install2", "Thing"),
        "R": T(B, "Remote"),
    }
    assert idx.package_names[f"{M}/api/install2"] == "coreinstall"


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("k8s.io/klog/v2", ("klog",)),
        ("k8s.io/client-go/tools/cache", ("cache",)),
        ("gopkg.in/yaml.v2", ("yaml", "yaml.v2")),
        ("github.com/evanphx/json-patch", ("json-patch", "jsonpatch")),
        ("github.com/go-logr/logr", ("logr",)),
        ("github.com/google/go-cmp", ("cmp", "go-cmp", "gocmp")),
        ("github.com/fsnotify/fsnotify", ("fsnotify",)),
    ],
)
def test_guess_package_names(path, names):
    assert guess_package_names(path) == names


def test_package_level_values_literal_types_strings_and_composite_fields():
    idx = index_of(
        {
            "a/a.go": (
                A,
                """
                package a

                import "k8s.io/apimachinery/pkg/runtime/schema"

                const Name = "kube"
                const Typed int64 = 5
                var GVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
                var Ptr = &Config{Host: "h", Port: 1}
                var x, y = f()
                """,
            )
        }
    )
    name = idx.values[(A, "Name")]
    assert (name.type, name.string, name.const, name.line) == (STRING, "kube", True, 5)
    typed = idx.values[(A, "Typed")]
    assert (typed.type, typed.string, typed.const) == (("n", "", "int64", ()), None, True)
    gvr = idx.values[(A, "GVR")]
    gvr_type = T("k8s.io/apimachinery/pkg/runtime/schema", "GroupVersionResource")
    assert (gvr.type, gvr.init, gvr.fields) == (
        gvr_type,
        gvr_type,
        {"Group": "apps", "Version": "v1", "Resource": "deployments"},
    )
    ptr = idx.values[(A, "Ptr")]
    assert (ptr.type, ptr.init, ptr.fields) == (("p", T(A, "Config")), ("p", T(A, "Config")), {"Host": "h"})
    assert (idx.values[(A, "x")].type, idx.values[(A, "y")].type) == (None, None)


def test_func_literals_are_indexed_with_parent_and_generic_params():
    idx = index_of(
        {
            "a/a.go": (
                A,
                """
                package a

                var Hook = func(s string) {}

                func Run[T any](xs []T) {
                    f := func(x T) { g := func() {}; g() }
                    f(xs[0])
                }
                """,
            )
        }
    )
    hook = idx.funcs[f"{A}.glob.func1"]
    assert (hook.literal, hook.parent, hook.params) == (True, None, (STRING,))
    f1 = idx.funcs[f"{A}.Run.func1"]
    assert (f1.literal, f1.parent, f1.params, f1.type_params) == (True, f"{A}.Run", (("tp", "T"),), ("T",))
    assert idx.funcs[f"{A}.Run.func1.1"].parent == f"{A}.Run.func1"
    assert idx.funcs[f"{A}.Run"].literal is False
    assert idx.stats() == {
        "packages": 1,
        "indexed_files": 1,
        "types": 0,
        "functions": 1,
        "func_literals": 3,
        "values": 1,
    }


def test_build_constraints_linux_declarations_win_over_other_platforms():
    """Every file is indexed; where a windows/darwin/ignored file declares the same name as a file
    that builds on linux, the linux declaration is the one in the index and the other is kept as an
    alternate. The other-platform files are named to sort first: path order must not decide."""
    idx = index_of(
        {
            "a/0_windows.go": (A, "package a\n\ntype Handle uintptr\n\nfunc Open() Handle { return 0 }\n"),
            "a/0_windows_amd64.go": (A, 'package a\n\nfunc Arch() string { return "w" }\n'),
            "a/0ignore.go": (A, "//go:build ignore\n\npackage a\n\nfunc Open(x int) {}\n\nvar Mode = 1\n"),
            "a/0darwin.go": (A, '//go:build darwin\n\npackage a\n\nfunc Arch() string { return "d" }\n'),
            "a/gen.go": (A, "//go:build ignore\n\npackage main\n\nfunc main() {}\n"),
            "a/z_linux.go": (
                A,
                "package a\n\ntype Handle int\n\nfunc Open() Handle { return 0 }\n\nfunc Arch() string "
                '{ return "l" }\n\nvar Mode = "m"\n',
            ),
        }
    )
    assert idx.primary_files == {"a/z_linux.go"}
    assert idx.package_names[A] == "a"
    assert idx.types[(A, "Handle")].file == "a/z_linux.go"
    assert idx.types[(A, "Handle")].type == INT
    assert (idx.funcs[f"{A}.Open"].file, idx.funcs[f"{A}.Open"].params) == ("a/z_linux.go", ())
    assert idx.funcs[f"{A}.Arch"].file == "a/z_linux.go"
    assert (idx.values[(A, "Mode")].file, idx.values[(A, "Mode")].string) == ("a/z_linux.go", "m")
    assert sorted((f.qname, f.file) for f in idx.alternates) == [
        (f"{A}.Arch", "a/0_windows_amd64.go"),
        (f"{A}.Arch", "a/0darwin.go"),
        (f"{A}.Open", "a/0_windows.go"),
        (f"{A}.Open", "a/0ignore.go"),
    ]
    # the stray `package main` generator is not part of package a
    assert "main" not in [f.name for f in idx.funcs.values()]
    assert sorted(idx.packages[A].files) == [
        "a/0_windows.go",
        "a/0_windows_amd64.go",
        "a/0darwin.go",
        "a/0ignore.go",
        "a/z_linux.go",
    ]


def test_declarations_only_in_other_platform_files_are_still_indexed():
    idx = index_of(
        {
            "a/a.go": (A, "package a\n\nfunc Common() {}\n"),
            "a/a_windows.go": (A, "package a\n\nfunc OnlyWindows() {}\n"),
        }
    )
    assert sorted(idx.funcs) == [f"{A}.Common", f"{A}.OnlyWindows"]
    assert idx.alternates == []
    assert idx.primary_files == {"a/a.go"}


def test_not_linux_build_constraint_loses_to_the_linux_file():
    idx = index_of(
        {
            "a/cm_linux.go": (A, "package a\n\nfunc New() int { return 1 }\n"),
            "a/cm.go": (A, "//go:build !linux\n\npackage a\n\nfunc New() int { return 0 }\n"),
        }
    )
    assert idx.funcs[f"{A}.New"].file == "a/cm_linux.go"


def test_stray_package_main_next_to_the_real_package_is_not_indexed():
    idx = index_of(
        {
            "a/a.go": (A, "package a\n\ntype T struct{}\n"),
            "a/b.go": (A, "package a\n\nfunc F() {}\n"),
            "a/gen.go": (A, "package main\n\nfunc main() {}\n"),
        }
    )
    assert idx.packages[A].name == "a"
    assert sorted(idx.funcs) == [f"{A}.F"]
    assert "a/gen.go" not in idx.files
