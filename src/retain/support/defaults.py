"""Support defaults that ``retain kb --help`` shows: plain constants, no heavy imports."""

from __future__ import annotations

# A visitor who read an article and opened no ticket within this many days was deflected by it.
DEFLECTION_DAYS = 7
