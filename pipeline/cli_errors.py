"""One-line errors for the read-side commands without importing pipeline.cli at import time.

pipeline.cli imports pipeline.commands, which imports every command module; a command module
that imported pipeline.cli at the top would close that cycle. These helpers import it when a
command runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """pipeline.cli.friendly_errors, looked up when the command runs."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pipeline.cli import friendly_errors as wrap

        return wrap(fn)(*args, **kwargs)

    return wrapper


def fail(message: str) -> NoReturn:
    """Stop the command with `kubetorch: error: MESSAGE` on stderr."""
    from pipeline.cli import UserError

    raise UserError(message)
