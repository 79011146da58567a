"""What each import kind reads: its columns, key and references, declared once.

The validator, the loader, ``retain ingest --help`` and docs/data.md all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "timestamp", "decimal", "integer", "number"]
CURRENCY_PATTERN = "^[A-Z]{3}$"


@dataclass(frozen=True)
class Column:
    """One column of an import kind."""

    name: str
    type: ColumnType
    description: str
    example: str
    required: bool = True
    non_negative: bool = False
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    # Columns that only the store keeps (personal data): never copied into the warehouse.
    store_only: bool = False


@dataclass(frozen=True)
class Reference:
    """A column whose values must exist in another warehouse table."""

    column: str
    table: str
    table_column: str
    reason: str


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row, as a SQL condition that must hold."""

    condition: str
    column: str
    reason: str


@dataclass(frozen=True)
class Kind:
    """An import kind: a file of one shape, loaded into one canonical warehouse table."""

    name: str
    table: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    row_checks: tuple[RowCheck, ...] = ()
    # When the key column is missing from the file, it is derived from the row's content, so
    # that a re-import of the same events maps to the same ids.
    derived_key: bool = False
    # Unmapped file columns are kept as a JSON object in this column instead of being ignored.
    extra_columns_into: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def warehouse_columns(self) -> list[str]:
        names = [column.name for column in self.columns if not column.store_only]
        return names + ([self.extra_columns_into] if self.extra_columns_into else [])

    @property
    def store_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.store_only]


def _id(name: str, what: str, example: str, required: bool = True) -> Column:
    return Column(
        name,
        "string",
        f"Identifier of the {what}, as your systems spell it.",
        example,
        required=required,
    )


def _customer_id() -> Column:
    return _id("customer_id", "customer", "C0000042")


def _money(name: str, description: str, example: str, required: bool = True) -> Column:
    return Column(name, "decimal", description, example, required=required, non_negative=True)


def _currency() -> Column:
    return Column(
        "currency",
        "string",
        "ISO 4217 currency code of the amounts.",
        "CNY",
        required=False,
        pattern=CURRENCY_PATTERN,
    )


KNOWN_CUSTOMER = Reference("customer_id", "customer", "customer_id", "unknown customer")

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="customers",
            table="customer",
            description="Customer profiles. Import them before anything that names a customer.",
            key=("customer_id",),
            extra_columns_into="attributes",
            columns=(
                _customer_id(),
                Column(
                    "signup_at", "timestamp", "When the customer signed up.", "2025-03-01 09:30:00"
                ),
                Column(
                    "country",
                    "string",
                    "ISO 3166 two-letter country code.",
                    "CN",
                    required=False,
                    pattern="^[A-Z]{2}$",
                ),
                Column("channel", "string", "Acquisition channel.", "paid_search", required=False),
                Column(
                    "language", "string", "Preferred language (BCP 47).", "zh-CN", required=False
                ),
                Column("name", "string", "Full name.", "王芳", required=False, store_only=True),
                Column(
                    "email",
                    "string",
                    "E-mail address.",
                    "fang.wang@example.com",
                    required=False,
                    store_only=True,
                    pattern="^[^@\\s]+@[^@\\s]+$",
                ),
                Column(
                    "phone",
                    "string",
                    "Phone number, E.164 preferred.",
                    "+8613800138000",
                    required=False,
                    store_only=True,
                ),
                Column(
                    "time_zone",
                    "string",
                    "IANA time zone, for quiet hours.",
                    "Asia/Shanghai",
                    required=False,
                    store_only=True,
                ),
            ),
        ),
        Kind(
            name="orders",
            table="order",
            description="One row per order.",
            key=("order_id",),
            references=(KNOWN_CUSTOMER,),
            defaults={"status": "paid"},
            columns=(
                _id("order_id", "order", "SO-2025-000123"),
                _customer_id(),
                Column(
                    "ordered_at",
                    "timestamp",
                    "When the order was placed.",
                    "2025-03-02T14:05:00+08:00",
                ),
                _money("amount", "Order total after discounts.", "199.00"),
                _currency(),
                Column(
                    "status",
                    "string",
                    "Order status.",
                    "paid",
                    required=False,
                    choices=("paid", "refunded", "partially_refunded", "cancelled", "pending"),
                ),
                _money("discount", "Discount granted on the order.", "20.00", required=False),
            ),
        ),
        Kind(
            name="order-lines",
            table="order_line",
            description="One row per product on an order. Import the orders first.",
            key=("order_id", "line_number"),
            references=(Reference("order_id", "order", "order_id", "unknown order"),),
            columns=(
                _id("order_id", "order", "SO-2025-000123"),
                Column(
                    "line_number",
                    "integer",
                    "Position of the line on its order.",
                    "1",
                    non_negative=True,
                ),
                _id("product_id", "product", "SKU-0042"),
                Column("product_name", "string", "Product name.", "Green tea 绿茶", required=False),
                Column("category", "string", "Product category.", "tea", required=False),
                Column("quantity", "integer", "Units bought.", "2", non_negative=True),
                _money("unit_price", "Price of one unit.", "49.50"),
                _money("amount", "Line total.", "99.00", required=False),
            ),
        ),
        Kind(
            name="subscription-changes",
            table="subscription_change",
            description="Every change of a customer's recurring revenue (MRR).",
            key=("change_id",),
            derived_key=True,
            references=(KNOWN_CUSTOMER,),
            row_checks=(
                RowCheck(
                    "kind NOT IN ('new', 'reactivation') OR (mrr_before = 0 AND mrr_after > 0)",
                    "kind",
                    "a new or reactivated subscription goes from 0 to a positive MRR",
                ),
                RowCheck(
                    "kind <> 'churn' OR (mrr_before > 0 AND mrr_after = 0)",
                    "kind",
                    "a churn goes from a positive MRR to 0",
                ),
                RowCheck(
                    "kind <> 'expansion' OR mrr_after > mrr_before",
                    "kind",
                    "an expansion raises the MRR",
                ),
                RowCheck(
                    "kind <> 'contraction' OR (mrr_after < mrr_before AND mrr_after > 0)",
                    "kind",
                    "a contraction lowers the MRR but keeps it above 0",
                ),
            ),
            columns=(
                _id("change_id", "change", "SC-000981", required=False),
                _customer_id(),
                _id("subscription_id", "subscription", "SUB-0042", required=False),
                Column(
                    "changed_at", "timestamp", "When the change took effect.", "2025-04-01 00:00:00"
                ),
                Column("plan", "string", "Plan after the change.", "pro", required=False),
                _money("mrr_before", "Monthly recurring revenue before the change.", "0"),
                _money("mrr_after", "Monthly recurring revenue after the change.", "99.00"),
                _currency(),
                Column(
                    "kind",
                    "string",
                    "What the change was.",
                    "new",
                    choices=("new", "expansion", "contraction", "churn", "reactivation"),
                ),
                Column(
                    "renews_at",
                    "timestamp",
                    "Next renewal date after the change.",
                    "2025-05-01 00:00:00",
                    required=False,
                ),
            ),
        ),
        Kind(
            name="usage-events",
            table="usage_event",
            description="Product-usage events, raw or aggregated per day.",
            key=("event_id",),
            derived_key=True,
            references=(KNOWN_CUSTOMER,),
            defaults={"quantity": "1"},
            columns=(
                _id("event_id", "event", "EV-77001", required=False),
                _customer_id(),
                Column("occurred_at", "timestamp", "When it happened.", "2025-04-02 10:11:12"),
                Column("name", "string", "What the customer did.", "report_run"),
                Column(
                    "quantity",
                    "number",
                    "How many times or how much.",
                    "3",
                    required=False,
                    non_negative=True,
                ),
            ),
        ),
        Kind(
            name="survey-responses",
            table="survey_response",
            description="Answers to NPS (0-10), CSAT (1-5) and CES (1-7) surveys.",
            key=("response_id",),
            derived_key=True,
            references=(KNOWN_CUSTOMER,),
            row_checks=(
                RowCheck(
                    "kind <> 'NPS' OR score BETWEEN 0 AND 10",
                    "score",
                    "an NPS score is between 0 and 10",
                ),
                RowCheck(
                    "kind <> 'CSAT' OR score BETWEEN 1 AND 5",
                    "score",
                    "a CSAT score is between 1 and 5",
                ),
                RowCheck(
                    "kind <> 'CES' OR score BETWEEN 1 AND 7",
                    "score",
                    "a CES score is between 1 and 7",
                ),
            ),
            columns=(
                _id("response_id", "response", "R-1001", required=False),
                _customer_id(),
                Column("kind", "string", "Survey kind.", "NPS", choices=("NPS", "CSAT", "CES")),
                Column("score", "integer", "The score given.", "9"),
                Column(
                    "comment", "string", "Free-text comment.", "物流很快，包装很好", required=False
                ),
                Column("language", "string", "Language of the comment.", "zh-CN", required=False),
                Column("answered_at", "timestamp", "When it was answered.", "2025-05-06 20:00:00"),
            ),
        ),
        Kind(
            name="ticket-events",
            table="ticket_event",
            description="What happened to support tickets: opened, replied, resolved, closed.",
            key=("event_id",),
            derived_key=True,
            references=(KNOWN_CUSTOMER,),
            columns=(
                _id("event_id", "event", "TE-5001", required=False),
                _id("ticket_id", "ticket", "T-301"),
                _customer_id(),
                Column("occurred_at", "timestamp", "When it happened.", "2025-05-07 08:00:00"),
                Column(
                    "kind",
                    "string",
                    "What happened.",
                    "opened",
                    choices=("opened", "replied", "resolved", "closed", "reopened"),
                ),
                Column("channel", "string", "Where the ticket came in.", "chat", required=False),
                Column(
                    "priority",
                    "string",
                    "Ticket priority.",
                    "normal",
                    required=False,
                    choices=("low", "normal", "high", "urgent"),
                ),
                Column(
                    "subject", "string", "Ticket subject.", "Refund not received", required=False
                ),
                Column(
                    "satisfaction",
                    "integer",
                    "Satisfaction 1-5 given at closing.",
                    "4",
                    required=False,
                ),
            ),
        ),
        Kind(
            name="return-events",
            table="return_event",
            description="Returned goods and the refunds they caused. Import the orders first.",
            key=("return_id",),
            references=(
                KNOWN_CUSTOMER,
                Reference("order_id", "order", "order_id", "unknown order"),
            ),
            columns=(
                _id("return_id", "return", "RMA-0091"),
                _id("order_id", "order", "SO-2025-000123"),
                _customer_id(),
                Column(
                    "returned_at",
                    "timestamp",
                    "When the return was received.",
                    "2025-03-10 11:00:00",
                ),
                _money("amount", "Amount refunded.", "99.00"),
                _currency(),
                Column("reason", "string", "Why it came back.", "damaged", required=False),
                Column("status", "string", "Return status.", "refunded", required=False),
            ),
        ),
    )
}


def get_kind(name: str) -> Kind:
    """The import kind called ``name``; a clear error naming the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(KINDS)
        raise ValueError(f"unknown import kind {name!r}; known kinds: {known}") from None
