"""A fuzzer for the per-file work of a run: real-shaped Go, mutated and made pathological.

Each case is one file, built deterministically from (seed, case number): either a pathological
shape (10,000-deep nesting, 50,000 tiny declarations, a 1 MB line, huge literals, ...) or a Go
file of the repository's own fixtures (tests/go, demo/) with one to three mutations (truncation,
random bytes, invalid UTF-8, NUL bytes, a 1 MB line, deep nesting, many declarations spliced in,
...). `analyse` runs on it what a run does per file and per package: extraction, declarations,
api digest, index, summaries, and the pickling that carries every result to the cache and
between processes.

Cases run in worker processes, so a hang is seen (no answer within the limit: the worker is
killed and replaced) and counted rather than fatal, and so is a worker that dies. The figures:
cases, uncaught exceptions, worker deaths, hangs, cases over 10 s, the slowest case.

    python tests/fuzzgo.py --cases 10000          (make fuzz CASES=10000)
    python tests/fuzzgo.py --case 1234 --save DIR  (write one case's file, to make a fixture of it)
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import wait

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, REPO)

SLOW_SECONDS = 10.0  # a case slower than this is counted as slow
MB = 1 << 20

# ---------------------------------------------------------------- pathological shapes

HEAD = b"package p\n\n"


def _nest(open_: str, close: str, inner: str, n: int) -> str:
    return open_ * n + inner + close * n


def _deep(body: Callable[[int], str]) -> Callable[[int], bytes]:
    return lambda n: HEAD + body(n).encode() + b"\n"


def _many(line: Callable[[int], str], prefix: str = "", suffix: str = "") -> Callable[[int], bytes]:
    return lambda n: HEAD + (prefix + "".join(line(i) for i in range(n)) + suffix).encode()


GARBAGE = (
    b'(){}[]<-+*&^%$#@!~;:,.=|abcdefgXYZ0123 \t"`/',
    b"(){}[]<-+*&^%$#@!~;:,.abcdefgXYZ0123 \t\"'`",  # with rune quotes: 10 s a MB untamed
    b"({[<-*&,.:;a",
)


def _garbage_line(n: int, rng: random.Random | None = None, alphabet: bytes | None = None) -> bytes:
    """n bytes of Go-ish punctuation and names on one line: the worst case of error recovery."""
    rng = rng or random.Random(n)
    alphabet = alphabet or rng.choice(GARBAGE)
    return bytes(rng.choice(alphabet) for _ in range(n))


# nesting shapes take a depth, the others a count
DEEP_SHAPES: dict[str, Callable[[int], bytes]] = {
    "parens": _deep(lambda n: "var x = " + _nest("(", ")", "1", n)),
    "blocks": _deep(lambda n: "func f() {" + _nest("{", "}", "", n) + "}"),
    "ifs": _deep(lambda n: "func f(x bool) {" + _nest("if x {", "}", "g()", n) + "}"),
    "else_ifs": _deep(lambda n: "func f(x int) {\n" + "if x == 0 {\n} else " * n + "{\n}\n}"),
    "fors": _deep(lambda n: "func f() {" + _nest("for {", "}", "", n) + "}"),
    "labels": _deep(lambda n: "func f() {\n" + "".join(f"L{i}:\n" for i in range(n)) + "g()\n}"),
    "switches": _deep(lambda n: "func f(x int) {" + _nest("switch x { case 1: ", "}", "", n) + "}"),
    "struct_types": _deep(lambda n: "type T " + _nest("struct { a ", " }", "int", n)),
    "interface_types": _deep(lambda n: "type I " + _nest("interface { M() ", " }", "int", n)),
    "func_types": _deep(lambda n: "type F " + _nest("func(", ")", "int", n)),
    "pointer_types": _deep(lambda n: "var x " + "*" * n + "int"),
    "slice_types": _deep(lambda n: "var x " + "[]" * n + "int"),
    "map_types": _deep(lambda n: "var x " + "map[string]" * n + "int"),
    "chan_types": _deep(lambda n: "var x " + "chan " * n + "int"),
    "generic_types": _deep(lambda n: "var x " + _nest("A[", "]", "int", n)),
    "paren_types": _deep(lambda n: "var x " + _nest("(", ")", "int", n)),
    "composites": _deep(lambda n: "var x = " + _nest("[]any{", "}", "1", n)),
    "keyed_composites": _deep(lambda n: "var x = " + _nest("T{a: ", "}", "1", n)),
    "calls": _deep(lambda n: "var x = " + _nest("f(", ")", "1", n)),
    "call_chain": _deep(lambda n: "var x = a" + ".b()" * n),
    "selectors": _deep(lambda n: "var x = a" + ".b" * n),
    "indexes": _deep(lambda n: "var x = " + _nest("a[", "]", "0", n)),
    "unary": _deep(lambda n: "var x = " + "!" * n + "a"),
    "derefs": _deep(lambda n: "func f() { " + "*" * n + "p = 1 }"),
    "binary_chain": _deep(lambda n: "var x = 1" + " + 1" * n),
    "string_concat": _deep(lambda n: 'var x = "a"' + ' + "a"' * n),
    "func_literals": _deep(lambda n: "var x = " + _nest("func() { _ = ", " }", "1", n)),
    "closures": _deep(lambda n: "func f() {" + _nest("go func() {", "}()", "", n) + "}"),
    "assertions": _deep(lambda n: "var x = a" + ".(T)" * n),
    "build_tag": lambda n: b"//go:build " + _nest("(", ")", "linux", n).encode() + b"\n\n" + HEAD,
    "build_tag_not": lambda n: b"//go:build " + b"!" * n + b"linux\n\n" + HEAD,
}

COUNT_SHAPES: dict[str, Callable[[int], bytes]] = {
    "var_funcs": _many(lambda i: f"var v{i} = func() {{}}\n"),
    "funcs": _many(lambda i: f"func f{i}() {{}}\n"),
    "methods": _many(lambda i: f"func (t *T) M{i}() {{}}\n", prefix="type T struct{}\n"),
    "types": _many(lambda i: f"type T{i} struct{{ a int }}\n"),
    "consts": _many(lambda i: f"\tC{i}\n", prefix="const (\n\tC = iota\n", suffix=")\n"),
    "vars": _many(lambda i: f"var v{i} = {i}\n"),
    "fields": _many(lambda i: f"\tf{i} int\n", prefix="type T struct {\n", suffix="}\n"),
    "iface_methods": _many(lambda i: f"\tM{i}()\n", prefix="type I interface {\n", suffix="}\n"),
    "statements": _many(lambda i: "\tx = f(x)\n", prefix="func f(x int) int {\n", suffix="\treturn x\n}\n"),
    "locals": _many(lambda i: f"\tx{i} := g()\n", prefix="func f() {\n", suffix="}\n"),
    "field_writes": _many(
        lambda i: f"\tc.f{i % 50} = c.g(x{i % 7})\n", prefix="func (c *C) f() {\n", suffix="}\n"
    ),
    "inner_literals": _many(lambda i: "\t_ = func() { g() }\n", prefix="func f() {\n", suffix="}\n"),
    "cases": _many(
        lambda i: f"\tcase {i}:\n\t\tg()\n", prefix="func f(x int) {\n\tswitch x {\n", suffix="\t}\n}\n"
    ),
    "params": lambda n: HEAD + ("func f(" + ", ".join(f"p{i} int" for i in range(n)) + ") {}\n").encode(),
    "args": lambda n: HEAD + ("var x = f(" + ", ".join(str(i) for i in range(n)) + ")\n").encode(),
    "bytes": lambda n: (
        HEAD + ("var b = []byte{" + ", ".join(f"0x{i % 256:02x}" for i in range(n)) + "}\n").encode()
    ),
    "imports": _many(lambda i: f'import p{i} "example.com/p{i}"\n'),
    "literal_factories": _many(lambda i: f"func f{i}() func() {{ return func() {{ g() }} }}\n"),
    "global_returns": _many(lambda i: f"func f{i}() func() {{ return G }}\n", prefix="var G = func() {}\n"),
    "captured_param_calls": _many(
        lambda i: "\t_ = func() { f() }\n", prefix="func F(f func()) {\n", suffix="}\n"
    ),
    "returned_literals": _many(
        lambda i: f"\tif x == {i} {{\n\t\treturn func() {{ g() }}\n\t}}\n",
        prefix="func F(x int) func() {\n",
        suffix="\treturn nil\n}\n",
    ),
    "returned_funcs": _many(
        lambda i: f"\tcase {i}:\n\t\treturn g\n",
        prefix="func F(x int) func() {\n\tswitch x {\n",
        suffix="\t}\n\treturn nil\n}\n",
    ),
    "embedding_chain": _many(
        lambda i: f"type T{i + 1} struct{{ T{i} }}\n",
        prefix="type T0 struct{}\n\nfunc (T0) M() {}\n",
        suffix="func use(t T50000) { t.M() }\n",
    ),
    "interface_chain": _many(
        lambda i: f"type I{i + 1} interface{{ I{i} }}\n",
        prefix="type I0 interface{ M() }\n",
        suffix="func use(i I50000) { i.M() }\n",
    ),
    "alias_chain": _many(
        lambda i: f"type A{i + 1} = A{i}\n",
        prefix="type A0 struct{ f int }\n",
        suffix="func use(a A50000) int { return a.f }\n",
    ),
    "reassigned_func_var": lambda n: (
        HEAD
        + "".join(f"func g{i}() {{}}\n" for i in range(n)).encode()
        + (
            "func F() {\n\tvar f func()\n" + "".join(f"\tf = g{i}\n\tf()\n" for i in range(n)) + "}\n"
        ).encode()
    ),
    "registrations": _many(
        lambda i: f"\tinformer.AddEventHandler(cache.ResourceEventHandlerFuncs{{AddFunc: c.add{i % 9}}})\n",
        prefix="func (c *C) run(informer I) {\n",
        suffix="}\n",
    ),
}

BULK_SHAPES: dict[str, Callable[[int], bytes]] = {
    "garbage_line": lambda n: HEAD + b"var a = " + _garbage_line(n, alphabet=GARBAGE[0]) + b"\n",
    "garbage_quotes": lambda n: HEAD + b"var a = " + _garbage_line(n, alphabet=GARBAGE[1]) + b"\n",
    "garbage_opening": lambda n: HEAD + b"var a = " + _garbage_line(n, alphabet=GARBAGE[2]) + b"\n",
    "string_literal": lambda n: HEAD + b'var s = "' + b"a" * n + b'"\n',
    "raw_string": lambda n: HEAD + b"var s = `" + b"a\n" * (n // 2) + b"`\n",
    "comment": lambda n: HEAD + b"// " + b"x" * n + b"\n",
    "identifier": lambda n: HEAD + b"var " + b"a" * n + b" = 1\n",
    "nul_bytes": lambda n: HEAD + b"\0" * n,
    "invalid_utf8": lambda n: HEAD + b'var s = "' + b"\xff\xfe" * (n // 2) + b'"\n',
    "no_package": lambda n: b"func f() {}\n" * (n // 12),
}

SHAPES: dict[str, Callable[[int], bytes]] = {**DEEP_SHAPES, **COUNT_SHAPES, **BULK_SHAPES}
DEPTHS = (50, 200, 400, 1_000, 10_000)
COUNTS = (1_000, 10_000, 50_000)
BULK_SIZES = (100_000, MB)

# ---------------------------------------------------------------- seed corpus and mutations


def seed_corpus() -> list[tuple[str, bytes]]:
    """The Go files of the repository's fixtures (real-shaped controllers, small enough to mutate)
    and the fuzzer's own regression fixtures."""
    out = []
    for top in ("tests/go", "tests/fuzz", "demo"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(REPO, top)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".go"):
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as f:
                        out.append((os.path.relpath(path, REPO), f.read()))
    return out


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _line_start(rng: random.Random, data: bytes) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(data) if c == 10]
    return rng.choice(starts)


def m_truncate(rng, data, corpus):
    return data[: _pos(rng, data)]


def m_random_bytes(rng, data, corpus):
    out = bytearray(data)
    for _ in range(rng.choice((1, 3, 20, 200))):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def m_insert_random(rng, data, corpus):
    p = _pos(rng, data)
    return data[:p] + rng.randbytes(rng.choice((1, 16, 1000))) + data[p:]


def m_invalid_utf8(rng, data, corpus):
    bad = rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80" * 7))
    p = _pos(rng, data)
    return data[:p] + bad + data[p:]


def m_nul(rng, data, corpus):
    p = _pos(rng, data)
    return data[:p] + b"\0" * rng.choice((1, 8, 4096)) + data[p:]


def m_long_line(rng, data, corpus):
    n = rng.choice((100_000, MB))
    kind = rng.randrange(4)
    if kind == 0:
        line = _garbage_line(n, rng)
    elif kind == 1:  # the file's own bytes, newlines removed, repeated
        flat = data.replace(b"\n", b" ") or b"x"
        line = (flat * (n // len(flat) + 1))[:n]
    elif kind == 2:
        line = b"var _ = " + b"a + " * (n // 4) + b"a"
    else:
        line = b'var _ = "' + b"x" * n + b'"'
    p = _line_start(rng, data)
    return data[:p] + line + b"\n" + data[p:]


def m_deep(rng, data, corpus):
    name = rng.choice(sorted(DEEP_SHAPES))
    shape = DEEP_SHAPES[name](rng.choice(DEPTHS))
    body = shape[len(HEAD) :] if shape.startswith(HEAD) else shape
    p = _line_start(rng, data)
    return data[:p] + body + b"\n" + data[p:]


def m_many(rng, data, corpus):
    name = rng.choice(sorted(COUNT_SHAPES))
    shape = COUNT_SHAPES[name](rng.choice((1_000, 10_000, 50_000)))
    return data + b"\n" + shape[len(HEAD) :]


def m_delete_span(rng, data, corpus):
    a = _pos(rng, data)
    return data[:a] + data[a + rng.choice((1, 10, 100, 1000)) :]


def m_duplicate_span(rng, data, corpus):
    a = _pos(rng, data)
    b = min(len(data), a + rng.choice((10, 100, 1000)))
    return data[:b] + data[a:b] * rng.choice((1, 2, 50)) + data[b:]


def m_splice(rng, data, corpus):
    _name, other = rng.choice(corpus)
    a = _pos(rng, other)
    chunk = other[a : a + rng.choice((20, 200, 2000))]
    p = _pos(rng, data)
    return data[:p] + chunk + data[p:]


def m_shuffle_lines(rng, data, corpus):
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


_TOKENS = (
    b"func",
    b"(",
    b")",
    b"{",
    b"}",
    b"[",
    b"]",
    b"*",
    b"~",
    b"<-",
    b"...",
    b":=",
    b"go",
    b"type",
    b"`",
)


def m_token(rng, data, corpus):
    out = data
    for _ in range(rng.choice((1, 5, 50))):
        p = _pos(rng, out)
        out = out[:p] + rng.choice(_TOKENS) + out[p:]
    return out


# (mutation, weight): the costly ones (1 MB lines, 50,000 declarations) are rarer
MUTATIONS: list[tuple[Callable, int]] = [
    (m_truncate, 10),
    (m_random_bytes, 10),
    (m_insert_random, 6),
    (m_invalid_utf8, 8),
    (m_nul, 6),
    (m_long_line, 2),
    (m_deep, 8),
    (m_many, 2),
    (m_delete_span, 8),
    (m_duplicate_span, 6),
    (m_splice, 8),
    (m_shuffle_lines, 6),
    (m_token, 10),
]


@dataclass(frozen=True)
class Case:
    label: str
    data: bytes


# a case is named by its number in a seeded run, or by (shape name, size)
Spec = int | tuple[str, int]


def make_case(spec: Spec, seed: int, corpus: list[tuple[str, bytes]]) -> Case:
    """The case `spec` of the run with `seed`: the same bytes every time."""
    if isinstance(spec, tuple):
        name, n = spec
        return Case(f"shape {name} {n}", SHAPES[name](n))
    rng = random.Random(f"{seed}:{spec}")
    roll = rng.random()
    if roll < 0.08:
        name = rng.choice(sorted(DEEP_SHAPES))
        n = rng.choice(DEPTHS)
        return Case(f"shape {name} {n}", DEEP_SHAPES[name](n))
    if roll < 0.12:
        name = rng.choice(sorted(COUNT_SHAPES))
        n = rng.choice(COUNTS)
        return Case(f"shape {name} {n}", COUNT_SHAPES[name](n))
    if roll < 0.13:
        name = rng.choice(sorted(BULK_SHAPES))
        n = rng.choice(BULK_SIZES)
        return Case(f"shape {name} {n}", BULK_SHAPES[name](n))
    path, data = rng.choice(corpus)
    fns = [m for m, _w in MUTATIONS]
    weights = [w for _m, w in MUTATIONS]
    names = []
    for fn in rng.choices(fns, weights, k=rng.choice((1, 1, 2, 3))):
        data = fn(rng, data, corpus)
        names.append(fn.__name__[2:])
    return Case(f"{path} {'+'.join(names)}", data)


def every_shape(deep: int = 10_000, count: int = 50_000, bulk: int = MB) -> list[Spec]:
    """Each pathological shape once, at the given sizes."""
    return (
        [(name, deep) for name in DEEP_SHAPES]
        + [(name, count) for name in COUNT_SHAPES]
        + [(name, bulk) for name in BULK_SHAPES]
    )


def ir_depth(x) -> int:
    """How deep tuples, lists and dataclasses nest in x (walked without recursion)."""
    best = 0
    stack = [(x, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (tuple, list)):
            best = max(best, d)
            stack.extend((c, d + 1) for c in v)
        elif hasattr(v, "__slots__") and not isinstance(v, (str, bytes, int, float, bool)):
            best = max(best, d)
            stack.extend((getattr(v, a, None), d + 1) for a in v.__slots__)
    return best


# ---------------------------------------------------------------- one case, as the pipeline does it


def analyse(path: str, data: bytes) -> list[str]:
    """What a run does with one file that is its package's only file; returns the problem lines
    the run would report. Raises whatever the pipeline would let escape."""
    from kubetorch.index import IndexedFile, build_index
    from kubetorch.models import MODELS_FILE
    from pipeline.discover import file_sha
    from pipeline.run import declarations_only
    from pipeline.tasks import extract_batch, summarize_batch

    [(_p, _sha, facts, _digest, error)] = extract_batch([(path, file_sha(data), data)])
    if facts is None:
        return [error]
    problems = [error] if error else []
    problems += [f"syntax errors at {e}" for e in facts.errors[:3]]
    # the facts travel pickled: worker -> main process -> cache, and back on the next run
    facts = pickle.loads(pickle.dumps(facts, pickle.HIGHEST_PROTOCOL))
    decls = pickle.loads(pickle.dumps(declarations_only(facts), pickle.HIGHEST_PROTOCOL))
    pkg = "example.com/fuzz/p"
    index = build_index([IndexedFile(path, pkg, os.path.dirname(path), decls)])
    pickle.dumps(index, pickle.HIGHEST_PROTOCOL)  # scattered to every worker
    [(_pkg, summary)] = summarize_batch([(pkg, [(path, facts)])], shared=(index, MODELS_FILE))
    pickle.loads(pickle.dumps(summary, pickle.HIGHEST_PROTOCOL))
    return problems + list(summary.errors)


# ---------------------------------------------------------------- workers


def _worker(conn, seed: int) -> None:
    corpus = seed_corpus()
    while True:
        number = conn.recv()
        if number is None:
            return
        case = make_case(number, seed, corpus)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            problems = analyse("p/case.go", case.data)
            outcome, detail = ("reported" if problems else "ok"), "; ".join(problems)[:300]
        except BaseException as e:  # noqa: BLE001 - the figure this fuzzer exists to count
            outcome = "exception"
            detail = f"{type(e).__name__}: {e}"[:300] + "\n" + "".join(traceback.format_exc(limit=-4))[-1500:]
        conn.send((number, outcome, time.perf_counter() - start, time.process_time() - cpu, detail))


@dataclass
class Result:
    number: Spec
    label: str
    outcome: str  # ok | reported | exception | died | hang
    seconds: float  # wall time
    cpu: float | None = None  # CPU time of the worker (None when it did not answer)
    detail: str = ""


@dataclass
class Figures:
    results: list[Result] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def slow(self) -> list[Result]:
        return [r for r in self.results if r.seconds > SLOW_SECONDS]

    @property
    def slow_cpu(self) -> list[Result]:
        return [r for r in self.results if r.cpu is None or r.cpu > SLOW_SECONDS]

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if r.outcome in ("exception", "died", "hang")]

    def summary(self) -> str:
        slowest = max(self.results, key=lambda r: r.seconds, default=None)
        lines = [
            f"cases: {len(self.results)}",
            f"ok: {self.count('ok')}, reported as problems: {self.count('reported')}",
            f"uncaught exceptions: {self.count('exception')}",
            f"worker deaths: {self.count('died')}",
            f"hangs: {self.count('hang')}",
            f"cases over {SLOW_SECONDS:.0f} s: {len(self.slow)} of wall time, {len(self.slow_cpu)} of CPU time",
        ]
        if slowest is not None:
            cpu = f", {slowest.cpu:.2f} s of CPU" if slowest.cpu is not None else ""
            lines.append(
                f"slowest case: {slowest.seconds:.2f} s{cpu} (case {slowest.number}: {slowest.label})"
            )
            top = max(self.results, key=lambda r: -1 if r.cpu is None else r.cpu)
            if top.cpu is not None and top is not slowest:
                lines.append(
                    f"most CPU: {top.cpu:.2f} s ({top.seconds:.2f} s wall, case {top.number}: {top.label})"
                )
        return "\n".join(lines)


def run(
    numbers: list[Spec], seed: int = 0, jobs: int = 2, timeout: float = 60.0, memory_gb: float = 3.0
) -> Iterator[Result]:
    """Run the cases in `jobs` worker processes; yield each result as it comes."""
    ctx = get_context("fork" if sys.platform == "linux" else "spawn")
    corpus = seed_corpus()
    todo = list(reversed(numbers))
    workers: dict = {}  # connection -> (process, case number or None, started)

    def start():
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_limited_worker, args=(child, seed, memory_gb), daemon=True)
        proc.start()
        child.close()
        workers[parent] = (proc, None, 0.0)
        return parent

    def feed(conn) -> None:
        proc, _n, _t = workers[conn]
        if todo:
            n = todo.pop()
            conn.send(n)
            workers[conn] = (proc, n, time.perf_counter())
        else:
            conn.send(None)
            proc.join(5)
            del workers[conn]

    def label(n: Spec) -> str:
        return make_case(n, seed, corpus).label

    for _ in range(max(1, min(jobs, len(numbers)))):
        feed(start())
    try:
        while workers:
            busy = {c: w for c, w in workers.items() if w[1] is not None}
            soonest = min(t for _p, _n, t in busy.values()) + timeout
            ready = wait(list(busy), timeout=max(0.0, soonest - time.perf_counter()))
            for conn in ready:
                proc, n, started = workers[conn]
                try:
                    number, outcome, seconds, cpu, detail = conn.recv()
                except (EOFError, OSError):
                    proc.join(5)
                    number, outcome, seconds, cpu = n, "died", time.perf_counter() - started, None
                    detail = f"worker exit code {proc.exitcode}"
                    del workers[conn]
                    conn = start()
                yield Result(number, label(number), outcome, seconds, cpu, detail)
                feed(conn)
            now = time.perf_counter()
            for conn, (proc, n, started) in list(workers.items()):
                if n is not None and conn not in ready and now - started > timeout:
                    proc.kill()
                    proc.join(5)
                    del workers[conn]
                    yield Result(
                        n, label(n), "hang", now - started, None, f"no answer within {timeout:.0f} s"
                    )
                    feed(start())
    finally:
        for proc, _n, _t in workers.values():
            proc.kill()
            proc.join(5)


def _limited_worker(conn, seed: int, memory_gb: float) -> None:
    """A worker whose address space is capped, so a case that eats memory fails alone."""
    import resource

    limit = int(memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _worker(conn, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a case counts as a hang")
    ap.add_argument("--case", type=int, action="append", help="run only this case (repeatable)")
    ap.add_argument("--shapes", action="store_true", help="run each pathological shape once, at full size")
    ap.add_argument("--save", metavar="DIR", help="write each failing or slow case's file to DIR")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every case")
    args = ap.parse_args(argv)
    numbers: list[Spec] = every_shape() if args.shapes else (args.case or list(range(args.cases)))
    figures = Figures()
    started = time.perf_counter()
    for r in run(numbers, args.seed, args.jobs, args.timeout):
        figures.results.append(r)
        bad = r.outcome in ("exception", "died", "hang") or r.seconds > SLOW_SECONDS
        if args.verbose or bad:
            cpu = f" ({r.cpu:.2f} s CPU)" if r.cpu is not None else ""
            print(f"case {r.number} [{r.label}] {r.outcome} {r.seconds:.2f} s{cpu} {r.detail}", flush=True)
        if args.save and (bad or args.case):
            os.makedirs(args.save, exist_ok=True)
            name = (
                f"case-{args.seed}-{r.number}" if isinstance(r.number, int) else "-".join(map(str, r.number))
            )
            with open(os.path.join(args.save, f"{name}.go"), "wb") as f:
                f.write(make_case(r.number, args.seed, seed_corpus()).data)
    print(figures.summary())
    print(f"wall time: {time.perf_counter() - started:.0f} s with {args.jobs} workers")
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
