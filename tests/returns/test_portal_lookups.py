"""What the return portal asks the returns service: whose order it is, and its earlier returns."""

from __future__ import annotations

from datetime import timedelta

from retain.returns import service
from retain.returns.service import ItemRequest
from retain.settings import Settings
from retain.store import session_scope
from tests.returns.helpers import T0, ask, order, profile, store_url


def test_the_address_on_file_matches_the_order_whatever_its_case(settings: Settings) -> None:
    url = store_url(settings)
    profile(url, "C1")
    with session_scope(url) as session:
        assert service.email_matches_order(session=session, order=order(), email="c1@example.com")
        assert not service.email_matches_order(
            session=session, order=order(), email="c2@example.com"
        )
        assert not service.email_matches_order(
            session=session, order=order(customer_id="C9"), email="c9@example.com"
        )


def test_returns_of_an_order_come_oldest_first(settings: Settings) -> None:
    url = store_url(settings)
    profile(url, "C1")
    later = ask(url, order(), [ItemRequest(1, 1, "unopened")], key="b", at=T0 + timedelta(days=1))
    first = ask(url, order(), [ItemRequest(2, 1, "unopened")], key="a", at=T0)
    with session_scope(url) as session:
        found = service.returns_of_order(session=session, order_id="O1")
        assert [request.return_id for request in found] == [first.return_id, later.return_id]
        assert service.returns_of_order(session=session, order_id="O2") == []
