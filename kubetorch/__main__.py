"""`python -m kubetorch` runs the command-line interface."""

import os
import sys

# `python -m` puts the working directory first on sys.path; a folder there named like one of our
# top-level packages (a `cache/` of the user's, say) would shadow it.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.getcwd():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.abspath(os.getcwd()) != here:
        sys.path.pop(0)

from pipeline.cli import run

if __name__ == "__main__":
    run()
