"""The demo business generator: files, integrity, and a ground truth that holds in the data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retain.ingest.demo import DemoBusiness, generate_demo, vocabulary
from retain.ingest.demo import generator as demo

AS_OF = datetime(2026, 11, 1)
CUSTOMERS = 5000
CJK = re.compile(r"[\u4e00-\u9fff]")
TIMESTAMP_COLUMNS = {
    "customers": ["signup_at"],
    "orders": ["ordered_at"],
    "subscription-changes": ["changed_at"],
    "usage-events": ["occurred_at"],
    "survey-responses": ["answered_at"],
    "ticket-events": ["occurred_at"],
    "return-events": ["returned_at"],
}


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> DemoBusiness:
    return generate_demo(
        out_dir=tmp_path_factory.mktemp("demo"), customers=CUSTOMERS, seed=7, as_of=AS_OF
    )


@pytest.fixture(scope="module")
def frames(business: DemoBusiness) -> dict[str, pd.DataFrame]:
    tables = {kind: pd.read_parquet(path) for kind, path in business.files.items()}
    tables["truth"] = pd.read_parquet(business.truth_path)
    return tables


@pytest.fixture(scope="module")
def params(business: DemoBusiness) -> dict:
    return json.loads(business.params_path.read_text(encoding="utf-8"))


def _cents(values: pd.Series) -> pd.Series:
    return (values * 100).round().astype("int64")


def _read_all(business: DemoBusiness) -> dict[str, pa.Table]:
    paths = {**business.files, "truth": business.truth_path}
    return {kind: pq.read_table(path) for kind, path in paths.items()}


# Files and parameters


def test_writes_one_file_per_import_kind_with_its_columns(business: DemoBusiness) -> None:
    assert set(business.files) == {
        "customers",
        "orders",
        "order-lines",
        "subscription-changes",
        "usage-events",
        "survey-responses",
        "ticket-events",
        "return-events",
    }
    for kind, path in business.files.items():
        assert path == business.out_dir / f"{kind}.parquet"
        assert pq.read_schema(path).equals(demo.SCHEMAS[kind]), kind
    assert business.truth_path == business.out_dir / "truth.parquet"
    assert business.params_path == business.out_dir / "params.json"


def test_params_record_the_run_and_every_distribution(params: dict) -> None:
    assert params["seed"] == 7
    assert params["customers"] == CUSTOMERS
    assert params["as_of"] == "2026-11-01T00:00:00"
    assert params["start"] == "2024-10-31T12:00:00"  # two years of 365.25 days before as_of
    model = params["model"]
    for name in ("purchase_rate_shape", "purchase_rate_rate", "dropout_a", "dropout_b"):
        assert model[name] > 0
    assert model["plan_shares"] == [0.55, 0.35, 0.10]
    assert len(params["catalogue"]) == 60


def test_volumes_fit_a_small_business(frames: dict[str, pd.DataFrame]) -> None:
    assert len(frames["customers"]) == CUSTOMERS
    assert 20_000 <= len(frames["orders"]) <= 60_000
    assert 50_000 <= len(frames["usage-events"]) <= 300_000
    assert 0.35 <= frames["truth"]["is_subscriber"].mean() <= 0.45
    for kind in ("subscription-changes", "survey-responses", "ticket-events", "return-events"):
        assert len(frames[kind]) > 500, kind


def test_same_seed_gives_identical_files_and_another_seed_different(tmp_path: Path) -> None:
    def run(name: str, seed: int) -> dict[str, pa.Table]:
        business = generate_demo(out_dir=tmp_path / name, customers=1500, seed=seed, as_of=AS_OF)
        return _read_all(business)

    first, again, other = run("a", 7), run("b", 7), run("c", 8)
    for kind, table in first.items():
        assert table.equals(again[kind]), kind
    assert not first["orders"].equals(other["orders"])
    assert not first["customers"].equals(other["customers"])


def test_chunks_are_appended_with_ids_running_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "CHUNK_SIZE", 700)
    calls: list[tuple[int, int]] = []
    business = generate_demo(
        out_dir=tmp_path, customers=2000, as_of=AS_OF, on_progress=lambda *c: calls.append(c)
    )
    assert calls == [(700, 2000), (1400, 2000), (2000, 2000)]
    keys = {
        "customers": "customer_id",
        "orders": "order_id",
        "subscription-changes": "change_id",
        "usage-events": "event_id",
        "survey-responses": "response_id",
        "ticket-events": "event_id",
        "return-events": "return_id",
    }
    for kind, key in keys.items():
        assert pq.ParquetFile(business.files[kind]).metadata.num_row_groups == 3
        assert pd.read_parquet(business.files[kind], columns=[key])[key].is_unique, kind
    customers = pd.read_parquet(business.files["customers"])
    assert customers["customer_id"].tolist() == [f"C{n:07d}" for n in range(1, 2001)]
    # Numbers follow sign-up days; moving each sign-up to a local daytime hour may swap neighbours.
    assert customers["signup_at"].diff().dt.total_seconds().min() >= -2 * 86_400


def test_as_of_defaults_to_the_start_of_the_current_utc_month(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    business = generate_demo(out_dir=tmp_path, customers=20)
    after = datetime.now(UTC)
    as_of = json.loads(business.params_path.read_text())["as_of"]
    assert as_of in {f"{t.year:04d}-{t.month:02d}-01T00:00:00" for t in (before, after)}


def test_an_aware_as_of_is_read_as_utc(tmp_path: Path) -> None:
    beijing = timezone(timedelta(hours=8))
    business = generate_demo(
        out_dir=tmp_path, customers=50, as_of=datetime(2026, 11, 1, 8, 0, 0, 999, tzinfo=beijing)
    )
    params = json.loads(business.params_path.read_text())
    assert params["as_of"] == "2026-11-01T00:00:00"
    assert pd.read_parquet(business.files["orders"])["ordered_at"].max() < pd.Timestamp(AS_OF)


def test_refuses_an_empty_business(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="customers"):
        generate_demo(out_dir=tmp_path, customers=0)


# Integrity


def test_every_reference_resolves(frames: dict[str, pd.DataFrame]) -> None:
    customers = frames["customers"]
    assert customers["customer_id"].is_unique
    assert customers["customer_id"].str.fullmatch(r"C\d{7}").all()
    known = set(customers["customer_id"])
    for kind in ("orders", "subscription-changes", "usage-events", "survey-responses"):
        assert set(frames[kind]["customer_id"]) <= known, kind
    for kind in ("ticket-events", "return-events", "truth"):
        assert set(frames[kind]["customer_id"]) <= known, kind
    orders = frames["orders"]
    assert orders["order_id"].is_unique
    assert set(frames["order-lines"]["order_id"]) == set(orders["order_id"])
    returns = frames["return-events"].merge(
        orders, on="order_id", how="left", suffixes=("", "_order")
    )
    assert (returns["customer_id"] == returns["customer_id_order"]).all()
    assert (returns["currency"] == returns["currency_order"]).all()


def test_order_amount_is_its_lines_minus_discount_to_the_cent(
    frames: dict[str, pd.DataFrame],
) -> None:
    lines = frames["order-lines"]
    assert (_cents(lines["amount"]) == lines["quantity"] * _cents(lines["unit_price"])).all()
    numbers = lines.groupby("order_id")["line_number"].agg(["min", "max", "size"])
    assert (numbers["min"] == 1).all() and (numbers["max"] == numbers["size"]).all()
    gross = _cents(lines["amount"]).groupby(lines["order_id"]).sum()
    orders = frames["orders"].set_index("order_id")
    expected = gross.reindex(orders.index) - _cents(orders["discount"])
    assert (_cents(orders["amount"]) == expected).all()
    assert (orders["amount"] > 0).all()
    assert 0.05 < (orders["discount"] > 0).mean() < 0.25


def test_currency_follows_the_country(frames: dict[str, pd.DataFrame]) -> None:
    orders = frames["orders"].merge(frames["customers"], on="customer_id")
    assert ((orders["country"] == "CN") == (orders["currency"] == "CNY")).all()
    assert set(orders["currency"]) == {"CNY", "USD"}


def test_returns_follow_their_order_and_refund_at_most_its_amount(
    frames: dict[str, pd.DataFrame],
) -> None:
    returns = frames["return-events"].merge(
        frames["orders"], on="order_id", suffixes=("", "_order")
    )
    assert (returns["returned_at"] > returns["ordered_at"]).all()
    assert (_cents(returns["amount"]) <= _cents(returns["amount_order"])).all()
    assert (returns["amount"] > 0).all()
    assert set(returns["status"]) == {"refunded"}
    full = returns.loc[_cents(returns["amount"]) == _cents(returns["amount_order"]), "order_id"]
    refunded = frames["orders"].loc[frames["orders"]["status"] == "refunded", "order_id"]
    assert set(refunded) == set(full)
    assert 0 < len(full) < len(returns)  # some full, some partial
    assert set(frames["orders"]["status"]) == {"paid", "refunded"}


def test_subscription_change_kinds_match_their_mrr(frames: dict[str, pd.DataFrame]) -> None:
    changes = frames["subscription-changes"]
    before, after, kind = changes["mrr_before"], changes["mrr_after"], changes["kind"]
    starts = kind.isin(["new", "reactivation"])
    assert ((before == 0) & (after > 0))[starts].all()
    assert ((before > 0) & (after == 0))[kind == "churn"].all()
    assert (after > before)[kind == "expansion"].all()
    assert ((after < before) & (after > 0))[kind == "contraction"].all()
    assert set(kind) == {"new", "expansion", "contraction", "churn", "reactivation"}
    assert changes["renews_at"].isna().equals(kind == "churn")
    renewing = changes.dropna(subset=["renews_at"])
    assert (renewing["renews_at"] > renewing["changed_at"]).all()


def test_each_customers_changes_form_a_chain(frames: dict[str, pd.DataFrame]) -> None:
    changes = frames["subscription-changes"].sort_values(["customer_id", "changed_at", "change_id"])
    previous = changes.groupby("customer_id")["mrr_after"].shift(fill_value=0.0)
    assert (_cents(changes["mrr_before"]) == _cents(previous)).all()
    first = changes.groupby("customer_id").head(1)
    assert set(first["kind"]) == {"new"}
    truth = frames["truth"].set_index("customer_id")
    assert set(changes["customer_id"]) == set(truth.index[truth["is_subscriber"]])
    # A reactivation starts a new subscription; other changes keep the current one.
    same = changes.groupby("customer_id")["subscription_id"].shift() == changes["subscription_id"]
    assert (~same[changes["kind"] == "reactivation"]).all()
    assert same[changes["kind"].isin(["expansion", "contraction", "churn"])].all()


# Ground truth


def test_no_order_after_a_buyer_dropped_out(frames: dict[str, pd.DataFrame]) -> None:
    truth = frames["truth"].set_index("customer_id")
    last = frames["orders"].groupby("customer_id")["ordered_at"].max()
    assert set(last.index) == set(truth.index[truth["is_buyer"]])
    dropped = truth["dropped_out_at"].dropna()
    assert len(dropped) > 100
    # BG/NBD: the buyer leaves right after an order, so that order is their last.
    assert (last.reindex(dropped.index) == dropped).all()
    buyers = truth[truth["is_buyer"]]
    assert (buyers["shop_alive"].astype(bool) == buyers["dropped_out_at"].isna()).all()


def test_usage_only_while_subscribed(frames: dict[str, pd.DataFrame]) -> None:
    usage = frames["usage-events"].sort_values("occurred_at")
    changes = frames["subscription-changes"].sort_values("changed_at")
    state = pd.merge_asof(
        usage, changes, left_on="occurred_at", right_on="changed_at", by="customer_id"
    )
    assert state["mrr_after"].notna().all()
    assert (state["mrr_after"] > 0).all()
    truth = frames["truth"].set_index("customer_id")
    churned = truth["churned_at"].dropna()
    last_use = usage.groupby("customer_id")["occurred_at"].max().reindex(churned.index)
    assert (last_use.dropna() < churned.reindex(last_use.dropna().index)).all()


def test_churned_subscribers_pay_nothing_at_as_of(frames: dict[str, pd.DataFrame]) -> None:
    last = (
        frames["subscription-changes"]
        .sort_values(["customer_id", "changed_at", "change_id"])
        .groupby("customer_id")
        .tail(1)
        .set_index("customer_id")
    )
    truth = frames["truth"].set_index("customer_id").loc[last.index]
    churned = truth["churned_at"].notna()
    assert churned.sum() > 100
    assert (last.loc[churned, "kind"] == "churn").all()
    assert (last.loc[churned, "mrr_after"] == 0).all()
    assert (last.loc[churned, "changed_at"] == truth.loc[churned, "churned_at"]).all()
    assert (last.loc[~churned, "mrr_after"] > 0).all()
    assert truth["subscription_active"].eq(~churned).all()
    assert truth["usage_decline_at"].notna().eq(churned).all()
    assert (truth.loc[churned, "usage_decline_at"] < truth.loc[churned, "churned_at"]).all()


def test_alive_combines_the_shop_and_the_subscription(frames: dict[str, pd.DataFrame]) -> None:
    truth = frames["truth"]
    shop = truth["is_buyer"] & truth["shop_alive"].fillna(False).astype(bool)
    subscription = truth["is_subscriber"] & truth["subscription_active"].fillna(False).astype(bool)
    assert truth["alive"].equals(shop | subscription)
    assert truth["lambda"].isna().equals(~truth["is_buyer"])
    assert truth["spend_mean"].isna().equals(~truth["is_buyer"])
    assert truth["churned_at"].notna().sum() > 0 and truth["dropped_out_at"].notna().sum() > 0
    assert (truth["is_buyer"] | truth["is_subscriber"]).all()


def test_usage_declines_before_churn(frames: dict[str, pd.DataFrame]) -> None:
    truth = frames["truth"]
    churned = truth.loc[truth["churned_at"].notna(), ["customer_id", "churned_at"]]
    changes = frames["subscription-changes"]
    starts = changes[changes["kind"].isin(["new", "reactivation"])]
    started = starts.groupby("customer_id")["changed_at"].max().rename("started")
    churned = churned.join(started, on="customer_id")
    churned = churned[churned["churned_at"] - churned["started"] >= pd.Timedelta(days=90)]
    assert len(churned) > 100
    usage = frames["usage-events"].merge(churned, on="customer_id")
    days_before = (usage["churned_at"] - usage["occurred_at"]).dt.total_seconds() / 86_400
    last_30 = usage[days_before <= 30].groupby("customer_id")["quantity"].sum() / 30
    prior_60 = (
        usage[(days_before > 30) & (days_before <= 90)].groupby("customer_id")["quantity"].sum()
        / 60
    )
    compared = pd.DataFrame({"last": last_30, "prior": prior_60})
    compared = compared.reindex(churned["customer_id"]).fillna(0.0)
    assert (compared["last"] < compared["prior"]).mean() > 0.7


def test_usage_is_daily_rows_with_fewer_at_weekends(
    frames: dict[str, pd.DataFrame], params: dict
) -> None:
    offsets = {
        name: hours for country in params["countries"] for name, hours, _ in country["time_zones"]
    }
    zones = frames["customers"][["customer_id", "time_zone"]]
    usage = frames["usage-events"].merge(zones, on="customer_id")
    local = usage["occurred_at"] + pd.to_timedelta(usage["time_zone"].map(offsets), unit="h")
    usage["local_day"] = local.dt.floor("D")
    assert not usage.duplicated(["customer_id", "local_day", "name"]).any()
    logins = usage[usage["name"] == "login"]
    weekend_share = (logins["local_day"].dt.day_of_week >= 5).mean()
    assert weekend_share < 0.7 * 2 / 7
    assert set(usage["name"]) == {"login", "report_run", "export", "invite_sent"}
    subscribers = set(frames["truth"].query("is_subscriber")["customer_id"])
    assert set(usage["customer_id"]) <= subscribers


def test_purchase_counts_match_the_bgnbd_expectation(
    frames: dict[str, pd.DataFrame], params: dict
) -> None:
    truth = frames["truth"]
    buyers = truth[truth["is_buyer"]].merge(frames["customers"], on="customer_id")
    days = (pd.Timestamp(AS_OF) - buyers["signup_at"]).dt.total_seconds() / 86_400
    rate, dropout = buyers["lambda"], buyers["dropout_p"]
    # Fader, Hardie & Lee (2005), eq. 7: E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p
    expected = (1 + (1 - np.exp(-rate * dropout * days)) / dropout).sum()
    assert len(frames["orders"]) == pytest.approx(expected, rel=0.05)
    model = params["model"]
    rate_mean = model["purchase_rate_shape"] / model["purchase_rate_rate"]
    assert rate.mean() == pytest.approx(rate_mean, rel=0.1)
    dropout_mean = model["dropout_a"] / (model["dropout_a"] + model["dropout_b"])
    assert dropout.mean() == pytest.approx(dropout_mean, rel=0.1)


def test_order_amounts_follow_each_buyers_spend_mean(frames: dict[str, pd.DataFrame]) -> None:
    spent = frames["orders"].groupby("customer_id")["amount"].mean()
    truth = frames["truth"].set_index("customer_id").loc[spent.index]
    assert spent.sum() == pytest.approx(truth["spend_mean"].sum(), rel=0.05)
    assert np.corrcoef(np.log(spent), np.log(truth["spend_mean"]))[0, 1] > 0.9


def test_leavers_score_lower_and_open_more_tickets(frames: dict[str, pd.DataFrame]) -> None:
    truth = frames["truth"].set_index("customer_id")
    churned = truth["churned_at"].notna()
    responses = frames["survey-responses"].join(churned.rename("churned"), on="customer_id")
    nps = responses[responses["kind"] == "NPS"].groupby("churned")["score"].mean()
    assert nps[True] < nps[False] - 0.5
    # Shop-only buyers leave silently; their scores are lower too.
    shop_only = truth["is_buyer"] & ~truth["is_subscriber"]
    responses = responses.join(truth["alive"], on="customer_id")
    by_buyer = responses[responses["customer_id"].map(shop_only) & (responses["kind"] == "NPS")]
    nps = by_buyer.groupby("alive")["score"].mean()
    assert nps[False] < nps[True] - 0.5
    scores = responses.groupby("kind")["score"].agg(["min", "max"])
    assert scores.loc["NPS", "min"] >= 0 and scores.loc["NPS", "max"] <= 10
    assert scores.loc["CSAT", "min"] >= 1 and scores.loc["CSAT", "max"] <= 5
    events = frames["ticket-events"]
    tickets = events[events["kind"] == "opened"].groupby("customer_id").size()
    tickets = tickets.reindex(truth.index, fill_value=0)
    subscribers = truth["is_subscriber"]
    assert tickets[subscribers & churned].mean() > tickets[subscribers & ~churned].mean()


def test_tickets_carry_satisfaction_only_when_closed(frames: dict[str, pd.DataFrame]) -> None:
    events = frames["ticket-events"].sort_values(["ticket_id", "occurred_at", "event_id"])
    closed = events["kind"] == "closed"
    assert events["satisfaction"].notna().equals(closed)
    assert events.loc[closed, "satisfaction"].between(1, 5).all()
    assert (events.groupby("ticket_id")["kind"].first() == "opened").all()
    assert set(events["priority"]) == {"low", "normal", "high", "urgent"}
    per_ticket = events.groupby("ticket_id")[["customer_id", "subject", "channel"]].nunique()
    assert (per_ticket == 1).all().all()


def test_timestamps_lie_between_start_and_as_of(
    frames: dict[str, pd.DataFrame], params: dict
) -> None:
    start = pd.Timestamp(params["start"])
    for kind, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            values = frames[kind][column]
            assert values.notna().all(), (kind, column)
            assert values.min() >= start and values.max() < pd.Timestamp(AS_OF), (kind, column)
    for column in ("dropped_out_at", "churned_at", "usage_decline_at"):
        values = frames["truth"][column].dropna()
        assert values.min() >= start and values.max() < pd.Timestamp(AS_OF), column
    events = frames["orders"].merge(frames["customers"], on="customer_id")
    assert (events["ordered_at"] >= events["signup_at"]).all()


# Bilingual


def test_chinese_speakers_get_chinese_names_and_texts(frames: dict[str, pd.DataFrame]) -> None:
    customers = frames["customers"]
    chinese = customers["language"] == "zh-CN"
    assert set(customers["language"]) == {"zh-CN", "en"}
    assert 0.40 <= chinese.mean() <= 0.50
    assert customers.loc[chinese, "name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert customers.loc[~chinese, "name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()
    assert customers["email"].is_unique
    assert customers["email"].str.fullmatch(r"[a-z.]+\.\d{7}@example\.(com|net|org)").all()
    assert customers["phone"].str.fullmatch(r"\+\d{10,14}").all()
    assert (customers.loc[customers["country"] == "CN", "language"] == "zh-CN").all()
    languages = customers.set_index("customer_id")["language"]

    def in_chinese(texts: pd.Series) -> pd.Series:
        return texts.map(lambda text: bool(CJK.search(text)))

    responses = frames["survey-responses"]
    assert responses["language"].equals(responses["customer_id"].map(languages))
    commented = responses[responses["comment"] != ""]
    assert 0.5 < len(commented) / len(responses) < 0.8
    assert in_chinese(commented["comment"]).equals(commented["language"] == "zh-CN")
    assert commented.loc[commented["language"] == "en", "comment"].map(str.isascii).all()
    tickets = frames["ticket-events"]
    assert in_chinese(tickets["subject"]).equals(tickets["customer_id"].map(languages) == "zh-CN")
    lines = frames["order-lines"].merge(frames["orders"], on="order_id")
    line_chinese = lines["customer_id"].map(languages) == "zh-CN"
    assert in_chinese(lines["product_name"]).equals(line_chinese)


def test_comments_match_the_score(frames: dict[str, pd.DataFrame]) -> None:
    responses = frames["survey-responses"]
    nps = responses[(responses["kind"] == "NPS") & (responses["comment"] != "")]
    positive = set(vocabulary.COMMENTS[(0, 2)] + vocabulary.COMMENTS[(1, 2)])
    negative = set(vocabulary.COMMENTS[(0, 0)] + vocabulary.COMMENTS[(1, 0)])
    assert nps.loc[nps["score"] >= 9, "comment"].isin(positive).all()
    assert nps.loc[nps["score"] <= 6, "comment"].isin(negative).all()


def test_time_zones_match_the_country(frames: dict[str, pd.DataFrame], params: dict) -> None:
    zones = {
        country["code"]: {zone[0] for zone in country["time_zones"]}
        for country in params["countries"]
    }
    customers = frames["customers"]
    pairs = zip(customers["country"], customers["time_zone"], strict=True)
    assert all(zone in zones[code] for code, zone in pairs)
    assert customers.loc[customers["country"] == "CN", "time_zone"].eq("Asia/Shanghai").all()
