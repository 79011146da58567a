"""One step of the full demo: a label for its progress bar and the work it does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retain.settings import Settings


@dataclass(frozen=True)
class DemoContext:
    """What every step may read: the settings in force and the generated business."""

    settings: Settings
    demo_dir: Path
    seed: int


@dataclass(frozen=True)
class DemoStep:
    """``run`` does the step and returns one line saying what it made (shown in the summary)."""

    label: str
    run: Callable[[DemoContext], str]
