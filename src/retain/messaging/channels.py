"""How messages leave: email over SMTP, chat and SMS through Apprise, and signed webhooks.

Each channel keeps its connection open across a worker pass (one SMTP session for thousands of
messages) and raises PermanentFailure or TemporaryFailure, which decide retry or give up.
Secrets (SMTP password, Apprise tokens, webhook key) never appear in errors or logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import smtplib
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, parseaddr
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from retain.messaging.templates import RenderedMessage
from retain.settings import Settings
from retain.signatures import signed_headers

EMAIL = "email"
WEBHOOK = "webhook"
# sendmail() sends bytes as they are: SMTP needs CRLF line ends.
WIRE = compat32.clone(linesep="\r\n")


class PermanentFailure(Exception):
    """The message can never go this way (refused address, bad configuration)."""


class TemporaryFailure(Exception):
    """The message may go on a later attempt (server down, 4xx answer, timeout)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message addressed to one customer, with its idempotency key."""

    key: str
    channel: str
    customer_id: str
    address: str
    rendered: RenderedMessage
    unsubscribe_url: str
    playbook: str | None = None
    step: str | None = None


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Send ``message``; the provider's message id."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def message_id(key: str, sender: str) -> str:
    """A stable Message-ID for a delivery key: a resend after a crash carries the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "retain.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_email(message: OutgoingMessage, *, sender: str, mailto: str | None) -> Message:
    """A multipart text+HTML email with RFC 8058 one-click unsubscribe headers.

    Built with the compat32 MIME classes: the modern EmailMessage API parses and refolds every
    header and costs about a millisecond a message, most of a worker pass's time.
    """
    text = MIMEText(message.rendered.text, "plain", "utf-8")
    if message.rendered.html:
        email: Message = MIMEMultipart("alternative")
        email.attach(text)
        email.attach(MIMEText(message.rendered.html, "html", "utf-8"))
    else:
        email = text
    email["From"] = sender
    email["To"] = message.address
    subject = message.rendered.subject
    email["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.key, sender)
    targets = [f"<{message.unsubscribe_url}>"]
    if mailto:
        token = message.unsubscribe_url.rsplit("/", 1)[-1]
        targets.append(f"<mailto:{mailto}?subject={quote('unsubscribe ' + token)}>")
    email["List-Unsubscribe"] = ", ".join(targets)
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


class SmtpChannel:
    """Email over one SMTP session, opened on first use and reopened when the server drops it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._connection: smtplib.SMTP | None = None

    def send(self, message: OutgoingMessage) -> str:
        email = build_email(
            message,
            sender=self._settings.email.mail_from,
            mailto=self._settings.email.unsubscribe_mailto,
        )
        envelope_from = parseaddr(self._settings.email.mail_from)[1]
        try:
            self._session().sendmail(envelope_from, [message.address], email.as_bytes(policy=WIRE))
        except smtplib.SMTPServerDisconnected:
            self._connection = None
            raise TemporaryFailure("the SMTP server closed the connection") from None
        except smtplib.SMTPRecipientsRefused as error:
            code = next(iter(error.recipients.values()))[0]
            raise _by_code(code, "the SMTP server refused the recipient") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, f"SMTP error {error.smtp_code}") from None
        except OSError as error:
            self.close()
            raise TemporaryFailure(f"SMTP connection failed: {type(error).__name__}") from None
        return str(email["Message-ID"])

    def _session(self) -> smtplib.SMTP:
        if self._connection is None:
            settings = self._settings
            connection = smtplib.SMTP(
                settings.email.smtp_host, settings.email.smtp_port, timeout=30
            )
            if settings.email.smtp_starttls:
                connection.starttls()
            if settings.email.smtp_user and settings.email.smtp_password:
                connection.login(
                    settings.email.smtp_user, settings.email.smtp_password.get_secret_value()
                )
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            # Closing a dead session is not a failure of any message.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
            self._connection = None


def _by_code(code: int, reason: str) -> Exception:
    return TemporaryFailure(reason) if 400 <= code < 500 else PermanentFailure(reason)


class WebhookChannel:
    """POSTs each message as JSON, signed as event intake, with Idempotency-Key = delivery key."""

    def __init__(self, settings: Settings) -> None:
        if (
            not settings.messaging.message_webhook_url
            or settings.messaging.message_webhook_secret is None
        ):
            raise PermanentFailure("RETAIN_MESSAGE_WEBHOOK_URL and _SECRET are not both set")
        self._url = urlsplit(settings.messaging.message_webhook_url)
        self._secret = settings.messaging.message_webhook_secret.get_secret_value()
        self._connection: http.client.HTTPConnection | None = None

    def send(self, message: OutgoingMessage) -> str:
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.key,
            **signed_headers(secret=self._secret, body=body),
        }
        path = self._url.path or "/"
        try:
            connection = self._session()
            connection.request(
                "POST",
                path + (f"?{self._url.query}" if self._url.query else ""),
                body=body,
                headers=headers,
            )
            answer = connection.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise TemporaryFailure(f"webhook unreachable: {type(error).__name__}") from None
        if answer.status >= 300:
            retry = answer.status >= 500 or answer.status in (408, 429)
            failure = TemporaryFailure if retry else PermanentFailure
            raise failure(f"webhook answered {answer.status}")
        return answer.getheader("X-Message-Id") or message.key

    def _session(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = (
                http.client.HTTPSConnection
                if self._url.scheme == "https"
                else http.client.HTTPConnection
            )
            self._connection = kind(self._url.hostname or "", self._url.port, timeout=30)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def webhook_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The JSON body a webhook receiver gets."""
    return {
        "key": message.key,
        "customer_id": message.customer_id,
        "playbook": message.playbook,
        "step": message.step,
        "template": message.rendered.template,
        "language": message.rendered.language,
        "subject": message.rendered.subject,
        "text": message.rendered.text,
        "html": message.rendered.html,
        "unsubscribe_url": message.unsubscribe_url,
    }


class AppriseChannel:
    """A chat or SMS service through Apprise; the URL may name {phone} or {customer_id}."""

    def __init__(self, name: str, url: str) -> None:
        self._name = name
        self._url = url

    def send(self, message: OutgoingMessage) -> str:
        import apprise  # loaded only by workers that send chat or SMS

        target = self._url.replace("{phone}", quote(message.address, safe="+")).replace(
            "{customer_id}", quote(message.customer_id, safe="")
        )
        notifier = apprise.Apprise()
        if not notifier.add(target):
            # The URL holds tokens: name the channel, never the URL.
            raise PermanentFailure(f"the Apprise URL of channel {self._name!r} is not valid")
        if not notifier.notify(body=message.rendered.text, title=message.rendered.subject):
            raise TemporaryFailure(f"the {self._name} service did not accept the message")
        return message.key

    def close(self) -> None:
        """Apprise opens a connection per notification; nothing to release."""


def address_for(
    *, channel: str, settings: Settings, email: str | None, phone: str | None, customer_id: str
) -> str | None:
    """Where a message on ``channel`` goes for this customer; None when there is no address."""
    if channel == EMAIL:
        return email
    if "{phone}" in settings.messaging.apprise_urls.get(channel, ""):
        return phone
    return customer_id


class Channels:
    """The channels of one worker pass, each opened on first use and closed together."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._open: dict[str, Channel] = {}

    def get(self, name: str) -> Channel:
        if name not in self._open:
            self._open[name] = self._make(name)
        return self._open[name]

    def _make(self, name: str) -> Channel:
        if name == EMAIL:
            return SmtpChannel(self._settings)
        if name == WEBHOOK:
            return WebhookChannel(self._settings)
        if name in self._settings.messaging.apprise_urls:
            return AppriseChannel(name, self._settings.messaging.apprise_urls[name])
        raise PermanentFailure(f"channel {name!r} is not configured")

    def close(self) -> None:
        for channel in self._open.values():
            channel.close()
        self._open.clear()
