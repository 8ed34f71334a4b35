"""The simulator's and the bench's processes keep what survived a full collection out of the next
ones (their stored objects only grow), and let the collector see everything again from time to time."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from kiosk.simulator import collector
collector.tune()
kept = [{"id": i, "metadata": {}} for i in range(1000)]
assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
assert gc.get_freeze_count() == 0
gc.collect()
frozen = gc.get_freeze_count()
assert frozen >= 2000, frozen  # the stored objects are left out of later passes
collector.tune()  # twice is once
assert sum(isinstance(c, collector._Freezer) for c in gc.callbacks) == 1
collector.THAW_SECONDS = 0.0
gc.collect()
assert gc.get_freeze_count() == 0  # thawed: the next full pass looks at everything
print("ok")
"""


def test_a_full_collection_leaves_the_survivors_out_of_the_next_ones_until_a_thaw() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
