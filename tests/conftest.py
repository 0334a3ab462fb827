"Tests of the whole suite, outside any one module (concurrency, audits)."
import os
import sys

# The helpers next to the tests are imported by the spawned workers too.
sys.path.insert(0, os.path.dirname(__file__))
