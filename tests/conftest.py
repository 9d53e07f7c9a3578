import os
import sys

# the helper modules of the test suite (fixturecheck, runfixtures) are imported by name
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
