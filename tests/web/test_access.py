"""Who reads what single customers wrote: one dependency answers it for every page."""

from __future__ import annotations

import pytest

from retain.auth.roles import Role
from retain.auth.service import Principal
from retain.web.access import reads_customer_words


@pytest.mark.parametrize("role", list(Role))
def test_only_the_read_only_role_is_kept_to_aggregates(role: Role) -> None:
    reader = Principal(kind="user", name=role.value, role=role)
    assert reads_customer_words(reader) is (role != Role.viewer)
