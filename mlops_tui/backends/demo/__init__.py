"""The built-in `demo` backend: a living, deterministic ML estate simulated in memory.

`DemoBackend` (backend.py) adapts a `DemoWorld` (world.py) to the async Backend contract.
The world joins one module per part: clock, runs, registry, deployments, drift, silences,
alerts and events; catalog.py holds the fixed cast, _rand.py the seeded randomness.
Nothing here does I/O, and nothing imports textual or rich.
"""

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.backends.demo.world import DemoWorld

__all__ = ["DemoBackend", "DemoWorld"]
