"""Generate a realistic demo business as Parquet files, one per import kind, plus its ground truth.

The generating model (every number is a field of :class:`DemoModel` and is written to
``params.json`` next to the data; times are days, money is USD unless said otherwise):

* **Customers.** Sign-ups spread over ``years`` before ``as_of`` with a density growing 60 % a
  year, at local daytime hours. Country, channel and language from the tables below (about 45 %
  Chinese-speaking, written ``zh-CN``). 40 % subscribe to the software product at sign-up; every
  other customer, and 30 % of subscribers, also buys in the shop. Each customer has an
  engagement ``e ~ LogNormal(-0.18, 0.6)`` (mean 1) and a satisfaction ``s ~ Normal(0, 1)``.
* **Shop: BG/NBD buy-till-you-die** (Fader, Hardie & Lee 2005, "Counting your customers the easy
  way"). The first order is at sign-up. While alive, a buyer orders at Poisson rate
  ``lambda ~ Gamma(r=2, alpha=60)`` per day (mean one order every 30 days). After each repeat
  order the buyer leaves for good with probability ``p ~ Beta(a=1.2, b=8)``; ``dropped_out_at`` is
  the time of that last order. Hence ``E[orders] = 1 + (1 - exp(-lambda p T)) / p`` over ``T`` days.
* **Spend: Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"). Per buyer
  ``nu ~ Gamma(q=4, rate gamma=30)``; each order's target value ``z ~ Gamma(p=6, rate nu)`` USD,
  so ``spend_mean = p / nu`` (60 USD on average). The value is what the customer pays: 12 % of
  orders get a 5-20 % discount, and their basket is fuller by as much. The basket has
  1 + Poisson(0.6) lines (at most 5), splitting it by Dirichlet(2, ...) shares; each line is a
  catalogue product priced between a quarter of its share and its share, quantity rounded up or
  down at random so that the expected amount equals the share. CN customers pay catalogue
  prices in CNY (about 7 CNY per USD; their ``spend_mean`` is converted).
* **Returns.** 6 % of orders come back 2 + Exponential(7) days later (if before ``as_of``); 55 %
  of those in full (the order becomes ``refunded``), the rest for 15-85 % of the amount.
* **Subscriptions.** Plans basic/pro/team at 55/35/10 %, 29/79 USD (199/549 CNY) a month and
  39 USD (269 CNY) a seat for 3-10 seats. Monthly renewals on the sign-up day of month. At each
  renewal the subscriber churns with probability ``base(plan) * e**-1 * exp(-0.35 s) *
  channel factor`` (base 4.5/2.5/1.5 %, at most 50 %); otherwise, during the next month, an
  expansion happens with probability ``2 % * e`` and a contraction with ``1.2 % / e``. A churned
  subscriber comes back with probability 25 % after an Exponential(120) gap.
* **Usage** (only while subscribed, one row per customer, day and event name). Each local day a
  subscriber is active with probability ``0.15 e`` (times 0.3 at weekends, at most 0.95); an
  active day has a ``login`` and, with probabilities 45/15/5 %, ``report_run``, ``export`` and
  ``invite_sent``; quantities are ``1 + Poisson(mean * e * d)``. Before every churn the decline
  ``d`` falls linearly from 1 to 0.05 over the last 30-90 (uniform) days, and scales the activity
  probability too; ``usage_decline_at`` records when the decline before the final churn began.
* **Leaving.** A customer leaves when the shop relationship (dropout) and the subscription
  (final churn) have both ended before ``as_of``; the later of the two ends is when they left.
* **Surveys.** 1.2 responses a year over each customer's relationship (plus 14 days after it
  ends), 55 % NPS and 45 % CSAT. With ``m = s - 0.5 [leaves] - 0.6 [within 120 days before
  leaving]``, NPS is ``round(7.6 + 1.9 m + Normal(0, 1))`` clipped to 0-10 and CSAT
  ``round(4.0 + 0.9 m + Normal(0, 0.6))`` clipped to 1-5. 65 % carry a comment in the customer's
  language: positive for NPS 9-10 or CSAT 4-5, negative for NPS 0-6 or CSAT 1-2.
* **Tickets.** 0.35 a year for shop-only customers and 0.8 for subscribers, 2.5 times as many for
  customers who leave, half of those in their last 60 days; the events follow a few life-cycle
  templates (some reopened); the satisfaction on each closing is
  ``round(3.9 + 0.9 m + Normal(0, 0.7))`` clipped to 1-5.
* **Truth** (``truth.parquet``, one row per customer): ``is_buyer``, ``is_subscriber``,
  ``lambda``, ``dropout_p``, ``dropped_out_at``, ``shop_alive``, ``subscription_active``,
  ``alive`` (either of the two), ``churned_at`` (final churn, null if none or reactivated),
  ``usage_decline_at``, ``spend_mean`` (in ``currency``), ``engagement`` and ``satisfaction``.

Caveats, on purpose: times of day follow one diurnal curve applied in each customer's fixed UTC
offset (daylight saving ignored); usage declines before churns that were later undone by a
reactivation are in the data but only the final churn is in the truth; survey scores are shifted
for leavers by construction rather than causing their leaving (only subscription churn depends
on ``s``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from retain.clock import utcnow
from retain.ingest.demo.vocabulary import (
    CATALOGUE,
    CHANGE_KINDS,
    CHANNELS,
    CHURN,
    CLOSED,
    CN,
    COMMENTS,
    CONTRACTION,
    COUNTRIES,
    EMAIL_DOMAINS,
    EXPANSION,
    FIRST_NAMES,
    GIVEN_CHARACTERS,
    HOUR_WEIGHTS,
    LANGUAGES,
    LAST_NAMES,
    NEW,
    PLANS,
    PRIORITIES,
    REACTIVATION,
    RETURN_REASONS,
    SUBJECTS,
    SURNAMES,
    TICKET_CHANNELS,
    TICKET_KINDS,
    TICKET_TEMPLATES,
    TIME_ZONES,
)
from retain.ingest.kinds import KINDS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CHUNK_SIZE = 100_000
# Usage is expanded one customer-day per element; batches bound the memory this takes.
USAGE_BATCH_DAYS = 3_000_000
EPOCH = datetime(1970, 1, 1)
SECOND = 1 / 86_400
MINUTE = 60 * SECOND
DAYS_PER_YEAR = 365.25
# One file per import kind, in the order they import (everything names customers first).
DEMO_KINDS = tuple(KINDS)


@dataclass(frozen=True)
class DemoModel:
    """Every number the generator draws with; written to params.json."""

    growth_per_year: float = 0.6
    subscriber_share: float = 0.40
    subscriber_buyer_share: float = 0.30
    engagement_sigma: float = 0.6
    # BG/NBD: lambda ~ Gamma(shape r, rate alpha) per day, p ~ Beta(a, b).
    purchase_rate_shape: float = 2.0
    purchase_rate_rate: float = 60.0
    dropout_a: float = 1.2
    dropout_b: float = 8.0
    # Gamma-Gamma: nu ~ Gamma(shape q, rate gamma), order value ~ Gamma(shape p, rate nu), in USD.
    order_value_shape: float = 6.0
    spend_shape: float = 4.0
    spend_rate: float = 30.0
    cny_per_usd: float = 7.0
    extra_lines_mean: float = 0.6
    max_lines: int = 5
    max_quantity: int = 20
    discount_share: float = 0.12
    discount_rates: tuple[float, ...] = (0.05, 0.10, 0.15, 0.20)
    return_share: float = 0.06
    full_return_share: float = 0.55
    return_delay_min_days: float = 2.0
    return_delay_mean_days: float = 7.0
    partial_return_range: tuple[float, float] = (0.15, 0.85)
    return_reason_shares: tuple[float, ...] = (0.25, 0.15, 0.20, 0.30, 0.10)
    # Subscriptions: plans basic, pro, team; team is priced per seat.
    plan_shares: tuple[float, float, float] = (0.55, 0.35, 0.10)
    plan_price_usd: tuple[float, float, float] = (29.0, 79.0, 39.0)
    plan_price_cny: tuple[float, float, float] = (199.0, 549.0, 269.0)
    team_seats: tuple[int, int] = (3, 10)
    monthly_churn: tuple[float, float, float] = (0.045, 0.025, 0.015)
    churn_engagement_exponent: float = -1.0
    churn_satisfaction_effect: float = -0.35
    max_monthly_churn: float = 0.5
    monthly_expansion: float = 0.02
    monthly_contraction: float = 0.012
    reactivation_share: float = 0.25
    reactivation_gap_mean_days: float = 120.0
    # Usage.
    weekday_activity: float = 0.15
    weekend_factor: float = 0.3
    max_activity: float = 0.95
    usage_names: tuple[str, ...] = ("login", "report_run", "export", "invite_sent")
    usage_name_probability: tuple[float, ...] = (1.0, 0.45, 0.15, 0.05)
    usage_quantity_mean: tuple[float, ...] = (1.5, 2.0, 0.8, 0.5)
    decline_days: tuple[float, float] = (30.0, 90.0)
    decline_floor: float = 0.05
    # Surveys.
    responses_per_year: float = 1.2
    nps_share: float = 0.55
    comment_share: float = 0.65
    leaver_score_shift: float = -0.5
    end_score_shift: float = -0.6
    end_score_days: float = 120.0
    nps_center: float = 7.6
    nps_scale: float = 1.9
    nps_noise: float = 1.0
    csat_center: float = 4.0
    csat_scale: float = 0.9
    csat_noise: float = 0.6
    after_end_days: float = 14.0
    # Tickets.
    tickets_per_year_shop: float = 0.35
    tickets_per_year_subscriber: float = 0.8
    leaver_ticket_factor: float = 2.5
    leaver_recent_share: float = 0.5
    leaver_recent_days: float = 60.0
    ticket_template_shares: tuple[float, ...] = (0.62, 0.20, 0.10, 0.08)
    ticket_channel_shares: tuple[float, ...] = (0.45, 0.40, 0.15)
    priority_shares: tuple[float, ...] = (0.20, 0.55, 0.20, 0.05)
    leaver_priority_shares: tuple[float, ...] = (0.10, 0.45, 0.33, 0.12)
    satisfaction_center: float = 3.9
    satisfaction_scale: float = 0.9
    satisfaction_noise: float = 0.7


@dataclass(frozen=True)
class DemoBusiness:
    """Where a generated demo business was written."""

    out_dir: Path
    files: dict[str, Path]
    truth_path: Path
    params_path: Path


_TIMESTAMP = pa.timestamp("us")
SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.string()),
            ("signup_at", _TIMESTAMP),
            ("country", pa.string()),
            ("channel", pa.string()),
            ("language", pa.string()),
            ("name", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("time_zone", pa.string()),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("ordered_at", _TIMESTAMP),
            ("amount", pa.float64()),
            ("currency", pa.string()),
            ("status", pa.string()),
            ("discount", pa.float64()),
        ]
    ),
    "order-lines": pa.schema(
        [
            ("order_id", pa.string()),
            ("line_number", pa.int64()),
            ("product_id", pa.string()),
            ("product_name", pa.string()),
            ("category", pa.string()),
            ("quantity", pa.int64()),
            ("unit_price", pa.float64()),
            ("amount", pa.float64()),
        ]
    ),
    "subscription-changes": pa.schema(
        [
            ("change_id", pa.string()),
            ("customer_id", pa.string()),
            ("subscription_id", pa.string()),
            ("changed_at", _TIMESTAMP),
            ("plan", pa.string()),
            ("mrr_before", pa.float64()),
            ("mrr_after", pa.float64()),
            ("currency", pa.string()),
            ("kind", pa.string()),
            ("renews_at", _TIMESTAMP),
        ]
    ),
    "usage-events": pa.schema(
        [
            ("event_id", pa.string()),
            ("customer_id", pa.string()),
            ("occurred_at", _TIMESTAMP),
            ("name", pa.string()),
            ("quantity", pa.float64()),
        ]
    ),
    "survey-responses": pa.schema(
        [
            ("response_id", pa.string()),
            ("customer_id", pa.string()),
            ("kind", pa.string()),
            ("score", pa.int64()),
            ("comment", pa.string()),
            ("language", pa.string()),
            ("answered_at", _TIMESTAMP),
        ]
    ),
    "ticket-events": pa.schema(
        [
            ("event_id", pa.string()),
            ("ticket_id", pa.string()),
            ("customer_id", pa.string()),
            ("occurred_at", _TIMESTAMP),
            ("kind", pa.string()),
            ("channel", pa.string()),
            ("priority", pa.string()),
            ("subject", pa.string()),
            ("satisfaction", pa.int64()),
        ]
    ),
    "return-events": pa.schema(
        [
            ("return_id", pa.string()),
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("returned_at", _TIMESTAMP),
            ("amount", pa.float64()),
            ("currency", pa.string()),
            ("reason", pa.string()),
            ("status", pa.string()),
        ]
    ),
    "truth": pa.schema(
        [
            ("customer_id", pa.string()),
            ("is_buyer", pa.bool_()),
            ("is_subscriber", pa.bool_()),
            ("lambda", pa.float64()),
            ("dropout_p", pa.float64()),
            ("dropped_out_at", _TIMESTAMP),
            ("shop_alive", pa.bool_()),
            ("subscription_active", pa.bool_()),
            ("alive", pa.bool_()),
            ("churned_at", _TIMESTAMP),
            ("usage_decline_at", _TIMESTAMP),
            ("spend_mean", pa.float64()),
            ("currency", pa.string()),
            ("engagement", pa.float64()),
            ("satisfaction", pa.float64()),
        ]
    ),
}
# Digits of the running numbers in each kind of id.
ID_WIDTHS = {
    "order": 10,
    "change": 9,
    "usage": 11,
    "response": 9,
    "ticket": 8,
    "event": 10,
    "return": 8,
}


def generate_demo(
    *,
    out_dir: Path,
    customers: int = 5000,
    seed: int = 7,
    as_of: datetime | None = None,
    years: float = 2.0,
    on_progress: Callable[[int, int], None] | None = None,
) -> DemoBusiness:
    """Write a demo business of ``customers`` customers up to ``as_of`` into ``out_dir``."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if years <= 0:
        raise ValueError("years must be positive")
    if as_of is None:
        as_of = _current_month_start()
    # Whole seconds, so that times rounded to the second stay before as_of.
    as_of = _naive_utc(as_of).replace(microsecond=0)
    clock = _Clock.spanning(as_of=as_of, years=years)
    model = DemoModel()
    out_dir.mkdir(parents=True, exist_ok=True)
    business = DemoBusiness(
        out_dir=out_dir,
        files={kind: out_dir / f"{kind}.parquet" for kind in DEMO_KINDS},
        truth_path=out_dir / "truth.parquet",
        params_path=out_dir / "params.json",
    )
    paths = {**business.files, "truth": business.truth_path}
    signups = _draw_signup_days(seed=seed, customers=customers, clock=clock, model=model)
    counters = _Counters()
    id_width = max(7, len(str(customers)))
    with _Sink(paths) as sink:
        for index, first in enumerate(range(0, customers, CHUNK_SIZE)):
            rng = np.random.default_rng([seed, index])
            tables = _generate_chunk(
                rng=rng,
                model=model,
                clock=clock,
                counters=counters,
                signup=signups[first : first + CHUNK_SIZE],
                first_number=first + 1,
                id_width=id_width,
            )
            sink.write(tables)
            if on_progress is not None:
                on_progress(min(first + CHUNK_SIZE, customers), customers)
    _write_params(business.params_path, seed=seed, customers=customers, clock=clock, model=model)
    return business


# ---------------------------------------------------------------------------------------------
# Time, ids and output


@dataclass(frozen=True)
class _Clock:
    """The simulated period, as days since the Unix epoch."""

    start: float
    as_of: float

    @classmethod
    def spanning(cls, *, as_of: datetime, years: float) -> _Clock:
        end = _to_days(as_of)
        start = round((end - years * DAYS_PER_YEAR) * 86_400) / 86_400
        return cls(start=start, as_of=end)

    @property
    def last(self) -> float:
        """The last instant anything may happen: one second before as_of."""
        return self.as_of - SECOND


@dataclass
class _Counters:
    """Running numbers of ids that continue from chunk to chunk."""

    used: dict[str, int] = field(default_factory=dict)

    def take(self, kind: str, count: int) -> IntArray:
        first = self.used.get(kind, 0) + 1
        self.used[kind] = first + count - 1
        return np.arange(first, first + count, dtype=np.int64)


class _Sink:
    """One ParquetWriter per output file, each chunk appended as a row group."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._writers = {
            name: pq.ParquetWriter(path, SCHEMAS[name], compression="zstd")
            for name, path in paths.items()
        }

    def __enter__(self) -> _Sink:
        return self

    def __exit__(self, *_: object) -> None:
        for writer in self._writers.values():
            writer.close()

    def write(self, tables: dict[str, pa.Table]) -> None:
        for name, table in tables.items():
            self._writers[name].write_table(table)


def _current_month_start() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, 1)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _to_days(moment: datetime) -> float:
    return (moment - EPOCH) / timedelta(days=1)


def _from_days(days: float) -> datetime:
    return EPOCH + timedelta(seconds=round(days * 86_400))


def _timestamps(days: FloatArray) -> pa.Array:
    """Naive UTC timestamps to the second; NaN becomes null."""
    missing = np.isnan(days)
    seconds = np.rint(np.where(missing, 0.0, days) * 86_400).astype(np.int64)
    return pa.array(seconds * 1_000_000, type=_TIMESTAMP, mask=missing)


def _money(cents: IntArray) -> pa.Array:
    return pa.array(cents / 100, type=pa.float64())


def _digits(numbers: IntArray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")


def _ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, _digits(numbers, width), "")


def _pick(values: tuple[str, ...] | list[str], indices: npt.ArrayLike) -> pa.Array:
    return pa.array(values, type=pa.string()).take(pa.array(indices))


def _expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For groups of the given sizes: each element's group and its position within the group."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _time_of_day(rng: np.random.Generator, size: int) -> FloatArray:
    hours = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return (hours + rng.random(size)) / 24


def _at_local_daytime(rng: np.random.Generator, at: FloatArray, offset: FloatArray) -> FloatArray:
    """Move each instant to a busy local hour of the same local day."""
    local_day = np.floor(at + offset)
    return local_day + _time_of_day(rng, at.size) - offset


def _add_months(at: FloatArray, months: IntArray) -> FloatArray:
    """The same day of the month and time, ``months`` later; short months clip to their last day."""
    day = np.floor(at)
    date = day.astype(np.int64).astype("datetime64[D]")
    month = date.astype("datetime64[M]")
    day_of_month = (date - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    shifted = first + np.minimum(day_of_month, length - 1).astype("timedelta64[D]")
    return shifted.astype(np.int64).astype(np.float64) + (at - day)


def _write_params(
    path: Path, *, seed: int, customers: int, clock: _Clock, model: DemoModel
) -> None:
    params = {
        "seed": seed,
        "customers": customers,
        "as_of": _from_days(clock.as_of).isoformat(),
        "start": _from_days(clock.start).isoformat(),
        "chunk_size": CHUNK_SIZE,
        "model": asdict(model),
        "countries": [asdict(country) for country in COUNTRIES],
        "channels": [
            {"channel": name, "share": share, "churn_factor": factor}
            for name, share, factor in CHANNELS
        ],
        "hour_weights": HOUR_WEIGHTS.tolist(),
        "catalogue": [
            {
                "product_id": f"SKU-{number:04d}",
                "category": category,
                "name_en": english,
                "name_zh": chinese,
                "price_usd": usd,
                "price_cny": _cny_cents(usd) / 100,
            }
            for number, (category, english, chinese, usd) in enumerate(CATALOGUE, start=1)
        ],
        "ticket_templates": [
            [{"kind": TICKET_KINDS[kind], "mean_hours": hours} for kind, hours in template]
            for template in TICKET_TEMPLATES
        ],
    }
    path.write_text(json.dumps(params, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Customers


@dataclass
class _People:
    """The customers of one chunk; index i is customer number first_number + i."""

    first_number: int
    ids: pa.Array
    digits: pa.Array
    signup: FloatArray
    country: IntArray
    chinese: BoolArray
    time_zone: IntArray
    offset: FloatArray  # UTC offset in days, for local times of day
    channel: IntArray
    is_buyer: BoolArray
    is_subscriber: BoolArray
    engagement: FloatArray
    satisfaction: FloatArray

    @property
    def size(self) -> int:
        return self.signup.size

    @property
    def cny(self) -> BoolArray:
        return self.country == CN

    @property
    def language(self) -> IntArray:
        return self.chinese.astype(np.int64)


def _draw_signup_days(*, seed: int, customers: int, clock: _Clock, model: DemoModel) -> FloatArray:
    """Sign-up days of all customers in order, so that customer numbers follow sign-up time."""
    rng = np.random.default_rng([seed, 1 << 30])
    growth = np.log1p(model.growth_per_year) / DAYS_PER_YEAR
    span = clock.as_of - clock.start
    # Inverse of the CDF of a density growing as exp(growth * t) over the period.
    days = np.log1p(rng.random(customers) * np.expm1(growth * span)) / growth
    return np.sort(clock.start + days)


def _draw_people(
    rng: np.random.Generator,
    *,
    model: DemoModel,
    clock: _Clock,
    signup: FloatArray,
    first_number: int,
    id_width: int,
) -> _People:
    size = signup.size
    country = rng.choice(len(COUNTRIES), size=size, p=[c.share for c in COUNTRIES])
    time_zone = _draw_time_zones(rng, country)
    offset = np.array([zone[1] for zone in TIME_ZONES])[time_zone] / 24
    chinese_share = np.array([c.chinese_share for c in COUNTRIES])[country]
    signup = np.clip(_at_local_daytime(rng, signup, offset), clock.start, clock.last - MINUTE)
    is_subscriber = rng.random(size) < model.subscriber_share
    sigma = model.engagement_sigma
    digits = _digits(np.arange(first_number, first_number + size, dtype=np.int64), id_width)
    return _People(
        first_number=first_number,
        ids=pc.binary_join_element_wise("C", digits, ""),
        digits=digits,
        signup=signup,
        country=country,
        chinese=rng.random(size) < chinese_share,
        time_zone=time_zone,
        offset=offset,
        channel=rng.choice(len(CHANNELS), size=size, p=[c[1] for c in CHANNELS]),
        is_buyer=~is_subscriber | (rng.random(size) < model.subscriber_buyer_share),
        is_subscriber=is_subscriber,
        engagement=rng.lognormal(-(sigma**2) / 2, sigma, size),
        satisfaction=rng.standard_normal(size),
    )


def _draw_time_zones(rng: np.random.Generator, country: IntArray) -> IntArray:
    time_zone = np.zeros(country.size, dtype=np.int64)
    first = 0
    for index, spec in enumerate(COUNTRIES):
        members = np.flatnonzero(country == index)
        shares = np.array([zone[2] for zone in spec.time_zones])
        time_zone[members] = first + rng.choice(shares.size, size=members.size, p=shares)
        first += shares.size
    return time_zone


def _customers_table(rng: np.random.Generator, people: _People) -> pa.Table:
    names, emails = _names_and_emails(rng, people)
    return pa.Table.from_arrays(
        [
            people.ids,
            _timestamps(people.signup),
            _pick([c.code for c in COUNTRIES], people.country),
            _pick([c[0] for c in CHANNELS], people.channel),
            _pick(LANGUAGES, people.language),
            names,
            emails,
            _phones(rng, people),
            _pick([zone[0] for zone in TIME_ZONES], people.time_zone),
        ],
        schema=SCHEMAS["customers"],
    )


def _names_and_emails(rng: np.random.Generator, people: _People) -> tuple[pa.Array, pa.Array]:
    """Chinese names for zh-CN customers, English ones otherwise; e-mails unique by number."""
    size = people.size
    weights = np.array([s[2] for s in SURNAMES])
    surname = rng.choice(len(SURNAMES), size=size, p=weights / weights.sum())
    given = rng.integers(0, len(GIVEN_CHARACTERS), size=(2, size))
    two = rng.random(size) < 0.6
    first, last = (rng.integers(0, len(pool), size) for pool in (FIRST_NAMES, LAST_NAMES))

    def given_part(column: int, element: int) -> pa.Array:
        taken = _pick([g[column] for g in GIVEN_CHARACTERS], given[element])
        return taken if element == 0 else pc.if_else(pa.array(two), taken, "")

    chinese = pc.binary_join_element_wise(
        _pick([s[0] for s in SURNAMES], surname), given_part(0, 0), given_part(0, 1), ""
    )
    english = pc.binary_join_element_wise(_pick(FIRST_NAMES, first), _pick(LAST_NAMES, last), " ")
    pinyin = pc.binary_join_element_wise(
        pc.binary_join_element_wise(given_part(1, 0), given_part(1, 1), ""),
        _pick([s[1] for s in SURNAMES], surname),
        ".",
    )
    english_local = pc.utf8_lower(
        pc.binary_join_element_wise(_pick(FIRST_NAMES, first), _pick(LAST_NAMES, last), ".")
    )
    is_chinese = pa.array(people.chinese)
    domain = _pick(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), size))
    local = pc.binary_join_element_wise(
        pc.if_else(is_chinese, pinyin, english_local), people.digits, "."
    )
    emails = pc.binary_join_element_wise(local, domain, "@")
    return pc.if_else(is_chinese, chinese, english), emails


def _phones(rng: np.random.Generator, people: _People) -> pa.Array:
    """E.164 mobile numbers in each customer's country format."""
    parts, members = [], []
    for index, spec in enumerate(COUNTRIES):
        member = np.flatnonzero(people.country == index)
        prefix = _pick(spec.phone_prefixes, rng.integers(0, len(spec.phone_prefixes), member.size))
        number = rng.integers(spec.phone_low, 10**spec.phone_digits, member.size)
        parts.append(pc.binary_join_element_wise(prefix, _digits(number, spec.phone_digits), ""))
        members.append(member)
    position = np.empty(people.size, dtype=np.int64)
    position[np.concatenate(members)] = np.arange(people.size)
    return pa.concat_arrays(parts).take(pa.array(position))


# ---------------------------------------------------------------------------------------------
# Shop: orders, lines, returns


@dataclass
class _Shop:
    """Buyers' BG/NBD and Gamma-Gamma draws and the orders they made."""

    buyer: IntArray  # people index of each buyer
    rate: FloatArray
    dropout: FloatArray
    spend_mean: FloatArray  # in the buyer's currency
    dropped_out_at: FloatArray  # NaN while alive
    order_buyer: IntArray  # buyer index of each order, orders sorted by buyer and time
    ordered_at: FloatArray
    order_value: FloatArray  # target value in USD


def _simulate_shop(
    rng: np.random.Generator, *, people: _People, clock: _Clock, model: DemoModel
) -> _Shop:
    buyer = np.flatnonzero(people.is_buyer)
    rate = rng.gamma(model.purchase_rate_shape, 1 / model.purchase_rate_rate, buyer.size)
    dropout = rng.beta(model.dropout_a, model.dropout_b, buyer.size)
    # The repeat order after which the buyer leaves: geometric on 1, 2, ...
    last_repeat = rng.geometric(dropout)
    birth = people.signup[buyer]
    window = clock.as_of - birth
    # A Poisson process conditioned on its count is sorted uniform times.
    possible = rng.poisson(rate * window)
    owner, rank = _expand(possible)
    at = birth[owner] + rng.random(owner.size) * window[owner]
    at = at[np.lexsort((at, owner))]
    kept = rank < last_repeat[owner]
    owner, at = owner[kept], at[kept]
    at = _at_local_daytime(rng, at, people.offset[buyer[owner]])
    at = np.clip(at, birth[owner] + MINUTE, clock.last)
    order_buyer = np.concatenate([np.arange(buyer.size), owner])
    ordered_at = np.concatenate([birth, at])
    order = np.lexsort((ordered_at, order_buyer))
    order_buyer, ordered_at = order_buyer[order], ordered_at[order]
    last_order = np.cumsum(np.bincount(order_buyer, minlength=buyer.size)) - 1
    died = last_repeat <= possible
    nu = rng.gamma(model.spend_shape, 1 / model.spend_rate, buyer.size)
    fx = np.where(people.cny[buyer], model.cny_per_usd, 1.0)
    return _Shop(
        buyer=buyer,
        rate=rate,
        dropout=dropout,
        spend_mean=model.order_value_shape / nu * fx,
        dropped_out_at=np.where(died, ordered_at[last_order], np.nan),
        order_buyer=order_buyer,
        ordered_at=ordered_at,
        order_value=rng.gamma(model.order_value_shape, 1 / nu[order_buyer]),
    )


def _cny_cents(usd: float) -> int:
    # Whole yuan at about 7 per USD, minus ten fen: prices that end in .90.
    return round(usd * 7) * 100 - 10


_BY_PRICE = np.argsort([item[3] for item in CATALOGUE], kind="stable")
_PRICE_USD = np.array([CATALOGUE[i][3] for i in _BY_PRICE])
_CENTS_USD = np.rint(_PRICE_USD * 100).astype(np.int64)
_CENTS_CNY = np.array([_cny_cents(CATALOGUE[i][3]) for i in _BY_PRICE], dtype=np.int64)


@dataclass
class _Lines:
    """Order lines, grouped by order; products indexed in catalogue-by-price order."""

    order: IntArray
    number: IntArray
    product: IntArray
    quantity: IntArray
    unit_cents: IntArray

    @property
    def cents(self) -> IntArray:
        return self.quantity * self.unit_cents


def _draw_lines(
    rng: np.random.Generator, *, order_value: FloatArray, cny: BoolArray, model: DemoModel
) -> _Lines:
    """Fill each order's target value with lines of products priced near each line's share."""
    count = np.minimum(1 + rng.poisson(model.extra_lines_mean, order_value.size), model.max_lines)
    order, rank = _expand(count)
    weight = rng.gamma(2.0, 1.0, order.size)
    share = order_value[order] * weight / np.bincount(order, weights=weight)[order]
    # Products priced between a quarter of the share and the share (the cheapest if none).
    high = np.maximum(np.searchsorted(_PRICE_USD, share, side="right"), 1)
    low = np.minimum(np.searchsorted(_PRICE_USD, share / 4, side="left"), high - 1)
    product = low + (rng.random(order.size) * (high - low)).astype(np.int64)
    # Rounding up or down at random keeps the expected line amount equal to its share.
    units = share / _PRICE_USD[product]
    units = np.floor(units) + (rng.random(order.size) < units % 1)
    quantity = np.clip(units, 1, model.max_quantity)
    return _Lines(
        order=order,
        number=rank + 1,
        product=product,
        quantity=quantity.astype(np.int64),
        unit_cents=np.where(cny[order], _CENTS_CNY[product], _CENTS_USD[product]),
    )


@dataclass
class _Returns:
    order: IntArray
    returned_at: FloatArray
    cents: IntArray
    reason: IntArray
    full: BoolArray


def _draw_returns(
    rng: np.random.Generator,
    *,
    ordered_at: FloatArray,
    amount_cents: IntArray,
    clock: _Clock,
    model: DemoModel,
) -> _Returns:
    size = ordered_at.size
    delay = model.return_delay_min_days + rng.exponential(model.return_delay_mean_days, size)
    returned_at = ordered_at + delay
    order = np.flatnonzero((rng.random(size) < model.return_share) & (returned_at < clock.last))
    amount = amount_cents[order]
    full = (rng.random(order.size) < model.full_return_share) | (amount < 2)
    low, high = model.partial_return_range
    partial = np.floor(amount * rng.uniform(low, high, order.size)).astype(np.int64)
    shares = np.array(model.return_reason_shares)
    return _Returns(
        order=order,
        returned_at=returned_at[order],
        cents=np.where(full, amount, np.clip(partial, 1, amount - 1)),
        reason=rng.choice(shares.size, size=order.size, p=shares / shares.sum()),
        full=full,
    )


def _shop_tables(
    rng: np.random.Generator,
    *,
    people: _People,
    shop: _Shop,
    clock: _Clock,
    model: DemoModel,
    counters: _Counters,
) -> dict[str, pa.Table]:
    owner = shop.buyer[shop.order_buyer]
    cny = people.cny[owner]
    rates = np.array(model.discount_rates)
    discounted = rng.random(owner.size) < model.discount_share
    rate = np.where(discounted, rates[rng.integers(0, rates.size, owner.size)], 0.0)
    # The value drawn is what the customer pays: discounted baskets are fuller by as much.
    value = shop.order_value / (1 - rate)
    lines = _draw_lines(rng, order_value=value, cny=cny, model=model)
    gross = np.bincount(lines.order, weights=lines.cents, minlength=owner.size)
    gross = np.rint(gross).astype(np.int64)
    discount = np.rint(gross * rate).astype(np.int64)
    amount = gross - discount
    returns = _draw_returns(
        rng, ordered_at=shop.ordered_at, amount_cents=amount, clock=clock, model=model
    )
    refunded = np.zeros(owner.size, dtype=bool)
    refunded[returns.order[returns.full]] = True
    order_ids = _ids("O", counters.take("order", owner.size), ID_WIDTHS["order"])
    currency = _pick(("USD", "CNY"), cny.astype(np.int64))
    orders = pa.Table.from_arrays(
        [
            order_ids,
            people.ids.take(pa.array(owner)),
            _timestamps(shop.ordered_at),
            _money(amount),
            currency,
            _pick(("paid", "refunded"), refunded.astype(np.int64)),
            _money(discount),
        ],
        schema=SCHEMAS["orders"],
    )
    return {
        "orders": orders,
        "order-lines": _lines_table(lines, order_ids=order_ids, chinese=people.chinese[owner]),
        "return-events": _returns_table(
            returns, order_ids=order_ids, orders=orders, counters=counters
        ),
    }


def _lines_table(lines: _Lines, *, order_ids: pa.Array, chinese: BoolArray) -> pa.Table:
    catalogue = [CATALOGUE[i] for i in _BY_PRICE]
    language = chinese[lines.order].astype(np.int64)
    # Names of both languages side by side: product p in language l is at 2 p + l.
    names = [name for item in catalogue for name in (item[1], item[2])]
    return pa.Table.from_arrays(
        [
            order_ids.take(pa.array(lines.order)),
            pa.array(lines.number),
            _pick([f"SKU-{i + 1:04d}" for i in _BY_PRICE], lines.product),
            _pick(names, 2 * lines.product + language),
            _pick([item[0] for item in catalogue], lines.product),
            pa.array(lines.quantity),
            _money(lines.unit_cents),
            _money(lines.cents),
        ],
        schema=SCHEMAS["order-lines"],
    )


def _returns_table(
    returns: _Returns, *, order_ids: pa.Array, orders: pa.Table, counters: _Counters
) -> pa.Table:
    taken = pa.array(returns.order)
    return pa.Table.from_arrays(
        [
            _ids("RMA", counters.take("return", returns.order.size), ID_WIDTHS["return"]),
            order_ids.take(taken),
            orders["customer_id"].take(taken),
            _timestamps(returns.returned_at),
            _money(returns.cents),
            orders["currency"].take(taken),
            _pick(RETURN_REASONS, returns.reason),
            _pick(("refunded",), np.zeros(returns.order.size, dtype=np.int64)),
        ],
        schema=SCHEMAS["return-events"],
    )


# ---------------------------------------------------------------------------------------------
# Subscriptions and usage


@dataclass
class _ChangeLog:
    """Subscription changes as they are simulated, one list entry per simulation step."""

    parts: dict[str, list[npt.NDArray[np.generic]]] = field(default_factory=dict)

    def add(self, **columns: npt.NDArray[np.generic]) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(values)

    def column(self, name: str) -> npt.NDArray[np.generic]:
        return np.concatenate(self.parts[name]) if name in self.parts else np.array([])


@dataclass
class _Plans:
    """Current plan, seats, price and renewal state of each subscriber of a chunk."""

    level: IntArray
    seats: IntArray
    cny: BoolArray
    anchor: FloatArray  # start of the current subscription: renewals fall on its day of month
    months: IntArray  # months from the anchor to the next renewal
    renews_at: FloatArray
    active: BoolArray
    episode: IntArray
    episode_start: FloatArray
    returns_at: FloatArray  # reactivation time after a churn; inf if never

    def mrr_cents(self, index: IntArray, model: DemoModel) -> IntArray:
        usd = np.rint(np.array(model.plan_price_usd) * 100).astype(np.int64)
        cny = np.rint(np.array(model.plan_price_cny) * 100).astype(np.int64)
        level = self.level[index]
        price = np.where(self.cny[index], cny[level], usd[level])
        return price * self.seats[index]


@dataclass
class _Subscriptions:
    """Simulated subscription changes and subscribed periods (episodes) of a chunk."""

    changes: dict[str, npt.NDArray[np.generic]]
    episode_owner: IntArray  # people index
    episode_start: FloatArray
    episode_end: FloatArray
    decline_start: FloatArray  # inf when the episode does not end in a churn
    active: BoolArray  # per people index: subscribed at as_of
    churned_at: FloatArray  # per people index: final churn, NaN if none or reactivated
    decline_at: FloatArray  # per people index: start of the decline before that churn


def _simulate_subscriptions(
    rng: np.random.Generator, *, people: _People, clock: _Clock, model: DemoModel
) -> _Subscriptions:
    subscriber = np.flatnonzero(people.is_subscriber)
    size = subscriber.size
    low, high = model.team_seats
    level = rng.choice(3, size=size, p=model.plan_shares)
    start = people.signup[subscriber]
    state = _Plans(
        level=level,
        seats=np.where(level == 2, rng.integers(low, high + 1, size), 1),
        cny=people.cny[subscriber],
        anchor=start.copy(),
        months=np.ones(size, dtype=np.int64),
        renews_at=_add_months(start, np.ones(size, dtype=np.int64)),
        active=np.ones(size, dtype=bool),
        episode=np.ones(size, dtype=np.int64),
        episode_start=start.copy(),
        returns_at=np.full(size, np.inf),
    )
    hazard = _churn_hazard(people=people, subscriber=subscriber, model=model)
    log, episodes = _ChangeLog(), _ChangeLog()
    everyone = np.arange(size)
    _log_change(
        log, state, everyone, at=start, kind=NEW, before=np.zeros(size, np.int64), model=model
    )
    while True:
        renewing = np.flatnonzero(state.active & (state.renews_at < clock.last))
        returning = np.flatnonzero(~state.active & (state.returns_at < clock.last))
        if renewing.size == 0 and returning.size == 0:
            break
        _renew(
            rng,
            state,
            renewing,
            hazard=hazard[renewing],
            engagement=people.engagement[subscriber[renewing]],
            log=log,
            episodes=episodes,
            clock=clock,
            model=model,
        )
        _reactivate(state, returning, log=log, model=model)
    still = np.flatnonzero(state.active)
    episodes.add(
        owner=still,
        start=state.episode_start[still],
        end=np.full(still.size, clock.as_of),
        decline=np.full(still.size, np.inf),
    )
    return _collect_subscriptions(
        people=people, subscriber=subscriber, state=state, log=log, episodes=episodes
    )


def _churn_hazard(*, people: _People, subscriber: IntArray, model: DemoModel) -> FloatArray:
    channel_factor = np.array([c[2] for c in CHANNELS])[people.channel[subscriber]]
    engagement = people.engagement[subscriber] ** model.churn_engagement_exponent
    satisfaction = np.exp(model.churn_satisfaction_effect * people.satisfaction[subscriber])
    # The plan's base rate is applied at each renewal, since the plan changes over time.
    return engagement * satisfaction * channel_factor


def _log_change(
    log: _ChangeLog,
    state: _Plans,
    index: IntArray,
    *,
    at: FloatArray,
    kind: int,
    before: IntArray,
    model: DemoModel,
) -> None:
    churn = kind == CHURN
    log.add(
        owner=index,
        at=at,
        level=state.level[index],
        before=before,
        after=np.zeros(index.size, np.int64) if churn else state.mrr_cents(index, model),
        kind=np.full(index.size, kind),
        renews_at=np.full(index.size, np.nan) if churn else state.renews_at[index],
        episode=state.episode[index],
    )


def _renew(
    rng: np.random.Generator,
    state: _Plans,
    index: IntArray,
    *,
    hazard: FloatArray,
    engagement: FloatArray,
    log: _ChangeLog,
    episodes: _ChangeLog,
    clock: _Clock,
    model: DemoModel,
) -> None:
    """Each renewal either ends the subscription or starts another month, maybe with a change."""
    at = state.renews_at[index]
    base = np.array(model.monthly_churn)[state.level[index]]
    churns = rng.random(index.size) < np.minimum(base * hazard, model.max_monthly_churn)
    _churn(rng, state, index[churns], at=at[churns], log=log, episodes=episodes, model=model)
    staying, at, engagement = index[~churns], at[~churns], engagement[~churns]
    state.months[staying] += 1
    state.renews_at[staying] = _add_months(state.anchor[staying], state.months[staying])
    # A change takes effect at some point during the coming month, if that is before as_of.
    changed_at = at + rng.random(staying.size) * (state.renews_at[staying] - at)
    draw = rng.random(staying.size)
    expansion = model.monthly_expansion * engagement
    contraction = model.monthly_contraction / engagement
    in_time = changed_at < clock.last
    grows = in_time & (draw < expansion)
    shrinks = in_time & ~grows & (draw < expansion + contraction) & (state.level[staying] > 0)
    _expand_plans(rng, state, staying[grows], at=changed_at[grows], log=log, model=model)
    _contract_plans(rng, state, staying[shrinks], at=changed_at[shrinks], log=log, model=model)


def _churn(
    rng: np.random.Generator,
    state: _Plans,
    index: IntArray,
    *,
    at: FloatArray,
    log: _ChangeLog,
    episodes: _ChangeLog,
    model: DemoModel,
) -> None:
    _log_change(
        log, state, index, at=at, kind=CHURN, before=state.mrr_cents(index, model), model=model
    )
    low, high = model.decline_days
    start = state.episode_start[index]
    decline = np.maximum(start, at - rng.uniform(low, high, index.size))
    episodes.add(owner=index, start=start, end=at, decline=decline)
    state.active[index] = False
    comes_back = rng.random(index.size) < model.reactivation_share
    gap = rng.exponential(model.reactivation_gap_mean_days, index.size)
    state.returns_at[index] = np.where(comes_back, at + gap, np.inf)


def _expand_plans(
    rng: np.random.Generator,
    state: _Plans,
    index: IntArray,
    *,
    at: FloatArray,
    log: _ChangeLog,
    model: DemoModel,
) -> None:
    """basic -> pro -> team of the smallest size -> more seats."""
    before = state.mrr_cents(index, model)
    level = state.level[index]
    seats = state.seats[index]
    state.seats[index] = np.where(
        level == 2,
        seats + rng.integers(1, 4, index.size),
        np.where(level == 1, model.team_seats[0], 1),
    )
    state.level[index] = np.minimum(level + 1, 2)
    _log_change(log, state, index, at=at, kind=EXPANSION, before=before, model=model)


def _contract_plans(
    rng: np.random.Generator,
    state: _Plans,
    index: IntArray,
    *,
    at: FloatArray,
    log: _ChangeLog,
    model: DemoModel,
) -> None:
    """Fewer seats -> pro -> basic; basic cannot contract without churning."""
    before = state.mrr_cents(index, model)
    level = state.level[index]
    seats = state.seats[index]
    fewest = model.team_seats[0]
    fewer = np.maximum(seats - rng.integers(1, 3, index.size), fewest)
    keeps_team = (level == 2) & (seats > fewest)
    state.seats[index] = np.where(keeps_team, fewer, 1)
    state.level[index] = np.where(keeps_team, 2, level - 1)
    _log_change(log, state, index, at=at, kind=CONTRACTION, before=before, model=model)


def _reactivate(state: _Plans, index: IntArray, *, log: _ChangeLog, model: DemoModel) -> None:
    """A churned subscriber comes back on their previous plan, with a new subscription."""
    at = state.returns_at[index]
    state.active[index] = True
    state.returns_at[index] = np.inf
    state.anchor[index] = at
    state.months[index] = 1
    state.renews_at[index] = _add_months(at, state.months[index])
    state.episode[index] += 1
    state.episode_start[index] = at
    _log_change(
        log,
        state,
        index,
        at=at,
        kind=REACTIVATION,
        before=np.zeros(index.size, np.int64),
        model=model,
    )


def _collect_subscriptions(
    *,
    people: _People,
    subscriber: IntArray,
    state: _Plans,
    log: _ChangeLog,
    episodes: _ChangeLog,
) -> _Subscriptions:
    changes = {name: log.column(name) for name in log.parts}
    order = np.lexsort((changes["at"], changes["owner"]))
    changes = {name: values[order] for name, values in changes.items()}
    changes["owner"] = subscriber[changes["owner"].astype(np.int64)]
    spans = {name: episodes.column(name) for name in ("owner", "start", "end", "decline")}
    order = np.lexsort((spans["start"], spans["owner"]))
    owner = spans["owner"][order].astype(np.int64)
    end = spans["end"][order].astype(np.float64)
    decline = spans["decline"][order].astype(np.float64)
    is_last = np.append(owner[1:] != owner[:-1], True) if owner.size else owner.astype(bool)
    last = np.zeros(people.size, dtype=np.int64)
    last[subscriber[owner[is_last]]] = np.flatnonzero(is_last)
    churned = np.zeros(people.size, dtype=bool)
    churned[subscriber] = ~state.active
    active = np.zeros(people.size, dtype=bool)
    active[subscriber] = state.active
    return _Subscriptions(
        changes=changes,
        episode_owner=subscriber[owner],
        episode_start=spans["start"][order].astype(np.float64),
        episode_end=end,
        decline_start=decline,
        active=active,
        churned_at=np.where(churned, end[last] if end.size else np.nan, np.nan),
        decline_at=np.where(churned, decline[last] if end.size else np.nan, np.nan),
    )


def _subscription_table(
    *, people: _People, subscriptions: _Subscriptions, counters: _Counters
) -> pa.Table:
    changes = subscriptions.changes
    owner = changes["owner"].astype(np.int64)
    taken = pa.array(owner)
    episode = pa.array(changes["episode"].astype(np.int64)).cast(pa.string())
    subscription_ids = pc.binary_join_element_wise(
        pc.binary_join_element_wise("S", people.digits.take(taken), ""), episode, "-"
    )
    return pa.Table.from_arrays(
        [
            _ids("SC", counters.take("change", owner.size), ID_WIDTHS["change"]),
            people.ids.take(taken),
            subscription_ids,
            _timestamps(changes["at"].astype(np.float64)),
            _pick(PLANS, changes["level"].astype(np.int64)),
            _money(changes["before"].astype(np.int64)),
            _money(changes["after"].astype(np.int64)),
            _pick(("USD", "CNY"), people.cny[owner].astype(np.int64)),
            _pick(CHANGE_KINDS, changes["kind"].astype(np.int64)),
            _timestamps(changes["renews_at"].astype(np.float64)),
        ],
        schema=SCHEMAS["subscription-changes"],
    )


def _decline_factor(at: FloatArray, start: FloatArray, end: FloatArray, floor: float) -> FloatArray:
    """1 before the decline starts, then falling linearly to ``floor`` at the churn."""
    with np.errstate(invalid="ignore"):
        progress = np.clip((at - start) / np.maximum(end - start, SECOND), 0.0, 1.0)
    return 1 - (1 - floor) * np.nan_to_num(progress, nan=0.0)


def _usage_table(
    rng: np.random.Generator,
    *,
    people: _People,
    subscriptions: _Subscriptions,
    model: DemoModel,
    counters: _Counters,
) -> pa.Table:
    owner_parts, at_parts, name_parts, quantity_parts = [], [], [], []
    offset = people.offset[subscriptions.episode_owner]
    first_day = np.floor(subscriptions.episode_start + offset)
    days = (np.ceil(subscriptions.episode_end + offset) - first_day).astype(np.int64)
    ends = np.cumsum(days)
    begin = 0
    while begin < days.size:
        limit = ends[begin] - days[begin] + USAGE_BATCH_DAYS
        stop = max(begin + 1, int(np.searchsorted(ends, limit, side="right")))
        owner, at, name, quantity = _usage_batch(
            rng,
            people=people,
            subscriptions=subscriptions,
            episodes=np.arange(begin, stop),
            first_day=first_day,
            days=days,
            model=model,
        )
        owner_parts.append(owner)
        at_parts.append(at)
        name_parts.append(name)
        quantity_parts.append(quantity)
        begin = stop
    owner = np.concatenate(owner_parts) if owner_parts else np.zeros(0, np.int64)
    return pa.Table.from_arrays(
        [
            _ids("U", counters.take("usage", owner.size), ID_WIDTHS["usage"]),
            people.ids.take(pa.array(owner)),
            _timestamps(np.concatenate(at_parts) if at_parts else np.zeros(0)),
            _pick(model.usage_names, np.concatenate(name_parts) if name_parts else owner),
            pa.array(np.concatenate(quantity_parts) if quantity_parts else np.zeros(0)),
        ],
        schema=SCHEMAS["usage-events"],
    )


def _usage_batch(
    rng: np.random.Generator,
    *,
    people: _People,
    subscriptions: _Subscriptions,
    episodes: IntArray,
    first_day: FloatArray,
    days: IntArray,
    model: DemoModel,
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Daily usage rows of some episodes: (people index, time, name index, quantity)."""
    which, rank = _expand(days[episodes])
    episode = episodes[which]
    owner = subscriptions.episode_owner[episode]
    offset = people.offset[owner]
    day = first_day[episode] + rank
    start, end = subscriptions.episode_start[episode], subscriptions.episode_end[episode]
    weekend = (day.astype(np.int64) + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    decline = _decline_factor(
        day + 0.5 - offset, subscriptions.decline_start[episode], end, model.decline_floor
    )
    engagement = people.engagement[owner]
    activity = model.weekday_activity * engagement * np.where(weekend, model.weekend_factor, 1.0)
    active = rng.random(day.size) < np.minimum(activity * decline, model.max_activity)
    owner, day, offset = owner[active], day[active], offset[active]
    decline, engagement = decline[active], engagement[active]
    start, end = start[active], end[active]
    chosen = rng.random((day.size, len(model.usage_names))) < np.array(model.usage_name_probability)
    chosen[:, 0] = True  # every active day has a login
    row, name = np.nonzero(chosen)
    at = day[row] + _time_of_day(rng, row.size) - offset[row]
    at = np.clip(at, start[row], end[row] - MINUTE)
    mean = np.array(model.usage_quantity_mean)[name] * engagement[row] * decline[row]
    quantity = 1.0 + rng.poisson(mean)
    return owner[row], at, name.astype(np.int64), quantity.astype(np.float64)


# ---------------------------------------------------------------------------------------------
# Surveys and tickets


@dataclass
class _Relationship:
    """When each customer of a chunk stopped being a customer, if they did."""

    end: FloatArray  # inf while still a customer at as_of
    leaves: BoolArray
    window_end: FloatArray  # surveys and tickets happen before this

    @classmethod
    def of(
        cls,
        *,
        people: _People,
        shop: _Shop,
        subscriptions: _Subscriptions,
        clock: _Clock,
        model: DemoModel,
    ) -> _Relationship:
        shop_end = np.full(people.size, -np.inf)
        shop_end[shop.buyer] = np.nan_to_num(shop.dropped_out_at, nan=np.inf)
        sub_end = np.where(people.is_subscriber, np.inf, -np.inf)
        sub_end = np.where(np.isnan(subscriptions.churned_at), sub_end, subscriptions.churned_at)
        end = np.maximum(shop_end, sub_end)
        window_end = np.minimum(end + model.after_end_days, clock.last)
        return cls(end=end, leaves=np.isfinite(end), window_end=window_end)


def _text_pool(
    texts: dict[tuple[int, int], tuple[str, ...]],
) -> tuple[pa.Array, IntArray, IntArray]:
    """All texts in one array, with the first index and count of each (language, group)."""
    keys = sorted(texts)
    flat = [text for key in keys for text in texts[key]]
    first = np.zeros((2, 3), dtype=np.int64)
    count = np.ones((2, 3), dtype=np.int64)
    position = 0
    for key in keys:
        first[key], count[key] = position, len(texts[key])
        position += len(texts[key])
    return pa.array(flat, type=pa.string()), first, count


def _pick_text(
    rng: np.random.Generator,
    texts: dict[tuple[int, int], tuple[str, ...]],
    language: IntArray,
    group: IntArray,
) -> pa.Array:
    flat, first, count = _text_pool(texts)
    size = count[language, group]
    return flat.take(
        pa.array(first[language, group] + (rng.random(size.size) * size).astype(np.int64))
    )


def _survey_table(
    rng: np.random.Generator,
    *,
    people: _People,
    relation: _Relationship,
    clock: _Clock,
    model: DemoModel,
    counters: _Counters,
) -> pa.Table:
    span = relation.window_end - people.signup
    owner, _ = _expand(rng.poisson(model.responses_per_year * span / DAYS_PER_YEAR))
    at = people.signup[owner] + rng.random(owner.size) * span[owner]
    at = np.clip(
        _at_local_daytime(rng, at, people.offset[owner]),
        people.signup[owner],
        relation.window_end[owner],
    )
    mood = _mood(people=people, relation=relation, owner=owner, at=at, model=model)
    nps = rng.random(owner.size) < model.nps_share
    nps_score = (
        model.nps_center + model.nps_scale * mood + rng.normal(0, model.nps_noise, owner.size)
    )
    csat_score = (
        model.csat_center + model.csat_scale * mood + rng.normal(0, model.csat_noise, owner.size)
    )
    score = np.where(nps, np.clip(np.rint(nps_score), 0, 10), np.clip(np.rint(csat_score), 1, 5))
    score = score.astype(np.int64)
    sentiment = np.where(nps, np.digitize(score, [7, 9]), np.digitize(score, [3, 4]))
    language = people.language[owner]
    comment = _pick_text(rng, COMMENTS, language, sentiment)
    silent = pa.array(rng.random(owner.size) >= model.comment_share)
    return pa.Table.from_arrays(
        [
            _ids("R", counters.take("response", owner.size), ID_WIDTHS["response"]),
            people.ids.take(pa.array(owner)),
            _pick(("CSAT", "NPS"), nps.astype(np.int64)),
            pa.array(score),
            pc.if_else(silent, "", comment),
            _pick(LANGUAGES, language),
            _timestamps(at),
        ],
        schema=SCHEMAS["survey-responses"],
    )


def _mood(
    *, people: _People, relation: _Relationship, owner: IntArray, at: FloatArray, model: DemoModel
) -> FloatArray:
    """Satisfaction at a moment: lower for customers who leave, lowest shortly before they do."""
    leaves = relation.leaves[owner]
    near_end = leaves & (at > relation.end[owner] - model.end_score_days)
    return (
        people.satisfaction[owner]
        + model.leaver_score_shift * leaves
        + model.end_score_shift * near_end
    )


def _ticket_table(
    rng: np.random.Generator,
    *,
    people: _People,
    relation: _Relationship,
    clock: _Clock,
    model: DemoModel,
    counters: _Counters,
) -> pa.Table:
    span = relation.window_end - people.signup
    rate = np.where(
        people.is_subscriber, model.tickets_per_year_subscriber, model.tickets_per_year_shop
    )
    rate = rate * np.where(relation.leaves, model.leaver_ticket_factor, 1.0)
    owner, _ = _expand(rng.poisson(rate * span / DAYS_PER_YEAR))
    opened = people.signup[owner] + rng.random(owner.size) * span[owner]
    recent = relation.leaves[owner] & (rng.random(owner.size) < model.leaver_recent_share)
    late = relation.window_end[owner] - rng.random(owner.size) * model.leaver_recent_days
    opened = np.where(recent, np.maximum(late, people.signup[owner]), opened)
    opened = np.clip(
        _at_local_daytime(rng, opened, people.offset[owner]),
        people.signup[owner],
        relation.window_end[owner],
    )
    return _ticket_events(
        rng,
        people=people,
        relation=relation,
        owner=owner,
        opened=opened,
        clock=clock,
        model=model,
        counters=counters,
    )


def _ticket_events(
    rng: np.random.Generator,
    *,
    people: _People,
    relation: _Relationship,
    owner: IntArray,
    opened: FloatArray,
    clock: _Clock,
    model: DemoModel,
    counters: _Counters,
) -> pa.Table:
    """Expand each ticket into the events of its life-cycle template, up to as_of."""
    shares = np.array(model.ticket_template_shares)
    template = rng.choice(len(TICKET_TEMPLATES), size=owner.size, p=shares / shares.sum())
    longest = max(len(t) for t in TICKET_TEMPLATES)
    kinds = np.array([[k for k, _ in t] + [0] * (longest - len(t)) for t in TICKET_TEMPLATES])
    hours = np.array([[h for _, h in t] + [0.0] * (longest - len(t)) for t in TICKET_TEMPLATES])
    lengths = np.array([len(t) for t in TICKET_TEMPLATES])[template]
    ticket, step = _expand(lengths)
    delay = rng.exponential(1.0, ticket.size) * hours[template[ticket], step] / 24
    cumulative = np.cumsum(delay)
    at = opened[ticket] + cumulative - (cumulative - delay)[np.cumsum(lengths) - lengths][ticket]
    kind = kinds[template[ticket], step]
    kept = at < clock.last
    ticket, at, kind = ticket[kept], at[kept], kind[kept]
    customer = owner[ticket]
    leaves = relation.leaves[owner]
    priority = np.where(
        leaves,
        _choose(rng, model.leaver_priority_shares, owner.size),
        _choose(rng, model.priority_shares, owner.size),
    )
    topic = np.where(people.is_buyer[owner], 0, 1)
    topic = np.where(
        people.is_buyer[owner] & people.is_subscriber[owner], rng.integers(0, 2, owner.size), topic
    )
    subject = _pick_text(rng, SUBJECTS, people.language[owner], topic)
    mood = _mood(people=people, relation=relation, owner=customer, at=at, model=model)
    satisfaction = (
        model.satisfaction_center
        + model.satisfaction_scale * mood
        + rng.normal(0, model.satisfaction_noise, at.size)
    )
    satisfaction = np.clip(np.rint(satisfaction), 1, 5).astype(np.int64)
    ticket_ids = _ids("T", counters.take("ticket", owner.size), ID_WIDTHS["ticket"])
    taken = pa.array(ticket)
    return pa.Table.from_arrays(
        [
            _ids("TE", counters.take("ticket-event", at.size), ID_WIDTHS["event"]),
            ticket_ids.take(taken),
            people.ids.take(pa.array(customer)),
            _timestamps(at),
            _pick(TICKET_KINDS, kind),
            _pick(TICKET_CHANNELS, _choose(rng, model.ticket_channel_shares, owner.size)[ticket]),
            _pick(PRIORITIES, priority[ticket]),
            subject.take(taken),
            pa.array(satisfaction, mask=kind != CLOSED),
        ],
        schema=SCHEMAS["ticket-events"],
    )


def _choose(rng: np.random.Generator, shares: tuple[float, ...], size: int) -> IntArray:
    weights = np.array(shares)
    return rng.choice(weights.size, size=size, p=weights / weights.sum())


# ---------------------------------------------------------------------------------------------
# One chunk


def _generate_chunk(
    *,
    rng: np.random.Generator,
    model: DemoModel,
    clock: _Clock,
    counters: _Counters,
    signup: FloatArray,
    first_number: int,
    id_width: int,
) -> dict[str, pa.Table]:
    """All tables of the customers with numbers first_number .. first_number + len(signup) - 1."""
    people = _draw_people(
        rng, model=model, clock=clock, signup=signup, first_number=first_number, id_width=id_width
    )
    shop = _simulate_shop(rng, people=people, clock=clock, model=model)
    subscriptions = _simulate_subscriptions(rng, people=people, clock=clock, model=model)
    relation = _Relationship.of(
        people=people, shop=shop, subscriptions=subscriptions, clock=clock, model=model
    )
    tables = {"customers": _customers_table(rng, people)}
    tables |= _shop_tables(
        rng, people=people, shop=shop, clock=clock, model=model, counters=counters
    )
    tables["subscription-changes"] = _subscription_table(
        people=people, subscriptions=subscriptions, counters=counters
    )
    tables["usage-events"] = _usage_table(
        rng, people=people, subscriptions=subscriptions, model=model, counters=counters
    )
    tables["survey-responses"] = _survey_table(
        rng, people=people, relation=relation, clock=clock, model=model, counters=counters
    )
    tables["ticket-events"] = _ticket_table(
        rng, people=people, relation=relation, clock=clock, model=model, counters=counters
    )
    tables["truth"] = _truth_table(people=people, shop=shop, subscriptions=subscriptions)
    return tables


def _truth_table(*, people: _People, shop: _Shop, subscriptions: _Subscriptions) -> pa.Table:
    def per_customer(values: FloatArray) -> FloatArray:
        full = np.full(people.size, np.nan)
        full[shop.buyer] = values
        return full

    shop_alive = np.zeros(people.size, dtype=bool)
    shop_alive[shop.buyer] = np.isnan(shop.dropped_out_at)
    alive = (people.is_buyer & shop_alive) | (people.is_subscriber & subscriptions.active)
    not_buyer, not_subscriber = ~people.is_buyer, ~people.is_subscriber
    return pa.Table.from_arrays(
        [
            people.ids,
            pa.array(people.is_buyer),
            pa.array(people.is_subscriber),
            pa.array(per_customer(shop.rate), mask=not_buyer),
            pa.array(per_customer(shop.dropout), mask=not_buyer),
            _timestamps(per_customer(shop.dropped_out_at)),
            pa.array(shop_alive, mask=not_buyer),
            pa.array(subscriptions.active, mask=not_subscriber),
            pa.array(alive),
            _timestamps(subscriptions.churned_at),
            _timestamps(subscriptions.decline_at),
            pa.array(per_customer(shop.spend_mean), mask=not_buyer),
            _pick(("USD", "CNY"), people.cny.astype(np.int64)),
            pa.array(people.engagement),
            pa.array(people.satisfaction),
        ],
        schema=SCHEMAS["truth"],
    )
