"""Playbook YAML: the shipped ones are valid; mistakes name the field at fault."""

from __future__ import annotations

import pytest

from retain.engage.definition import PlaybookError, parse_playbook
from retain.engage.service import shipped_playbooks

SHIPPED = {
    "onboarding", "newsletter", "win-back", "renewal-60", "renewal-30", "renewal-7",
    "review-request", "nps-detractor", "save-offer", "easy-reorder", "brand-story",
}  # fmt: skip
HEAD = "name: p\ntrigger: {event: first_order}\n"


def test_every_ready_made_playbook_is_shipped_and_valid() -> None:
    playbooks = shipped_playbooks()
    assert set(playbooks) == SHIPPED
    for name, text in playbooks.items():
        playbook = parse_playbook(text, source=name)
        assert playbook.holdout == 0.1 and playbook.steps


def test_step_ids_default_to_their_position() -> None:
    playbook = parse_playbook(
        "name: p\ntrigger: {event: first_order}\n"
        "steps: [{send: {channel: email, template: t}}, {id: later, wait: {days: 2}}]"
    )
    assert playbook.step_ids == ["step-1", "later"]
    assert playbook.steps[1].wait is not None and playbook.steps[1].wait.seconds == 172_800


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: p\ntrigger: {event: first_order}\nsteps: [{send: {channel: email}}]",
            "steps.0.send.template",
        ),
        ("name: p\ntrigger: {event: birthday}\nsteps: [{wait: {days: 1}}]", "trigger.event"),
        (
            "name: p\ntrigger: {event: first_order, inactive_days: 3}\nsteps: [{wait: {}}]",
            "exactly one",
        ),
        (
            HEAD + "steps: [{wait: {days: 1}, task: {owner: a, title: b}}]",
            "exactly one of",
        ),
        (
            HEAD + "steps: [{branch: {if: converted, then: nowhere}}]",
            "'nowhere' is not a step id",
        ),
        ("name: P Q\ntrigger: {event: first_order}\nsteps: [{wait: {days: 1}}]", "name"),
        (
            "name: p\ntrigger: {event: first_order}\nsteps: [{wait: {days: 1}}]\nholdout: 0.9",
            "holdout",
        ),
        ("name: p\ntrigger: {event: first_order}\nsteps: []", "steps"),
        ("- just a list", "a mapping"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(PlaybookError, match="in.yaml") as caught:
        parse_playbook(text, source="in.yaml")
    assert message in str(caught.value)
