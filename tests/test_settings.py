"""Settings: nested per concern under the same variables, secrets checked, docs generated."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from retain.cli import app
from retain.settings import Concern, Settings, render_reference

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

# The variables users, scripts and docs set: a rename breaks their deployments.
VARIABLES = """
DATA_DIR DATABASE_URL WAREHOUSE_URL QUEUE_URL DEFAULT_TIMEZONE REPORTING_CURRENCY
MAX_IMPORT_PROBLEMS IMPORT_MEMORY_LIMIT CRR_TARGET ACTIVE_WINDOW_DAYS PUBLIC_BASE_URL
WAREHOUSE_IDLE_SECONDS WEBHOOK_SECRET RATE_LIMIT_STORAGE INTAKE_RATE_LIMIT TRUSTED_PROXIES
API_DOCS SECRET_KEY
SESSION_HOURS LOGIN_RATE_LIMIT GLOBAL_CONTROL PLAYBOOK_LOOKBACK_DAYS PLAYBOOK_RUN_SECONDS
SHOP_REORDER_URL APPRISE_URLS MESSAGE_WEBHOOK_URL MESSAGE_WEBHOOK_SECRET CONSENT_DEFAULT
FREQUENCY_CAP FREQUENCY_WINDOW_DAYS QUIET_HOURS DELIVERY_MAX_ATTEMPTS DELIVERY_RETRY_SECONDS
DELIVERY_CONNECTIONS DELIVERY_LEASE_SECONDS SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASSWORD
SMTP_STARTTLS MAIL_FROM UNSUBSCRIBE_MAILTO BOUNCE_SECRET SUPPORT_CALENDAR SUPPORT_WARNING_HOURS
SUPPORT_CHECK_SECONDS CSAT_LINK_DAYS HELP_CONTACT_RATE_LIMIT RETURNS_START_RATE_LIMIT
RETURNS_PHOTO_MAX_BYTES ASSISTANT_MODEL ASSISTANT_INTENTS ASSISTANT_TARGET_ESCALATION
ASSISTANT_OUT_OF_SCOPE_LABEL ASSISTANT_ARTICLE_MIN_SCORE ASSISTANT_RATE_LIMIT ASSISTANT_LINK_DAYS
ASSISTANT_LLM_BASE_URL ASSISTANT_LLM_MODEL ASSISTANT_LLM_API_KEY ASSISTANT_LLM_TIMEOUT_SECONDS
"""


def _concerns() -> list[type[Concern]]:
    return [field.annotation for field in Settings.model_fields.values()]  # type: ignore[misc]


def _secret_variables() -> list[str]:
    return [
        concern.variable(name)
        for concern in _concerns()
        for name, field in concern.model_fields.items()
        if SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))
    ]


@pytest.fixture(autouse=True)
def _no_retain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts from the defaults: no RETAIN_* variable and no .env file."""
    for name in list(os.environ):
        if name.startswith("RETAIN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_docs_configuration_md_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "regenerate with: retain config docs > docs/configuration.md"
    )


def test_config_docs_prints_the_reference() -> None:
    result = CliRunner().invoke(app, ["config", "docs"])

    assert result.exit_code == 0
    assert result.stdout == render_reference()


def test_variables_keep_their_names() -> None:
    shown = [row["name"] for row in Settings().masked()]

    assert sorted(shown) == sorted(f"RETAIN_{name}" for name in VARIABLES.split())


def test_every_variable_is_documented() -> None:
    reference = render_reference()

    assert all(f"`RETAIN_{name}`" in reference for name in VARIABLES.split())


@pytest.mark.parametrize(
    ("variable", "value", "read"),
    [
        ("RETAIN_DATABASE_URL", "sqlite:///x.db", lambda s: s.storage.store_url),
        ("RETAIN_SMTP_HOST", "mail.example.com", lambda s: s.email.smtp_host),
        ("RETAIN_SUPPORT_WARNING_HOURS", "2.5", lambda s: s.support.warning_hours),
        ("RETAIN_CSAT_LINK_DAYS", "3", lambda s: s.support.csat_link_days),
        ("RETAIN_HELP_CONTACT_RATE_LIMIT", "9/hour", lambda s: s.support.help_contact_rate_limit),
        ("RETAIN_RETURNS_PHOTO_MAX_BYTES", "7", lambda s: s.returns.photo_max_bytes),
        ("RETAIN_ASSISTANT_LLM_MODEL", "qwen", lambda s: s.assistant.llm_model),
    ],
)
def test_a_variable_reaches_its_concern(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, read: Callable[[Settings], object]
) -> None:
    monkeypatch.setenv(variable, value)

    assert str(read(Settings())) == value


def test_a_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RETAIN_SUPPORT_CHECK_SECONDS=12\nRETAIN_SMTP_PORT=2525\n")

    settings = Settings()

    assert (settings.support.check_seconds, settings.email.smtp_port) == (12, 2525)


def test_every_secret_is_typed_secret() -> None:
    assert sorted(_secret_variables()) == sorted(
        [
            "RETAIN_SECRET_KEY",
            "RETAIN_WEBHOOK_SECRET",
            "RETAIN_SMTP_PASSWORD",
            "RETAIN_MESSAGE_WEBHOOK_SECRET",
            "RETAIN_BOUNCE_SECRET",
            "RETAIN_ASSISTANT_LLM_API_KEY",
        ]
    )


@pytest.mark.parametrize("variable", _secret_variables())
@pytest.mark.parametrize("placeholder", ["changeme", "  Secret ", ""])
def test_every_secret_refuses_placeholders(
    monkeypatch: pytest.MonkeyPatch, variable: str, placeholder: str
) -> None:
    monkeypatch.setenv(variable, placeholder)

    with pytest.raises(ValidationError, match=f"{variable} is a placeholder"):
        Settings()


def test_a_real_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETAIN_BOUNCE_SECRET", "kq3-long-random-value")

    assert Settings().email.bounce_secret == SecretStr("kq3-long-random-value")


def test_masking_follows_the_field_types(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in _secret_variables():
        monkeypatch.setenv(variable, f"hidden-{variable}")
    for variable in (
        "DATABASE_URL",
        "WAREHOUSE_URL",
        "QUEUE_URL",
        "RATE_LIMIT_STORAGE",
        "MESSAGE_WEBHOOK_URL",
        "ASSISTANT_LLM_BASE_URL",
    ):
        monkeypatch.setenv(f"RETAIN_{variable}", f"postgresql://user:hidden-{variable}@host/db")
    monkeypatch.setenv("RETAIN_APPRISE_URLS", '{"wecom": "wecombot://hidden-token"}')

    rows = {row["name"]: row["value"] for row in Settings().masked()}

    assert not [name for name, value in rows.items() if "hidden" in str(value)]
    assert rows["RETAIN_SMTP_PASSWORD"] == "********"
    assert rows["RETAIN_QUEUE_URL"] == "postgresql://user:********@host/db"
    assert rows["RETAIN_APPRISE_URLS"] == "wecom"


def test_unset_store_urls_show_where_the_data_dir_puts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETAIN_DATA_DIR", "/srv/retain")

    rows = {row["name"]: row["value"] for row in Settings().masked()}

    assert rows["RETAIN_DATABASE_URL"] == "sqlite:////srv/retain/retain.db"
    assert rows["RETAIN_QUEUE_URL"] == "sqlite:////srv/retain/queue.db"
    assert rows["RETAIN_SMTP_PASSWORD"] == "(not set)"


def test_replacing_changes_one_concern_and_leaves_the_original() -> None:
    settings = Settings()

    changed = settings.replacing(server={"public_base_url": "https://shop.example"})

    assert changed.server.public_base_url == "https://shop.example"
    assert settings.server.public_base_url == "http://127.0.0.1:8000"
    assert changed.email is settings.email
