"""The demo's workflow data: what staff see on the Support, Assistant, Returns and Feedback
pages and in the loyalty programme, made through each domain's services.

Each step is deterministic for the demo's seed (see ``workflow_data``) and may run again: a
second run finds what the first made and adds nothing. They run in this order because the
assistant cites the help centre's articles and hands its hard questions to the support desk.
"""

from __future__ import annotations

from collections.abc import Callable

from retain.demo.steps import DemoContext, DemoStep
from retain.demo.workflow_assistant import prepare_assistant
from retain.demo.workflow_data import DemoData
from retain.demo.workflow_feedback import collect_feedback
from retain.demo.workflow_loyalty import run_loyalty_programme
from retain.demo.workflow_returns import open_returns
from retain.demo.workflow_support import load_help_centre, open_support_queue
from retain.settings import Settings

Work = Callable[[Settings, DemoData, int], str]


def _step(label: str, work: Work) -> DemoStep:
    def run(context: DemoContext) -> str:
        return work(context.settings, DemoData(context.demo_dir), context.seed)

    return DemoStep(label=label, run=run)


WORKFLOW_STEPS: list[DemoStep] = [
    _step("help centre", load_help_centre),
    _step("assistant", prepare_assistant),
    _step("support tickets", open_support_queue),
    _step("loyalty programme", run_loyalty_programme),
    _step("returns", open_returns),
    _step("surveys and reviews", collect_feedback),
]
