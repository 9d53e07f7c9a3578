"""The `kubetorch` command line.

Errors a user can cause (a missing tree, an unwritable --out, a bad scheduler address) end in one
line on stderr and exit status 1; a run that analysed everything except some bad files exits 3
after saying which. Tracebacks are only shown with --debug.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from kubetorch import __version__

if TYPE_CHECKING:
    from pipeline.output import Guard

EXIT_ERROR = 1
EXIT_PARTIAL = 3

# True when kubetorch is the program (the console script, `python -m kubetorch`), not a library
# inside another Python program such as a test runner: only then may a signal end the process
# from its handler (see pipeline/interrupt.py)
_AS_PROGRAM = [False]

# what an interrupted command leaves in place, said in its one line (others only say they stopped)
KEPT_ON_INTERRUPT = {
    "analyze": "; previous output left untouched, finished work kept in the cache for the next run",
}


class UserError(click.ClickException):
    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:  # one line, no usage dump
        click.echo(f"kubetorch: error: {self.format_message()}", err=True)


# commands whose errors exit with another status than EXIT_ERROR (diff follows diff(1): 2)
ERROR_STATUS = {"diff": 2}


class OneLineUsageError(click.UsageError):
    """A usage error as one line with where to read more, instead of click's usage dump."""

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.format_message(), error.ctx)
        name = error.ctx.info_name if error.ctx is not None else ""
        self.exit_code = ERROR_STATUS.get(name or "", EXIT_ERROR)
        self.command_path = error.ctx.command_path if error.ctx is not None else "kubetorch"

    def show(self, file=None) -> None:
        click.echo(f"kubetorch: error: {self.format_message()} (see '{self.command_path} --help')", err=True)


class Commands(click.Group):
    """The kubetorch group: usage errors in any command or sub-group are one line, exit 1."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as e:
            raise OneLineUsageError(e) from e

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.NoArgsIsHelpError, OneLineUsageError):
            raise
        except click.UsageError as e:
            raise OneLineUsageError(e) from e


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the pipeline's known failures into one-line errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from cache.store import CacheError
        from pipeline.discover import DiscoverError
        from pipeline.execute import SchedulerError
        from pipeline.interrupt import Interrupted, say_once, signals_handled
        from pipeline.interrupt import message as interrupt_message
        from pipeline.output import OutputError

        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        kept = KEPT_ON_INTERRUPT.get(ctx.info_name or "", "")
        try:
            with signals_handled(kept, leave_at_once=_AS_PROGRAM[0]):
                return fn(*args, **kwargs)
        except (DiscoverError, OutputError, CacheError, SchedulerError) as e:
            raise UserError(str(e)) from e
        except click.ClickException:
            raise
        except Interrupted as e:
            say_once(interrupt_message(e.signum))
            sys.exit(e.exit_code)
        except KeyboardInterrupt:  # before the handlers were in place
            say_once(interrupt_message(signal.SIGINT))
            sys.exit(128 + signal.SIGINT)
        except BrokenPipeError:
            # `kubetorch chains OUT | head`: the reader left; that is not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as e:
            if debug:
                raise
            raise UserError(f"{e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}") from e
        except Exception as e:
            if debug:
                raise
            if (
                type(e).__module__.startswith(("distributed", "tornado", "asyncio"))
                or "connect" in str(e).lower()
            ):
                raise UserError(f"cannot use the Dask scheduler: {e}") from e
            raise UserError(
                f"internal error: {type(e).__name__}: {e} (rerun with --debug for the traceback)"
            ) from e

    return wrapper


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kubetorch")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def main(debug: bool) -> None:
    """kubetorch: which informer event, through which handler and shared state, reaches which API write."""


def _split_dirs(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(d.strip().strip("/") for d in value.split(",") if d.strip())


@main.command()
@click.argument("tree", type=click.Path(file_okay=True, dir_okay=True, path_type=str))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=str),
    default="out/kubetorch",
    show_default=True,
    help="Output folder of Parquet tables.",
)
@click.option(
    "--release", default="", help="Label for this run (v1.28, a commit); stored in every chain row."
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1), default=None, help="Local worker processes (default: all cores)."
)
@click.option(
    "--scheduler", default=None, metavar="tcp://HOST:PORT", help="Use an existing dask.distributed scheduler."
)
@click.option(
    "--cache",
    "cache_dir",
    default=None,
    type=click.Path(path_type=str),
    help="Cache folder (default: the user cache dir).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option(
    "--dirs",
    default=None,
    help="Comma-separated sub-folders to analyse (default: pkg,cmd,plugin,staging on a Kubernetes tree, else all).",
)
@click.option("--include-vendor", is_flag=True, help="Also analyse vendor/.")
@click.option("--include-testdata", is_flag=True, help="Also analyse testdata/.")
@click.option("--include-tests", is_flag=True, help="Also analyse _test.go files.")
@click.option(
    "--include-generated",
    is_flag=True,
    help="Also analyse generated files (// Code generated ... DO NOT EDIT.).",
)
@click.option(
    "--history",
    "history_dir",
    default=None,
    type=click.Path(path_type=str),
    help="Also add the run to this history folder as release=LABEL/ (needs --release).",
)
@click.option(
    "--max-file-size",
    default=None,
    metavar="SIZE",
    help="Report and skip larger files without reading them (10MB, 512k, 2MiB, bytes)  [default: 10MB]",
)
@click.option(
    "--rbac",
    "rbac_files",
    multiple=True,
    type=click.Path(path_type=str),
    metavar="FILE",
    help="RBAC YAML (ClusterRole, Role, bindings) to hold the writes against, besides the tree's bootstrap policy; "
    "repeatable; replaces the config file's `rbac`.",
)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(path_type=str),
    help="Options file (default: TREE/kubetorch.toml when there is one): dirs, include, max_file_size, models, rbac.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (no progress, no summary).")
@friendly_errors
def analyze(
    tree: str,
    out: str,
    release: str,
    jobs: int | None,
    scheduler: str | None,
    cache_dir: str | None,
    no_cache: bool,
    dirs: str | None,
    include_vendor: bool,
    include_testdata: bool,
    include_tests: bool,
    include_generated: bool,
    history_dir: str | None,
    max_file_size: str | None,
    rbac_files: tuple[str, ...],
    config_file: str | None,
    quiet: bool,
) -> None:
    """Analyse the Go tree TREE and write its tables to --out.

    Options may also come from a config file (--config FILE, or TREE/kubetorch.toml): see README,
    "Config file". The command line wins over the file.
    """
    from pipeline import config as file_config
    from pipeline.discover import parse_size
    from pipeline.rbac import RBACError, check_rbac_files

    try:
        found = file_config.load(file_config.find(tree, config_file))
    except file_config.ConfigError as e:
        raise UserError(str(e)) from e
    size_text = max_file_size if max_file_size is not None else found.max_file_size
    try:
        size_limit = parse_size(str(size_text if size_text is not None else "10MB"))
    except ValueError as e:
        where = "--max-file-size" if max_file_size is not None else f"{found.path}: max_file_size"
        raise UserError(f"{where}: {e}") from e
    rbac = tuple(rbac_files) or found.rbac  # the command line wins over the file
    try:
        check_rbac_files(rbac)
    except RBACError as e:
        raise UserError(f"{'--rbac' if rbac_files else f'{found.path}: rbac'}: {e}") from e
    out_guards, history_guards = _check_outputs(tree, out, history_dir, release, cache_dir, no_cache)
    if scheduler:
        from pipeline.execute import check_scheduler

        check_scheduler(scheduler)
    from pipeline.discover import Options
    from pipeline.output import write_tables
    from pipeline.run import RunConfig
    from pipeline.run import analyze as run_analyze

    config = RunConfig(
        tree=tree,
        release=release,
        jobs=jobs,
        scheduler=scheduler,
        cache_dir=cache_dir,
        use_cache=not no_cache,
        discover=Options(
            include_vendor or "vendor" in found.include,
            include_testdata or "testdata" in found.include,
            include_tests or "tests" in found.include,
            include_generated or "generated" in found.include,
            _split_dirs(dirs) or found.dirs,
            max_file_size=size_limit,
        ),
        quiet=quiet,
        config_file=found.path,
        models=found.models,
        rbac_files=rbac,
    )
    result = run_analyze(config)
    for line in result.warnings:
        click.echo(f"kubetorch: warning: {line}", err=True)
    from pipeline.progress import StageLog

    log, started = StageLog(quiet), time.perf_counter()
    write_tables(out, result.tables, result.manifest, out_guards)
    log("write", time.perf_counter() - started, out)
    if history_dir is not None:
        from pipeline.history import add_run

        started = time.perf_counter()
        partition = add_run(history_dir, out, release, history_guards)
        log("history", time.perf_counter() - started, partition)
    for p in result.problems:
        click.echo(f"kubetorch: {p.path}: {p.message}", err=True)
    if not quiet:
        from pipeline.summary import print_summary

        print_summary(result, out)
    if result.partial:
        click.echo(
            f"kubetorch: partial: {len({p.path for p in result.problems})} file(s) could not be fully analysed",
            err=True,
        )
        sys.exit(EXIT_PARTIAL)


def _check_outputs(
    tree: str, out: str, history_dir: str | None, release: str, cache_dir: str | None, no_cache: bool
) -> tuple[tuple[Guard, ...], tuple[Guard, ...]]:
    """Before any work: --out (and the --history partition) must be folders kubetorch may
    replace, and --out, --history and --cache writable; then the leftovers of killed runs go.
    Returns the guards of --out and of the partition, for the checks again at write time."""
    from cache.store import default_cache_dir
    from pipeline import output

    cache = cache_dir or default_cache_dir()
    out_guards = output.guards(tree=tree, cache=cache, history=history_dir)
    history_guards = output.guards(tree=tree, cache=cache)
    output.claim_output_dir(out, out_guards)
    partition = None
    if history_dir is not None:
        from pipeline.history import check_label, claim_partition

        if not release:
            raise UserError("--history needs --release LABEL (the partition the run goes to)")
        check_label(release)
        partition = claim_partition(history_dir, release, history_guards)
    output.probe_writable(out)
    if history_dir is not None:
        output.probe_writable(history_dir, inside=True, what="history folder ")
    if not no_cache:
        output.probe_writable(cache, inside=True, what="cache folder ")
    output.recover(out)
    if partition is not None and os.path.isdir(os.path.dirname(partition)):
        output.recover(partition)
    return out_guards, history_guards


@main.group()
def cache() -> None:
    """Inspect or empty the result cache."""


@cache.command("info")
@click.option("--cache", "cache_dir", default=None, type=click.Path(path_type=str))
@friendly_errors
def cache_info(cache_dir: str | None) -> None:
    """Where the cache is and what it holds (reads only: creates and repairs nothing)."""
    from cache import cache_info

    info = cache_info(cache_dir)
    click.echo(f"directory: {info['directory']}")
    if info["damaged"] is not None:
        click.echo(
            f"entries:   unknown: the database is damaged ({info['damaged']}); the next run rebuilds it"
        )
    else:
        click.echo(f"entries:   {info['entries']}")
    click.echo(f"size:      {info['bytes'] / 1e6:.1f} MB")
    for stage, n in sorted(info["stages"].items()):
        click.echo(f"  {stage}: {n}")
    for name, size in info["set_aside"]:
        click.echo(f"set aside: {name} ({size / 1e6:.1f} MB, a damaged database; `cache clear` removes it)")


@cache.command("clear")
@click.option("--cache", "cache_dir", default=None, type=click.Path(path_type=str))
@friendly_errors
def cache_clear(cache_dir: str | None) -> None:
    """Remove every cached result (also from a damaged cache; never from a folder that is not one)."""
    from cache import clear_cache, default_cache_dir

    directory = os.path.abspath(cache_dir or default_cache_dir())
    n = clear_cache(directory)
    if n is None:
        click.echo(f"removed the damaged cache database and all entries from {directory}")
    else:
        click.echo(f"removed {n} entries from {directory}")


def _register_optional_commands() -> None:
    """Commands that live in their own modules (so the CLI stays a table of contents)."""
    from pipeline import commands

    for command in commands.ALL:
        main.add_command(command)


_register_optional_commands()


def run() -> None:
    """The `kubetorch` program: the console script and `python -m kubetorch` start here.

    It ends with os._exit once the command is done: everything is written and flushed by then,
    and letting the interpreter free a run's millions of objects one by one only makes the user
    wait (seconds on a Kubernetes tree)."""
    _AS_PROGRAM[0] = True
    try:
        main(prog_name="kubetorch")
        code = 0
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            click.echo(e.code, err=True)
            code = EXIT_ERROR
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
