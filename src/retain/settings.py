"""Settings, read from the environment (prefix ``RETAIN_``) and a ``.env`` file.

One model per concern (``settings.storage.store_url``, ``settings.email.smtp_host``…), each
reading its own variables, whose names are a contract with users, scripts and docs. Each field's
description is its help text: ``retain config show`` and docs/configuration.md
(``retain config docs``) are generated from these models.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "xxx", "todo"})
MASK = "********"
NOT_SET = "(not set)"


class UrlWithPassword:
    """Marks a text setting that may be a URL with a password in it: shown masked."""


Url = Annotated[str, UrlWithPassword()]


class Concern(BaseSettings):
    """The settings of one concern; secrets refuse placeholder values."""

    model_config = SettingsConfigDict(
        env_prefix="RETAIN_", env_file=".env", extra="ignore", populate_by_name=True
    )

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable that sets field ``name``."""
        alias = cls.model_fields[name].validation_alias
        if isinstance(alias, str):
            return alias.upper()
        return f"{cls.model_config.get('env_prefix', '')}{name}".upper()

    @field_validator("*")
    @classmethod
    def refuse_placeholder_secret(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, SecretStr) and _is_placeholder(value):
            raise ValueError(
                f"{cls.variable(str(info.field_name))} is a placeholder; set a long random value"
            )
        return value

    def effective_values(self) -> dict[str, Any]:
        """Each field's value as it takes effect (a concern resolves its own defaults here)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def _is_placeholder(secret: SecretStr) -> bool:
    return secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


class StorageSettings(Concern):
    """Where Retain keeps its data: the store, the warehouse and the worker's queue."""

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder for the embedded store, the warehouse and generated demo files.",
    )
    database_url: Url | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default sqlite:///<data dir>/retain.db.",
    )
    warehouse_url: Url | None = Field(
        default=None,
        description=(
            "URL of the analytics warehouse: duckdb:///path or postgresql://...; "
            "default duckdb:///<data dir>/warehouse.duckdb."
        ),
    )
    queue_url: Url | None = Field(
        default=None,
        description="Huey storage for the worker: redis://host:port, default <data dir>/queue.db.",
    )

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'retain.db'}"

    @property
    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb:///{self.data_dir / 'warehouse.duckdb'}"

    def effective_values(self) -> dict[str, Any]:
        return {
            **super().effective_values(),
            "database_url": self.store_url,
            "warehouse_url": self.resolved_warehouse_url,
            "queue_url": self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}",
        }


class RegionSettings(Concern):
    """The business's home time zone and the currency money is reported in."""

    default_timezone: str = Field(
        default="UTC",
        description="Time zone assumed for imported timestamps that carry no offset.",
    )
    reporting_currency: str = Field(
        default="USD", pattern="^[A-Z]{3}$", description="Currency that money metrics are shown in."
    )


class IngestSettings(Concern):
    """How imports check and load files."""

    max_import_problems: int = Field(
        default=50, ge=1, description="How many problems an import reports before it stops."
    )
    import_memory_limit: str = Field(
        default="1GB",
        description="Memory an import may use before it spills to <data dir>/tmp (DuckDB units).",
    )


class MetricsSettings(Concern):
    """Defaults of the retention metrics."""

    crr_target: float = Field(
        default=0.85, gt=0, le=1, description="Customer retention rate each period should reach."
    )
    active_window_days: int = Field(
        default=365, ge=1, description="An order keeps its customer active for this many days."
    )


class ServerSettings(Concern):
    """The web server: its public address, warehouse connections, event intake and rate limits."""

    public_base_url: Url = Field(
        default="http://127.0.0.1:8000",
        description=(
            "Base URL customers reach Retain at: unsubscribe and preference links use it. "
            "Unset, retain serve uses the address it listens on and the chat the one it was "
            "reached at."
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
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="When set, POST /api/v1/events requires an HMAC-SHA256 signature made with it.",
    )
    rate_limit_storage: Url = Field(
        default="memory://",
        description="Where rate-limit counters live: memory:// (one process) or redis://host:port.",
    )
    intake_rate_limit: str = Field(
        default="1200/minute", description="Event-intake requests allowed per API key or user."
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses of the reverse proxies in front of Retain, whose "
            "X-Forwarded-For headers name the client (rate limits count per client). Empty: "
            "no header is trusted and the connecting address is the client."
        ),
    )
    api_docs: bool = Field(
        default=False,
        description=(
            "Serve the interactive API docs (/docs, /redoc) and /api/v1/openapi.json to anyone; "
            "retain serve --dev turns them on too."
        ),
    )


class AuthSettings(Concern):
    """Signing, sign-in and dashboard sessions."""

    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs links and sessions; default a random key kept in "
            "<data dir>/secret.key. Set it when several servers share sessions."
        ),
    )
    session_hours: int = Field(
        default=12, ge=1, description="How long a dashboard sign-in lasts before it is asked again."
    )
    login_rate_limit: str = Field(
        default="10/minute", description="Sign-in attempts allowed per client address and user."
    )


class EngageSettings(Concern):
    """Playbooks: when they run, what they look back on, who they never treat."""

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
    shop_reorder_url: Url | None = Field(
        default=None,
        description=(
            "The shop's cart URL an easy-reorder link sends the customer to, with {items} "
            "replaced by product:quantity pairs; unset, the link shows the items instead."
        ),
    )


class MessagingSettings(Concern):
    """Chat, SMS and webhook channels, consent, the frequency cap, quiet hours and retries."""

    apprise_urls: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Chat and SMS channels as JSON {"wecom": "wecombot://...", "sms": "...{phone}..."}; '
            "{phone} is replaced with the customer's number."
        ),
    )
    message_webhook_url: Url | None = Field(
        default=None, description="URL that the webhook channel POSTs each message to as JSON."
    )
    message_webhook_secret: SecretStr | None = Field(
        default=None, description="Signs webhook messages (X-Retain-Signature, as event intake)."
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


class EmailSettings(Concern):
    """The SMTP server email leaves through, and the mail provider's bounces."""

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
    bounce_secret: SecretStr | None = Field(
        default=None, description="Key that signs the mail provider's bounce webhook (HMAC-SHA256)."
    )


class SupportSettings(Concern):
    """Tickets: the SLA calendar and checks, CSAT links and the help centre's contact form."""

    model_config = SettingsConfigDict(env_prefix="RETAIN_SUPPORT_")

    calendar: Path | None = Field(
        default=None,
        description="SLA calendar YAML (time zone, weekly hours, holidays, targets per priority); "
        "default weekdays 09:00-17:00 UTC.",
    )
    warning_hours: float = Field(
        default=1.0,
        gt=0,
        description="Warn about an SLA target this many business hours before it is breached.",
    )
    check_seconds: float = Field(
        default=300.0, gt=0, description="How often the worker checks SLA warnings and breaches."
    )
    csat_link_days: int = Field(
        default=14,
        ge=1,
        validation_alias="RETAIN_CSAT_LINK_DAYS",
        description="Days a CSAT rating link stays valid after the solve.",
    )
    help_contact_rate_limit: str = Field(
        default="5/hour",
        validation_alias="RETAIN_HELP_CONTACT_RATE_LIMIT",
        description="Help-centre contact-form submissions allowed per client address.",
    )


class ReturnsSettings(Concern):
    """The customers' return portal."""

    model_config = SettingsConfigDict(env_prefix="RETAIN_RETURNS_")

    start_rate_limit: str = Field(
        default="10/minute",
        description="Return-portal look-ups (order number and e-mail) allowed per client address.",
    )
    photo_max_bytes: int = Field(
        default=5_000_000, ge=1, description="Largest photo a customer may attach to a return."
    )


class AssistantSettings(Concern):
    """The support assistant: its intent model, answers, limits and optional generative endpoint."""

    model_config = SettingsConfigDict(env_prefix="RETAIN_ASSISTANT_")

    model: Path | None = Field(
        default=None,
        description="Intent model file; default <data dir>/assistant/model.joblib.",
    )
    intents: Path | None = Field(
        default=None,
        description="YAML mapping each intent to an answer, an article or an action; "
        "default the bilingual demo intents shipped with Retain.",
    )
    target_escalation: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="Share of validation messages the assistant should hand to a person; "
        "training chooses its confidence threshold to meet it.",
    )
    out_of_scope_label: str = Field(
        default="oos", description="Intent label of out-of-scope examples in training files."
    )
    article_min_score: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Knowledge-base similarity an article needs to answer a question no intent "
        "covers.",
    )
    rate_limit: str = Field(
        default="30/minute", description="Chat messages allowed per client address."
    )
    link_days: int = Field(
        default=30, ge=1, description="Days a customer's signed chat token stays valid."
    )
    llm_base_url: Url | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) for generative "
        "answers grounded on articles; unset, generation is off.",
    )
    llm_model: str = Field(
        default="local", description="Model name sent to the generative endpoint."
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer key of the generative endpoint (never logged)."
    )
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, description="How long a generative answer may take before hand-off."
    )


class Settings(BaseModel):
    """Every setting of Retain, one model per concern, each read from its RETAIN_* variables."""

    storage: StorageSettings = Field(default_factory=StorageSettings)
    region: RegionSettings = Field(default_factory=RegionSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    engage: EngageSettings = Field(default_factory=EngageSettings)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    support: SupportSettings = Field(default_factory=SupportSettings)
    returns: ReturnsSettings = Field(default_factory=ReturnsSettings)
    assistant: AssistantSettings = Field(default_factory=AssistantSettings)

    def concerns(self) -> Iterator[Concern]:
        """Each concern's settings, in the order docs and ``retain config show`` list them."""
        for name in type(self).model_fields:
            yield getattr(self, name)

    def replacing(self, **changes: dict[str, Any]) -> Settings:
        """A copy with some fields of some concerns changed: ``replacing(server={...})``."""
        return self.model_copy(
            update={
                concern: getattr(self, concern).model_copy(update=fields)
                for concern, fields in changes.items()
            }
        )

    def masked(self) -> list[dict[str, Any]]:
        """The effective settings with secrets and URL passwords masked, one row per setting."""
        return [
            {
                "name": type(concern).variable(name),
                "value": _shown(value, type(concern).model_fields[name]),
                "help": type(concern).model_fields[name].description or "",
            }
            for concern in self.concerns()
            for name, value in concern.effective_values().items()
        ]


def _shown(value: Any, field: FieldInfo) -> Any:
    """A setting's value as ``retain config show`` prints it: no secret, no password."""
    if value is None:
        return NOT_SET
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, dict):
        # Channel URLs carry tokens: show only which channels are configured.
        return ", ".join(sorted(value)) or "(none)"
    if isinstance(value, Path):
        return str(value)
    if _is_url(field):
        return mask_url(value)
    return value


def _is_url(field: FieldInfo) -> bool:
    """Whether the field is typed ``Url`` or ``Url | None``."""
    # Pydantic moves the marks of a bare Annotated into the metadata, not those inside a union.
    marks = [*field.metadata, *_marks(field.annotation)]
    return any(isinstance(mark, UrlWithPassword) for mark in marks)


def _marks(annotation: Any) -> list[Any]:
    if get_origin(annotation) is Annotated:
        return list(get_args(annotation)[1:])
    return [mark for member in get_args(annotation) for mark in _marks(member)]


def mask_url(url: str) -> str:
    """Replace the password in a URL with asterisks."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


REFERENCE_INTRO = """# Configuration

Retain reads its settings from environment variables and from a `.env` file in the folder it
runs in (a variable set in the environment wins). `retain config show` prints the values in
effect, secrets and passwords in URLs masked.

Every secret (type *secret*) refuses a placeholder value left from a template: Retain stops with
an error naming the variable when one is set to any of these, whatever the case and spaces around:
{placeholders}.

This page is generated from `src/retain/settings.py`, one section per concern; regenerate it with
`retain config docs > docs/configuration.md` (a test fails when it is out of date).
"""


# The bounds pydantic keeps in a field's metadata (annotated_types' Ge, Gt, Le, Lt), by attribute.
BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
TYPE_LABELS = {
    str: "text",
    int: "integer",
    float: "number",
    bool: "true or false",
    Path: "path",
    SecretStr: "secret",
}


def render_reference() -> str:
    """The whole of docs/configuration.md: every variable, its type, default and description."""
    placeholders = ", ".join(f"`{value}`" for value in sorted(PLACEHOLDER_SECRETS) if value)
    sections = [REFERENCE_INTRO.format(placeholders=f"the empty value, {placeholders}")]
    for name, field in Settings.model_fields.items():
        concern = field.annotation
        assert isinstance(concern, type) and issubclass(concern, Concern)
        sections.append(_render_concern(name, concern))
    return "\n".join(sections)


def _render_concern(name: str, concern: type[Concern]) -> str:
    lines = [
        f"## {name.capitalize()} (`settings.{name}`)",
        "",
        (concern.__doc__ or "").strip(),
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
    ]
    for field_name, field in concern.model_fields.items():
        description = _markdown_text(field.description or "")
        lines.append(
            f"| `{concern.variable(field_name)}` | {_type_label(field)} | "
            f"{_default_label(field)} | {description} |"
        )
    return "\n".join([*lines, ""])


def _markdown_text(text: str) -> str:
    """``text`` for a table cell: ``<data dir>`` must not read as an HTML tag, nor ``|`` end it."""
    return text.replace("<", "\\<").replace("|", "\\|")


def _type_label(field: FieldInfo) -> str:
    label = "URL" if _is_url(field) else _annotation_label(field.annotation)
    bounds = [
        f"{symbol} {getattr(item, attribute)}"
        for item in field.metadata
        for attribute, symbol in BOUNDS
        if getattr(item, attribute, None) is not None
    ]
    patterns = [
        f"matches `{item.pattern}`" for item in field.metadata if getattr(item, "pattern", None)
    ]
    return ", ".join([label, *bounds, *patterns])


def _annotation_label(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _annotation_label(get_args(annotation)[0])
    if origin in (Union, UnionType):
        members = [member for member in get_args(annotation) if member is not NoneType]
        return " or ".join(_annotation_label(member) for member in members)
    if origin is Literal:
        return " or ".join(f"`{choice}`" for choice in get_args(annotation))
    if origin is dict:
        return "JSON object"
    return TYPE_LABELS[annotation]


def _default_label(field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None:
        return NOT_SET
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"
