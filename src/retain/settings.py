"""Settings, read from the environment (prefix ``RETAIN_``) and a ``.env`` file.

Each field's description is its help text: ``retain config show`` and docs/configuration.md
are generated from this one table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "xxx", "todo"})


class Settings(BaseSettings):
    """Where Retain keeps its data and how it reaches its two planes."""

    model_config = SettingsConfigDict(env_prefix="RETAIN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the embedded store, the warehouse and generated demo files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default sqlite:///<data dir>/retain.db.",
    )
    warehouse_url: str | None = Field(
        default=None,
        description=(
            "URL of the analytics warehouse: duckdb:///path or postgresql://...; "
            "default duckdb:///<data dir>/warehouse.duckdb."
        ),
    )
    default_timezone: str = Field(
        default="UTC",
        description="Time zone assumed for imported timestamps that carry no offset.",
    )
    max_import_problems: int = Field(
        default=50, ge=1, description="How many problems an import reports before it stops."
    )
    import_memory_limit: str = Field(
        default="1GB",
        description="Memory an import may use before it spills to <data dir>/tmp (DuckDB units).",
    )
    reporting_currency: str = Field(
        default="USD", pattern="^[A-Z]{3}$", description="Currency that money metrics are shown in."
    )
    crr_target: float = Field(
        default=0.85, gt=0, le=1, description="Customer retention rate each period should reach."
    )
    active_window_days: int = Field(
        default=365, ge=1, description="An order keeps its customer active for this many days."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs links and sessions; default a random key kept in "
            "<data dir>/secret.key. Set it when several servers share sessions."
        ),
    )
    warehouse_idle_seconds: float = Field(
        default=2.0,
        ge=0,
        description=(
            "The server keeps warehouse connections open while requests come and closes them "
            "after this many idle seconds, so that imports can take DuckDB's file lock."
        ),
    )
    session_hours: int = Field(
        default=12, ge=1, description="How long a dashboard sign-in lasts before it is asked again."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="When set, POST /api/v1/events requires an HMAC-SHA256 signature made with it.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live: memory:// (one process) or redis://host:port.",
    )
    login_rate_limit: str = Field(
        default="10/minute", description="Sign-in attempts allowed per client address and user."
    )
    intake_rate_limit: str = Field(
        default="1200/minute", description="Event-intake requests allowed per API key or user."
    )

    global_control: float = Field(
        default=0.0,
        ge=0,
        le=0.5,
        description=(
            "The share of customers no playbook ever treats (a global control group), assigned "
            "at random by customer id; 0 turns it off."
        ),
    )
    playbook_lookback_days: int = Field(
        default=1,
        ge=0,
        description=(
            "How far back a new playbook's first run reads its trigger, so that installing one "
            "does not message every customer the trigger fired for in the past."
        ),
    )

    playbook_run_seconds: float = Field(
        default=300,
        gt=0,
        description="How often retain worker refreshes segments and runs the playbooks.",
    )
    shop_reorder_url: str | None = Field(
        default=None,
        description=(
            "The shop's cart URL an easy-reorder link sends the customer to, with {items} "
            "replaced by product:quantity pairs; unset, the link shows the items instead."
        ),
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "Base URL customers reach Retain at: unsubscribe and preference links use it. "
            "Unset, retain serve uses the address it listens on and the chat the one it was "
            "reached at."
        ),
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server that sends email.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_user: str | None = Field(default=None, description="SMTP user name, when it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade SMTP sessions with STARTTLS.")
    mail_from: str = Field(
        default="Retain <retain@localhost>", description="From address of the email Retain sends."
    )
    unsubscribe_mailto: str | None = Field(
        default=None,
        description="Mailbox for mailto: unsubscribe requests in List-Unsubscribe (optional).",
    )
    apprise_urls: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Chat and SMS channels as JSON {"wecom": "wecombot://...", "sms": "...{phone}..."}; '
            "{phone} is replaced with the customer's number."
        ),
    )
    message_webhook_url: str | None = Field(
        default=None, description="URL that the webhook channel POSTs each message to as JSON."
    )
    message_webhook_secret: SecretStr | None = Field(
        default=None, description="Signs webhook messages (X-Retain-Signature, as event intake)."
    )
    bounce_secret: SecretStr | None = Field(
        default=None, description="Key that signs the mail provider's bounce webhook (HMAC-SHA256)."
    )
    consent_default: Literal["opt-in", "opt-out"] = Field(
        default="opt-out",
        description=(
            "Without a consent record: opt-out sends until the customer revokes; opt-in sends "
            "only after they granted (choose opt-in where the law asks for it)."
        ),
    )
    frequency_cap: int = Field(
        default=3, ge=0, description="Messages a customer receives at most per cap window."
    )
    frequency_window_days: int = Field(
        default=7, ge=1, description="Window of the frequency cap, across all channels."
    )
    quiet_hours: str = Field(
        default="21:00-08:00",
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
        description="No message in these local hours of the customer; deferred to the end.",
    )
    delivery_max_attempts: int = Field(
        default=5, ge=1, description="Sends tried before a delivery is marked failed."
    )
    delivery_retry_seconds: int = Field(
        default=60, ge=1, description="First retry delay; each later retry waits twice as long."
    )
    delivery_connections: int = Field(
        default=4, ge=1, le=64, description="Connections per channel a worker sends on at once."
    )
    delivery_lease_seconds: int = Field(
        default=300,
        ge=1,
        description="A delivery left sending longer than this by a dead worker becomes unknown.",
    )
    queue_url: str | None = Field(
        default=None,
        description="Huey storage for the worker: redis://host:port, default <data dir>/queue.db.",
    )
    returns_start_rate_limit: str = Field(
        default="10/minute",
        description="Return-portal look-ups (order number and e-mail) allowed per client address.",
    )
    returns_photo_max_bytes: int = Field(
        default=5_000_000, ge=1, description="Largest photo a customer may attach to a return."
    )
    support_calendar: Path | None = Field(
        default=None,
        description="SLA calendar YAML (time zone, weekly hours, holidays, targets per priority); "
        "default weekdays 09:00-17:00 UTC.",
    )
    support_warning_hours: float = Field(
        default=1.0,
        gt=0,
        description="Warn about an SLA target this many business hours before it is breached.",
    )
    support_check_seconds: float = Field(
        default=300.0, gt=0, description="How often the worker checks SLA warnings and breaches."
    )
    csat_link_days: int = Field(
        default=14, ge=1, description="Days a CSAT rating link stays valid after the solve."
    )
    help_contact_rate_limit: str = Field(
        default="5/hour",
        description="Help-centre contact-form submissions allowed per client address.",
    )
    assistant_model: Path | None = Field(
        default=None,
        description="Intent model file; default <data dir>/assistant/model.joblib.",
    )
    assistant_intents: Path | None = Field(
        default=None,
        description="YAML mapping each intent to an answer, an article or an action; "
        "default the bilingual demo intents shipped with Retain.",
    )
    assistant_target_escalation: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="Share of validation messages the assistant should hand to a person; "
        "training chooses its confidence threshold to meet it.",
    )
    assistant_out_of_scope_label: str = Field(
        default="oos", description="Intent label of out-of-scope examples in training files."
    )
    assistant_article_min_score: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Knowledge-base similarity an article needs to answer a question no intent "
        "covers.",
    )
    assistant_rate_limit: str = Field(
        default="30/minute", description="Chat messages allowed per client address."
    )
    assistant_link_days: int = Field(
        default=30, ge=1, description="Days a customer's signed chat token stays valid."
    )
    assistant_llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) for generative "
        "answers grounded on articles; unset, generation is off.",
    )
    assistant_llm_model: str = Field(
        default="local", description="Model name sent to the generative endpoint."
    )
    assistant_llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer key of the generative endpoint (never logged)."
    )
    assistant_llm_timeout_seconds: float = Field(
        default=20.0, gt=0, description="How long a generative answer may take before hand-off."
    )

    @field_validator("secret_key")
    @classmethod
    def refuse_placeholder_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("RETAIN_SECRET_KEY is a placeholder; set a long random value")
        return value

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'retain.db'}"

    @property
    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb:///{self.data_dir / 'warehouse.duckdb'}"

    def masked(self) -> list[dict[str, Any]]:
        """The effective settings with secrets and URL passwords masked, one row per setting."""
        effective = {
            "data_dir": str(self.data_dir),
            "database_url": mask_url(self.store_url),
            "warehouse_url": mask_url(self.resolved_warehouse_url),
            "default_timezone": self.default_timezone,
            "max_import_problems": self.max_import_problems,
            "import_memory_limit": self.import_memory_limit,
            "reporting_currency": self.reporting_currency,
            "crr_target": self.crr_target,
            "active_window_days": self.active_window_days,
            "secret_key": "********" if self.secret_key else "(not set)",
            "warehouse_idle_seconds": self.warehouse_idle_seconds,
            "session_hours": self.session_hours,
            "webhook_secret": "********" if self.webhook_secret else "(not set)",
            "rate_limit_storage": mask_url(self.rate_limit_storage),
            "login_rate_limit": self.login_rate_limit,
            "intake_rate_limit": self.intake_rate_limit,
            "global_control": self.global_control,
            "playbook_lookback_days": self.playbook_lookback_days,
            "playbook_run_seconds": self.playbook_run_seconds,
            "shop_reorder_url": self.shop_reorder_url or "(not set)",
            "public_base_url": self.public_base_url,
            "smtp_host": self.smtp_host,
            "smtp_port": self.smtp_port,
            "smtp_user": self.smtp_user or "(not set)",
            "smtp_password": "********" if self.smtp_password else "(not set)",
            "smtp_starttls": self.smtp_starttls,
            "mail_from": self.mail_from,
            "unsubscribe_mailto": self.unsubscribe_mailto or "(not set)",
            # Apprise URLs carry tokens: show only which channels are configured.
            "apprise_urls": ", ".join(sorted(self.apprise_urls)) or "(none)",
            "message_webhook_url": mask_url(self.message_webhook_url or "(not set)"),
            "message_webhook_secret": "********" if self.message_webhook_secret else "(not set)",
            "bounce_secret": "********" if self.bounce_secret else "(not set)",
            "consent_default": self.consent_default,
            "frequency_cap": self.frequency_cap,
            "frequency_window_days": self.frequency_window_days,
            "quiet_hours": self.quiet_hours,
            "delivery_max_attempts": self.delivery_max_attempts,
            "delivery_retry_seconds": self.delivery_retry_seconds,
            "delivery_connections": self.delivery_connections,
            "delivery_lease_seconds": self.delivery_lease_seconds,
            "queue_url": mask_url(self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}"),
            "returns_start_rate_limit": self.returns_start_rate_limit,
            "returns_photo_max_bytes": self.returns_photo_max_bytes,
            "support_calendar": str(self.support_calendar or "(default)"),
            "support_warning_hours": self.support_warning_hours,
            "support_check_seconds": self.support_check_seconds,
            "csat_link_days": self.csat_link_days,
            "help_contact_rate_limit": self.help_contact_rate_limit,
            "assistant_model": str(self.assistant_model or "(default)"),
            "assistant_intents": str(self.assistant_intents or "(demo)"),
            "assistant_target_escalation": self.assistant_target_escalation,
            "assistant_out_of_scope_label": self.assistant_out_of_scope_label,
            "assistant_article_min_score": self.assistant_article_min_score,
            "assistant_rate_limit": self.assistant_rate_limit,
            "assistant_link_days": self.assistant_link_days,
            "assistant_llm_base_url": mask_url(self.assistant_llm_base_url or "(not set)"),
            "assistant_llm_model": self.assistant_llm_model,
            "assistant_llm_api_key": "********" if self.assistant_llm_api_key else "(not set)",
            "assistant_llm_timeout_seconds": self.assistant_llm_timeout_seconds,
        }
        return [
            {
                "name": f"RETAIN_{name.upper()}",
                "value": effective[name],
                "help": field.description or "",
            }
            for name, field in type(self).model_fields.items()
        ]


def mask_url(url: str) -> str:
    """Replace the password in a URL with asterisks."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":********@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
