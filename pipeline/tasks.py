"""Functions that run on workers. Each takes (task, shared) and returns plain data.

They wrap the pure analyses of `kubetorch` with the process-level policy the analyses should not
know about: the garbage collector is paused (the facts are millions of small acyclic tuples, and
collecting them costs a third of the run), and whatever goes wrong with one file or package
becomes that unit's error instead of the whole batch's. What they return is safe to pickle (to
send it back and to cache it) by construction: plain tuples, strings and small dataclasses, nested
at most about 5 x kubetorch.extract.MAX_DEPTH deep, well inside the recursion limit of pickle.
(Checking by pickling each result here would cost 6 to 12% of the stage.)
"""

from __future__ import annotations

import gc
import os
import time
from contextlib import contextmanager

from kubetorch.digest import api_digest
from kubetorch.extract import SyntaxFailure, TooComplex, extract


def _test_delay() -> None:
    """KUBETORCH_TEST_TASK_DELAY=SECONDS slows every task down, so a test can interrupt a run
    while it is surely in the middle of its work (never set outside tests)."""
    delay = os.environ.get("KUBETORCH_TEST_TASK_DELAY")
    if delay:
        time.sleep(float(delay))


@contextmanager
def gc_paused():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def extract_batch(
    batch: list[tuple[str, str, bytes]], shared=None
) -> list[tuple[str, str, object, str, str]]:
    """[(path, sha, data)] -> [(path, sha, facts or None, api digest, error)]."""
    _test_delay()
    out = []
    with gc_paused():
        for path, sha, data in batch:
            try:
                facts = extract(data)
                out.append((path, sha, facts, api_digest(facts), ""))
            except SyntaxFailure as e:
                out.append((path, sha, None, "", f"not a Go file: {e}"))
            except TooComplex as e:
                out.append((path, sha, None, "", f"too complex: {e}"))
            except RecursionError:
                out.append((path, sha, None, "", "nesting too deep to analyse"))
            except Exception as e:  # noqa: BLE001 - one bad file must not stop the others
                out.append((path, sha, None, "", f"extract failed: {type(e).__name__}: {e}"))
    return out


def summarize_batch(batch: list[tuple[str, list]], shared=None) -> list[tuple[str, object]]:
    """[(package, [(path, facts)])] -> [(package, PackageSummary)]; shared is (index, models path)."""
    from kubetorch.models import load_models
    from kubetorch.summarize import summarize_package
    from kubetorch.summary import PackageSummary

    index, models_path = shared
    models = load_models(models_path)
    out = []
    with gc_paused():
        for pkg, files in batch:
            try:
                summary = summarize_package(pkg, files, index, models)
            except Exception as e:  # noqa: BLE001 - one bad package must not stop the others
                where = files[0][0] if files else pkg
                summary = PackageSummary(pkg, errors=[f"{where}: summarize failed: {type(e).__name__}: {e}"])
            out.append((pkg, summary))
    return out
