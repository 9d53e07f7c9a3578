import os
import sys
import tempfile

# the helper modules of the test suite (fixturecheck, runfixtures) are imported by name
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# No test may read or write the user's cache, even one that forgets its own KUBETORCH_CACHE (or
# undoes it): the whole session points at a throw-away folder, inherited by every subprocess.
os.environ["KUBETORCH_CACHE"] = tempfile.mkdtemp(prefix="kubetorch-test-cache-")
