"""Email through a real SMTP server: multipart, headers, both languages, working unsubscribe."""

from __future__ import annotations

from fastapi.testclient import TestClient

from retain.api import create_app
from retain.clock import utcnow
from retain.messaging.channels import message_id
from retain.messaging.service import deliver_due
from retain.settings import Settings
from tests.messaging.conftest import Inbox
from tests.messaging.helpers import NOON, add_customer, delivery, queue


def test_email_is_multipart_with_one_click_unsubscribe_in_each_language(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp_server
    add_customer(messaging, "C-EN", email="ann@example.com", name="Ann")
    add_customer(messaging, "C-ZH", email="li@example.com", language="zh-CN", name="李雷")
    queue(messaging, "news-1:C-EN", "C-EN")
    queue(messaging, "news-1:C-ZH", "C-ZH")

    summary = deliver_due(settings=messaging, at=NOON)

    assert (summary.sent, summary.claimed) == (2, 2), delivery(messaging, "news-1:C-EN").last_error
    by_recipient = {message["To"]: message for message in inbox.messages}
    english, chinese = by_recipient["ann@example.com"], by_recipient["li@example.com"]
    assert english["Subject"] == "News from us, Ann"
    assert chinese["Subject"] == "李雷，我们有新消息"
    for message, key in ((english, "news-1:C-EN"), (chinese, "news-1:C-ZH")):
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert message["Message-ID"] == message_id(key, "news@shop.example")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert (
            message["List-Unsubscribe"].strip().startswith("<https://shop.example/m/unsubscribe/")
        )
        assert delivery(messaging, key).status == "sent"
    assert "Spring collection" in english.get_body(("plain",)).get_content()
    assert "退订" in chinese.get_body(("html",)).get_content()


def test_the_unsubscribe_link_of_a_received_email_works(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp_server
    add_customer(messaging, "C-ZH", email="li@example.com", language="zh")
    queue(messaging, "first", "C-ZH")
    deliver_due(settings=messaging, at=NOON)
    header = inbox.messages[0]["List-Unsubscribe"]
    path = header.strip().strip("<>").removeprefix("https://shop.example")
    client = TestClient(create_app())

    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.text
    # What a mail client sends for RFC 8058 one-click: a POST with no session and no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "已退订" in done.text

    queue(messaging, "second", "C-ZH")
    summary = deliver_due(settings=messaging, at=NOON)
    assert summary.skipped == 1 and len(inbox.messages) == 1
    assert delivery(messaging, "second").last_error == "no consent for email"
    assert client.get(path.replace("/m/unsubscribe/", "/m/unsubscribe/x")).status_code == 403


def test_preferences_page_turns_channels_off_and_on(messaging: Settings) -> None:
    from retain.auth.sessions import signing_key
    from retain.messaging.consent import PREFERENCES, sign_customer_link

    add_customer(messaging, "C1")
    token = sign_customer_link(
        secret=signing_key(messaging),
        purpose=PREFERENCES,
        customer_id="C1",
        channel="email",
        language="en",
        at=utcnow(),
    )
    client = TestClient(create_app())
    page = client.get(f"/m/preferences/{token}")
    assert page.status_code == 200
    assert 'value="email" checked' in page.text and 'value="wecom" checked' in page.text
    saved = client.post(f"/m/preferences/{token}", data={"channel": ["wecom"]})
    assert "Your preferences are saved." in saved.text
    assert 'value="email">' in saved.text and 'value="wecom" checked' in saved.text
    queue(messaging, "after-preferences", "C1")
    deliver_due(settings=messaging, at=NOON)
    assert delivery(messaging, "after-preferences").status == "skipped"


def test_enqueue_is_idempotent_and_a_rerun_sends_nothing_twice(
    messaging: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp_server
    add_customer(messaging, "C1")
    for _ in range(3):
        queue(messaging, "same-key", "C1")
    deliver_due(settings=messaging, at=NOON)
    queue(messaging, "same-key", "C1")
    deliver_due(settings=messaging, at=NOON)
    assert len(inbox.messages) == 1
