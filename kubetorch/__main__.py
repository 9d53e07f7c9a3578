"""`python -m kubetorch` runs the command-line interface, which belongs to pipeline/: it is found as
the `kubetorch` command pyproject.toml installs ([project.scripts]), so the analysis package names
no module of the pipeline."""

import os
import sys
from importlib.metadata import entry_points

# `python -m` puts the working directory first on sys.path; a folder there named like one of our
# top-level packages (a `cache/` of the user's, say) would shadow it.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.abspath(os.getcwd()) != here:
        sys.path.pop(0)
        # a folder there named `kubetorch` (a checkout of this repository, say) may already have
        # been taken for the package, as a namespace package without our __init__: forget it, so
        # that the command imports the real one
        for name in [m for m in sys.modules if m == "kubetorch" or m.startswith("kubetorch.")]:
            if name != "kubetorch.__main__" and getattr(sys.modules[name], "__file__", None) is None:
                del sys.modules[name]

if __name__ == "__main__":
    commands = list(entry_points(group="console_scripts", name="kubetorch"))
    if not commands:
        sys.exit("kubetorch: error: the kubetorch command is not installed (pip install -e .)")
    # an environment upgraded in place may still hold the old distribution's script: prefer ours
    ours = [c for c in commands if c.dist is not None and c.dist.name == "kubetorch-chains"]
    sys.exit((ours or commands)[0].load()())
