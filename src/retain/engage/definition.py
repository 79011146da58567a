"""A playbook as its YAML says it: a trigger, steps, a goal, re-entry and a holdout.

The YAML is validated into these models before anything runs, so a typo is an error that names
the field (``steps.2.send.channel``), never a playbook that silently does less.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from retain.sandbox import load_yaml

Event = Literal[
    "first_order",
    "order_placed",
    "ticket_resolved",
    "nps_detractor",
    "subscription_churned",
    "negative_review",
]
NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class PlaybookError(ValueError):
    """A playbook definition that cannot run; the message names the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateTrigger(Strict):
    """``days`` before a date the customer has, today only the subscription's renewal."""

    field: Literal["renews_at"] = "renews_at"
    days: int = Field(ge=0, le=366)


class Recurring(Strict):
    """Everyone in ``segment`` (or every customer), once every ``every_days``."""

    segment: str | None = None
    every_days: int = Field(ge=1, le=366)


class Trigger(Strict):
    """Exactly one way a customer enters the playbook."""

    segment_entry: str | None = None
    segment_exit: str | None = None
    event: Event | None = None
    before_date: DateTrigger | None = None
    inactive_days: int | None = Field(default=None, ge=1, le=3650)
    recurring: Recurring | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        chosen = [name for name, value in self if value is not None]
        if len(chosen) != 1:
            raise ValueError(f"a trigger names exactly one kind, not {chosen or 'none'}")
        return self

    @property
    def kind(self) -> str:
        """The one trigger kind set."""
        return next(name for name, value in self if value is not None)


class Send(Strict):
    channel: str = Field(min_length=1, max_length=32)
    template: str = Field(min_length=1, max_length=128)


class Wait(Strict):
    days: float = Field(default=0, ge=0, le=366)
    hours: float = Field(default=0, ge=0, le=24 * 366)

    @property
    def seconds(self) -> float:
        return self.days * 86_400 + self.hours * 3_600


class Branch(Strict):
    """Go to ``then`` when the condition holds, else to ``otherwise`` (step ids, or exit/next)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    condition: str = Field(alias="if", min_length=1, max_length=2000)
    then: str = "next"
    otherwise: str = Field(default="next", alias="else")


class Task(Strict):
    owner: str = Field(min_length=1, max_length=128)
    title: str = Field(min_length=1, max_length=500)
    due_days: int = Field(default=3, ge=0, le=366)


class Points(Strict):
    amount: int = Field(ge=1, le=1_000_000)
    note: str = Field(default="playbook reward", max_length=500)


class Webhook(Strict):
    template: str = Field(min_length=1, max_length=128)


class Step(Strict):
    """One step: exactly one action, with an id other steps can branch to."""

    id: str | None = Field(default=None, pattern=NAME_PATTERN)
    send: Send | None = None
    wait: Wait | None = None
    branch: Branch | None = None
    task: Task | None = None
    points: Points | None = None
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Step:
        chosen = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(f"a step does exactly one of {', '.join(ACTIONS)}, not {chosen}")
        return self

    @property
    def action(self) -> str:
        """The step's one action."""
        return next(name for name in ACTIONS if getattr(self, name) is not None)


ACTIONS = ("send", "wait", "branch", "task", "points", "webhook")


class Goal(Strict):
    """What counts as the playbook having worked, within ``days`` of entering it."""

    kind: Literal["ordered_again", "renewed"] = "ordered_again"
    days: int = Field(default=30, ge=1, le=366)


class Playbook(Strict):
    """A whole playbook."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: str = ""
    trigger: Trigger
    steps: list[Step] = Field(min_length=1, max_length=100)
    goal: Goal = Goal()
    # null: a customer enters once; a number: again after that many days since the last entry.
    reenter_after_days: int | None = Field(default=None, ge=1, le=3650)
    holdout: float = Field(default=0.1, ge=0.0, le=0.5)
    enabled: bool = True

    @model_validator(mode="after")
    def _branches_lead_somewhere(self) -> Playbook:
        ids = self.step_ids
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        for step in self.steps:
            if step.branch is not None:
                for target in (step.branch.then, step.branch.otherwise):
                    if target not in ("next", "exit") and target not in ids:
                        raise ValueError(f"branch target {target!r} is not a step id")
        return self

    @property
    def step_ids(self) -> list[str]:
        """Each step's id, ``step-N`` (from 1) where none was given."""
        return [step.id or f"step-{number}" for number, step in enumerate(self.steps, 1)]

    @property
    def conditions(self) -> list[str]:
        """The rule texts of the branches that test a condition, not conversion."""
        return [
            step.branch.condition
            for step in self.steps
            if step.branch is not None and step.branch.condition != "converted"
        ]


def parse_playbook(text: str, *, source: str = "playbook") -> Playbook:
    """Validate YAML text into a Playbook; PlaybookError names the file and field at fault."""
    try:
        data: Any = load_yaml(text)
    except yaml.YAMLError as error:
        raise PlaybookError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise PlaybookError(f"{source}: a playbook is a mapping with name, trigger and steps")
    try:
        return Playbook.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'playbook'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise PlaybookError(f"{source}: {problems}") from None
