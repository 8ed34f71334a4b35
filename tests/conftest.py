"""Test-wide setup: the environment is fixed before any kiosk module is imported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="kiosk-tests-"))
os.environ.setdefault("KIOSK_SQLITE_PATH", str(_TMP / "kiosk.sqlite"))
os.environ.setdefault("KIOSK_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("KIOSK_DEMO", "1")
