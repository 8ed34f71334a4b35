"""The simulator's endpoint handlers, one module per Stripe resource.

Importing this package imports every module in it, so each ``@endpoint`` registers itself in
``kiosk.simulator.api.HANDLERS`` without a list to keep in step.
"""

from __future__ import annotations

import importlib
import pkgutil


def _import_all() -> list[str]:
    names = sorted(info.name for info in pkgutil.iter_modules(__path__))
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names


MODULES = _import_all()
