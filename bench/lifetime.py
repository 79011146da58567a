"""Lifetime benchmark: Retain's RFM summary and BG/NBD, Pareto/NBD and Gamma-Gamma fits against
``lifetimes`` and ``pymc-marketing``, in one run.

The claim (issue "bench/lifetime.py"): on an RFM summary of 5,000,000 transactions of 500,000
customers Retain is at least 10x as fast as ``lifetimes`` at no more than a quarter of its
memory; a BG/NBD fit is at least 10x as fast as ``lifetimes`` and 100x as fast as
``pymc-marketing`` (MAP with flat priors); a Pareto/NBD fit at least 20x as fast as
``lifetimes``; a fit on 10,000,000 customers takes under 2 s.

What runs:

1. RFM summary. Generated orders (every customer buys at least once, the other orders fall on
   customers at random, uniformly over two years, gamma amounts) are written once, not timed,
   to a Parquet file and to a Retain warehouse file. Each side then runs in its own freshly
   spawned process, so that its peak RSS is its own: Retain's ``rfm_summary`` (days) over the
   warehouse's ``order`` table, executed to pandas; the same expression over the Parquet file
   read into a pandas frame (``ibis.memtable`` on DuckDB, the input that ``lifetimes`` gets);
   ``lifetimes.utils.summary_data_from_transaction_data`` (``freq="D"``) on that frame. The
   three summaries are compared customer by customer.
2. Fits on CDNOW (the 1/10 sample, 2,357 customers, 39 weeks): BG/NBD and Pareto/NBD on the
   shipped summary in weeks, Gamma-Gamma on the repeat buyers of the summary Retain computes
   from the raw transactions. The parameters of every library are printed side by side.
3. Fits on simulated customers: BG/NBD and Pareto/NBD customers drawn with the CDNOW
   parameters, T a whole number of weeks from 1 to 78 and recency rounded to whole weeks (as
   a summary in weeks of daily data with a weekly horizon would be; whole units are what make
   real summaries compressible, and Retain compresses identical rows before fitting).

Retain's fits run in this process, best of ``--repeat``. Each peer fit runs in a spawned
process that builds its data, signals that timing starts and is stopped after a cap
(``--lifetimes-cap``, ``--pymc-cap``); a stopped fit is reported as "more than the cap". A
pymc-marketing fit is timed from building the model (what a user calls ``fit`` for): the
first fit in a process includes compiling the graph, and the best of the later ones is the
figure compared. ``lifetimes`` is also fitted with the identical rows compressed by hand
(its ``weights`` argument) to show how much of the difference is compression alone.

Usage:
    .venv/bin/python bench/lifetime.py [--quick] [--json bench/out/lifetime.json]
        [--repeat 3] [--lifetimes-cap 120] [--pymc-cap 240] [--skip-pymc]

Extra packages, for this benchmark only (never dependencies of Retain):
    .venv/bin/uv pip install --python .venv/bin/python lifetimes pymc-marketing
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = ROOT / "bench" / "out" / "lifetime.json"
CDNOW = ROOT.parent / "shared" / "data" / "cdnow"
CDNOW_END = date(1997, 9, 30)  # 39 weeks after 1997-01-01, the end day included

# The targets of the issue.
RFM_SPEED_TARGET = 10.0  # Retain at least this many times as fast as lifetimes
RFM_MEMORY_TARGET = 0.25  # Retain's peak RSS at most this share of lifetimes'
BGNBD_LIFETIMES_TARGET = 10.0
BGNBD_PYMC_TARGET = 100.0
PARETO_LIFETIMES_TARGET = 20.0
LARGE_FIT_SECONDS = 2.0  # a fit on 10,000,000 customers

# The published CDNOW estimates (weeks), the truth of the simulated customers.
BGNBD_TRUTH = {"r": 0.243, "alpha": 4.41, "a": 0.793, "b": 2.43}
PARETO_TRUTH = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
MAX_WEEKS = 78
RFM_START = date(2023, 1, 1)
RFM_DAYS = 730
RFM_END = date(2024, 12, 30)  # the last generated day, included

# Orders as Retain's canonical ``order`` table, from the generated Parquet file.
CANONICAL_ORDERS_SQL = """
INSERT INTO "order" BY NAME
SELECT 'O' || lpad(n::VARCHAR, 9, '0') AS order_id, customer_id, ordered_at,
       amount::DECIMAL(18, 2) AS amount, 'USD' AS currency, 'paid' AS status
FROM read_parquet(?)"""


# --- measuring -------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident memory now, from /proc (the peak cannot be reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(repeat: int, function: Callable[[], Any]) -> tuple[list[float], Any]:
    """Every run's seconds and the last run's result."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def _child_main(sender: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Entry of a spawned process: ``function`` gets a callback to say that timing starts."""
    warnings.filterwarnings("ignore")
    try:
        result = function(lambda: sender.send(("started", None)), *args)
        sender.send(("done", result))
    except Exception as error:  # the parent reports the failure instead of stopping
        sender.send(("failed", f"{type(error).__name__}: {error}"))


def in_child(function: Callable[..., Any], *args: Any, cap: float | None = None) -> dict[str, Any]:
    """Run ``function(started, *args)`` in a fresh interpreter; stop it ``cap`` seconds after it
    calls ``started()``. A dict with ``status`` "done" (and the result), "capped" or "failed"."""
    context = get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, function, args))
    process.start()
    try:
        kind, payload = receiver.recv()  # setup (imports, data) is not capped
        if kind == "started":
            if cap is not None and not receiver.poll(cap):
                return {"status": "capped", "cap_seconds": cap}
            kind, payload = receiver.recv()
        if kind == "failed":
            return {"status": "failed", "error": payload}
        return {"status": "done", **payload}
    finally:
        process.kill()
        process.join()


# --- data ------------------------------------------------------------------------------------


def write_orders(folder: Path, transactions: int, customers: int) -> dict[str, Any]:
    """The generated orders as Parquet and as a Retain warehouse file (not timed)."""
    import duckdb

    from retain.warehouse import connect

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    # Every customer buys once; the remaining orders land on customers at random.
    ids = np.concatenate(
        [np.arange(customers), rng.integers(0, customers, transactions - customers)]
    )
    frame = pd.DataFrame(
        {
            "n": np.arange(transactions),
            "customer": rng.permutation(ids),
            "second": rng.integers(0, RFM_DAYS * 86400, transactions),
            "amount": rng.gamma(2.0, 30.0, transactions).round(2),
        }
    )
    parquet = folder / "orders.parquet"
    with duckdb.connect() as con:
        con.register("frame", frame)
        # String ids as the canonical tables have them; both sides read the same file.
        con.execute(
            f"""COPY (SELECT n, 'C' || lpad(customer::VARCHAR, 7, '0') AS customer_id,
                      TIMESTAMP '{RFM_START}' + to_seconds(second) AS ordered_at, amount
                      FROM frame) TO '{parquet}' (FORMAT parquet)"""
        )
    warehouse = folder / "warehouse.duckdb"
    connect(f"duckdb:///{warehouse}").disconnect()  # the canonical tables
    with duckdb.connect(str(warehouse)) as con:
        con.execute(CANONICAL_ORDERS_SQL, [str(parquet)])
        con.execute("CHECKPOINT")
    return {
        "transactions": transactions,
        "customers": customers,
        "parquet_mb": round(parquet.stat().st_size / 2**20, 1),
        "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def cdnow_orders() -> pd.DataFrame:
    """The CDNOW sample's transactions as canonical orders: customer_id, ordered_at, amount."""
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )


def cdnow_summary() -> pd.DataFrame:
    """The shipped CDNOW summary: frequency, recency and T in weeks."""
    summary = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    summary = summary.rename(columns={"ID": "customer_id"})
    summary.attrs["unit"] = "weeks"
    return summary


def cdnow_repeat_buyers() -> pd.DataFrame:
    """customer_id, frequency, monetary of the repeat buyers, as Retain computes them."""
    import ibis

    from retain.lifetime import rfm_summary

    orders = ibis.memtable(cdnow_orders())
    summary = rfm_summary(orders, calibration_end=CDNOW_END, unit="weeks").to_pandas()
    buyers = summary[summary["frequency"] > 0].sort_values("customer_id", ignore_index=True)
    return buyers[["customer_id", "frequency", "monetary"]]


def _whole_weeks(frequency: np.ndarray, last: np.ndarray, age: np.ndarray) -> pd.DataFrame:
    recency = np.where(frequency > 0, np.minimum(np.round(last), age), 0.0)
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(age)),
            "frequency": frequency.astype(np.float64),
            "recency": recency,
            "T": age,
        }
    )


def _last_purchase(rng: np.random.Generator, kept: np.ndarray, seen: np.ndarray, until: np.ndarray):
    """Time of purchase ``kept`` among ``seen`` uniform on (0, until): Beta(k, n - k + 1)."""
    kth = rng.beta(np.maximum(kept, 1), np.maximum(seen - kept, 0) + 1)
    return np.where(kept > 0, until * kth, 0.0)


def simulate_bgnbd(customers: int, seed: int = 1) -> pd.DataFrame:
    """BG/NBD customers with the CDNOW parameters, in whole weeks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    p = BGNBD_TRUTH
    age = rng.integers(1, MAX_WEEKS + 1, customers).astype(np.float64)
    seen = rng.poisson(rng.gamma(p["r"], 1 / p["alpha"], customers) * age)
    # She leaves after repeat purchase number ``leaves_after``; purchases after it never happen.
    leaves_after = rng.geometric(rng.beta(p["a"], p["b"], customers))
    frequency = np.minimum(seen, leaves_after)
    summary = _whole_weeks(frequency, _last_purchase(rng, frequency, seen, age), age)
    summary.attrs["unit"] = "weeks"
    return summary


def simulate_pareto(customers: int, seed: int = 2) -> pd.DataFrame:
    """Pareto/NBD customers with the CDNOW parameters, in whole weeks."""
    rng = np.random.default_rng(seed)
    p = PARETO_TRUTH
    age = rng.integers(1, MAX_WEEKS + 1, customers).astype(np.float64)
    rate = rng.gamma(p["r"], 1 / p["alpha"], customers)
    alive_for = np.minimum(rng.exponential(1 / rng.gamma(p["s"], 1 / p["beta"], customers)), age)
    frequency = rng.poisson(rate * alive_for)
    summary = _whole_weeks(frequency, _last_purchase(rng, frequency, frequency, alive_for), age)
    summary.attrs["unit"] = "weeks"
    return summary


def load_data(dataset: str, customers: int) -> pd.DataFrame:
    """A fit's input by name, the same in every process."""
    if dataset == "cdnow":
        return cdnow_summary()
    if dataset == "cdnow-repeat-buyers":
        return cdnow_repeat_buyers()
    if dataset == "bgnbd":
        return simulate_bgnbd(customers)
    return simulate_pareto(customers)


# --- RFM summary -----------------------------------------------------------------------------


def rfm_retain(started: Callable[[], None], folder: Path, source: str, repeat: int) -> dict:
    """Retain's rfm_summary in days, over the warehouse file or over the Parquet file in pandas."""
    import ibis

    from retain.lifetime import rfm_summary
    from retain.warehouse import connect

    if source == "warehouse":
        backend = connect(f"duckdb:///{folder / 'warehouse.duckdb'}")
        orders = backend.table("order")
    else:
        frame = pd.read_parquet(folder / "orders.parquet")
        orders = ibis.memtable(frame)
    baseline = current_rss_mb()
    started()
    expression = rfm_summary(orders, calibration_end=RFM_END, unit="days")
    seconds, summary = timed(repeat, expression.to_pandas)
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "baseline_mb": baseline} | (
        _summary_arrays(summary.set_index("customer_id"), "monetary")
    )


def rfm_lifetimes(started: Callable[[], None], folder: Path, repeat: int) -> dict:
    """lifetimes' summary_data_from_transaction_data in days on the orders in pandas."""
    from lifetimes.utils import summary_data_from_transaction_data

    frame = pd.read_parquet(
        folder / "orders.parquet", columns=["customer_id", "ordered_at", "amount"]
    )
    baseline = current_rss_mb()
    started()
    seconds, summary = timed(
        repeat,
        lambda: summary_data_from_transaction_data(
            frame,
            "customer_id",
            "ordered_at",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(RFM_END),
            freq="D",
        ),
    )
    return {"seconds": seconds, "peak_mb": peak_rss_mb(), "baseline_mb": baseline} | (
        _summary_arrays(summary, "monetary_value")
    )


def _summary_arrays(summary: pd.DataFrame, monetary: str) -> dict[str, Any]:
    """The summary's columns in customer order, small enough to send back for comparison."""
    ordered = summary.sort_index()
    return {
        "customers": len(ordered),
        "ids_hash": int(pd.util.hash_pandas_object(ordered.index.astype(str), index=False).sum()),
        "columns": {
            "frequency": ordered["frequency"].to_numpy(np.float64),
            "recency": ordered["recency"].to_numpy(np.float64),
            "T": ordered["T"].to_numpy(np.float64),
            # lifetimes gives 0 without a repeat purchase, Retain null
            "monetary": ordered[monetary].fillna(0.0).to_numpy(np.float64),
        },
    }


def compare_summaries(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Whether two summaries describe the same customers with the same figures."""
    same_customers = ours["ids_hash"] == theirs["ids_hash"]
    differences = (
        {
            name: float(np.max(np.abs(ours["columns"][name] - theirs["columns"][name])))
            for name in ours["columns"]
        }
        if same_customers
        else {}
    )
    equal = same_customers and all(
        value <= (1e-6 if name == "monetary" else 0.0) for name, value in differences.items()
    )
    return {"same_customers": same_customers, "max_abs_difference": differences, "equal": equal}


def run_rfm(folder: Path, repeat: int) -> dict[str, Any]:
    sides = {
        "retain (warehouse file)": in_child(rfm_retain, folder, "warehouse", repeat),
        "retain (pandas frame, ibis.memtable)": in_child(rfm_retain, folder, "pandas", repeat),
        "lifetimes": in_child(rfm_lifetimes, folder, repeat),
    }
    reference = sides["lifetimes"]
    for name, side in sides.items():
        if name != "lifetimes" and side["status"] == reference["status"] == "done":
            side["matches_lifetimes"] = compare_summaries(side, reference)
    for side in sides.values():
        side.pop("columns", None)
    return sides


# --- fits ------------------------------------------------------------------------------------

MODELS = ("BG/NBD", "Pareto/NBD", "Gamma-Gamma")


def retain_fit(model: str, data: pd.DataFrame) -> dict[str, Any]:
    from retain.lifetime import BetaGeoModel, GammaGammaModel, ParetoNBDModel

    if model == "Gamma-Gamma":
        fitted: Any = GammaGammaModel().fit(data)
    else:
        fitted = {"BG/NBD": BetaGeoModel, "Pareto/NBD": ParetoNBDModel}[model](unit="weeks")
        fitted.fit(data)
    return {"params": fitted.params, "unique_rows": fitted.result.unique_rows}


def lifetimes_fit(model: str, data: pd.DataFrame, compressed: bool) -> dict[str, Any]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    if model == "Gamma-Gamma":
        fitted = GammaGammaFitter().fit(data["frequency"], data["monetary"])
        params = fitted.params_.to_dict()
        return {"params": {"p": params["p"], "q": params["q"], "gamma": params["v"]}}
    fitter = {"BG/NBD": BetaGeoFitter, "Pareto/NBD": ParetoNBDFitter}[model]()
    columns = ["frequency", "recency", "T"]
    if compressed:  # what a careful lifetimes user can do by hand: one row per distinct triple
        counted = data.groupby(columns, as_index=False).size()
        fitter.fit(*(counted[name] for name in columns), weights=counted["size"])
    else:
        fitter.fit(*(data[name] for name in columns))
    return {"params": {name: float(value) for name, value in fitter.params_.items()}}


PYMC_NAMES = {
    "BG/NBD": ("r", "alpha", "a", "b"),
    "Pareto/NBD": ("r", "alpha", "s", "beta"),
    "Gamma-Gamma": ("p", "q", "v"),
}


def pymc_fit(model: str, data: pd.DataFrame) -> dict[str, Any]:
    """MAP with flat (HalfFlat) priors: find_MAP without the Jacobian is the maximum likelihood."""
    from pymc_extras.prior import Prior
    from pymc_marketing import clv

    kind = {
        "BG/NBD": clv.BetaGeoModel,
        "Pareto/NBD": clv.ParetoNBDModel,
        "Gamma-Gamma": clv.GammaGammaModel,
    }[model]
    names = PYMC_NAMES[model]
    frame = data.rename(columns={"monetary": "monetary_value"})
    fitted = kind(model_config={name: Prior("HalfFlat") for name in names})
    fitted.fit(frame, method="map", progressbar=False)
    posterior = fitted.idata.posterior
    params = {name: float(posterior[name].values.ravel()[0]) for name in names}
    if model == "Gamma-Gamma":
        params["gamma"] = params.pop("v")
    return {"params": params}


def peer_fit(
    started: Callable[[], None],
    library: str,
    model: str,
    dataset: str,
    customers: int,
    repeat: int,
) -> dict[str, Any]:
    """A peer library's fit in its own process: every run's seconds and the last parameters."""
    data = load_data(dataset, customers)
    if library == "pymc-marketing":
        import pymc_marketing.clv  # noqa: F401  importing takes seconds: not part of a fit

        def fit() -> dict[str, Any]:
            return pymc_fit(model, data)
    else:
        import lifetimes  # noqa: F401

        def fit() -> dict[str, Any]:
            return lifetimes_fit(model, data, compressed=library.endswith("compressed"))

    started()
    seconds, result = timed(repeat, fit)
    return {"seconds": seconds, **result}


def run_fit_case(
    model: str, dataset: str, customers: int, options: argparse.Namespace
) -> dict[str, Any]:
    """One model on one data set: Retain in this process, each peer in its own."""
    data = load_data(dataset, customers)
    seconds, result = timed(options.repeat, lambda: retain_fit(model, data))
    sides: dict[str, Any] = {"retain": {"status": "done", "seconds": seconds, **result}}
    for library in peer_libraries(model, dataset, customers, options.skip_pymc):
        cap = options.pymc_cap if library == "pymc-marketing" else options.lifetimes_cap
        runs = peer_runs(library, customers, options.repeat)
        sides[library] = in_child(peer_fit, library, model, dataset, customers, runs, cap=cap)
    return {"model": model, "dataset": dataset, "customers": len(data), "sides": sides}


def peer_libraries(model: str, dataset: str, customers: int, skip_pymc: bool) -> list[str]:
    """The peers of one case: pymc-marketing is left out at 10,000,000 customers."""
    peers = ["lifetimes"]
    if model != "Gamma-Gamma":  # its input has one row per customer with no repeats to merge
        peers.append("lifetimes (compressed by hand)")
    if not skip_pymc and customers < 5_000_000:
        peers.append("pymc-marketing")
    return peers


def peer_runs(library: str, customers: int, repeat: int) -> int:
    """How often to fit: once when a fit takes minutes; pymc once more, for its compiling run."""
    slow = customers >= 1_000_000 and library != "lifetimes (compressed by hand)"
    runs = 1 if slow else repeat
    return runs + 1 if library == "pymc-marketing" else runs


def best_seconds(side: dict[str, Any], library: str) -> float | None:
    """The figure compared: the fastest run; for pymc, the fastest after the compiling one."""
    if side["status"] != "done":
        return None
    runs = (
        side["seconds"][1:]
        if library == "pymc-marketing" and len(side["seconds"]) > 1
        else (side["seconds"])
    )
    return min(runs)


# --- report ----------------------------------------------------------------------------------


def fit_targets(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets that this case measures, with the ratio found."""
    model, sides = case["model"], case["sides"]
    ours = best_seconds(sides["retain"], "retain")
    assert ours is not None
    wanted = {
        "BG/NBD": {"lifetimes": BGNBD_LIFETIMES_TARGET, "pymc-marketing": BGNBD_PYMC_TARGET},
        "Pareto/NBD": {"lifetimes": PARETO_LIFETIMES_TARGET},
    }.get(model, {})
    rows = []
    for library, target in wanted.items():
        if library not in sides:
            continue
        side = sides[library]
        theirs = best_seconds(side, library)
        if theirs is None and side["status"] == "capped":
            ratio, at_least = side["cap_seconds"] / ours, True
        elif theirs is None:
            continue
        else:
            ratio, at_least = theirs / ours, False
        rows.append(
            {
                "claim": f"{model} fit vs {library}, {case['dataset']} ({case['customers']:,})",
                "target": f">= {target:g}x",
                "found": f"{'>= ' if at_least else ''}{ratio:.1f}x",
                "met": ratio >= target,
            }
        )
    if case["customers"] >= 10_000_000:
        rows.append(
            {
                "claim": f"{model} fit on {case['customers']:,} customers",
                "target": f"< {LARGE_FIT_SECONDS:g} s",
                "found": f"{ours:.2f} s",
                "met": ours < LARGE_FIT_SECONDS,
            }
        )
    return rows


def rfm_targets(rfm: dict[str, Any]) -> list[dict[str, Any]]:
    theirs = rfm["sides"]["lifetimes"]
    rows = []
    for name, side in rfm["sides"].items():
        if name == "lifetimes" or side["status"] != "done" or theirs["status"] != "done":
            continue
        speed = min(theirs["seconds"]) / min(side["seconds"])
        memory = side["peak_mb"] / theirs["peak_mb"]
        rows.append(
            {
                "claim": f"RFM summary speed, {name} vs lifetimes",
                "target": f">= {RFM_SPEED_TARGET:g}x",
                "found": f"{speed:.1f}x",
                "met": speed >= RFM_SPEED_TARGET,
            }
        )
        rows.append(
            {
                "claim": f"RFM summary peak RSS, {name} / lifetimes",
                "target": f"<= {RFM_MEMORY_TARGET:g}",
                "found": f"{memory:.2f}",
                "met": memory <= RFM_MEMORY_TARGET,
            }
        )
    return rows


def print_rfm(rfm: dict[str, Any]) -> None:
    print(
        f"\nRFM summary: {rfm['data']['transactions']:,} transactions, "
        f"{rfm['data']['customers']:,} customers (days)"
    )
    print(
        f"{'side':40} {'best s':>8} {'all s':>22} {'peak MB':>9} {'base MB':>8}  same as lifetimes"
    )
    for name, side in rfm["sides"].items():
        if side["status"] != "done":
            print(f"{name:40} {side['status']}: {side.get('error', '')}")
            continue
        runs = ", ".join(f"{value:.2f}" for value in side["seconds"])
        match = side.get("matches_lifetimes", {}).get("equal", "-")
        print(
            f"{name:40} {min(side['seconds']):8.2f} {runs:>22} {side['peak_mb']:9.0f}"
            f" {side['baseline_mb']:8.0f}  {match}"
        )


def print_fits(cases: list[dict[str, Any]]) -> None:
    print(
        f"\n{'model':11} {'data':19} {'customers':>11} {'side':31} {'best s':>9} {'vs Retain':>10}"
        "  parameters"
    )
    for case in cases:
        ours = best_seconds(case["sides"]["retain"], "retain")
        for library, side in case["sides"].items():
            theirs = best_seconds(side, library)
            if theirs is None:
                shown = f"> {side['cap_seconds']:g}" if side["status"] == "capped" else "failed"
                ratio = (
                    f">= {side['cap_seconds'] / ours:.0f}x" if side["status"] == "capped" else ""
                )
                params = side.get("error", "")
            else:
                shown, ratio = f"{theirs:.3f}", f"{theirs / ours:.1f}x"
                params = " ".join(f"{k}={v:.4g}" for k, v in side["params"].items())
            print(
                f"{case['model']:11} {case['dataset']:19} {case['customers']:11,} {library:31}"
                f" {shown:>9} {ratio:>10}  {params}"
            )


def print_targets(targets: list[dict[str, Any]]) -> None:
    print(f"\n{'claim':70} {'target':>9} {'found':>10}  met")
    for row in targets:
        met = "yes" if row["met"] else "NO"
        print(f"{row['claim']:70} {row['target']:>9} {row['found']:>10}  {met}")


def package_versions() -> dict[str, str]:
    names = (
        "retain",
        "lifetimes",
        "pymc-marketing",
        "pymc",
        "pytensor",
        "autograd",
        "duckdb",
        "ibis-framework",
        "pandas",
        "numpy",
        "scipy",
    )
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def to_json(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values."""
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- main ------------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast step")
    parser.add_argument("--lifetimes-cap", type=float, default=120.0, help="seconds per fit")
    parser.add_argument("--pymc-cap", type=float, default=240.0, help="seconds per fit")
    parser.add_argument("--skip-pymc", action="store_true", help="leave pymc-marketing out")
    return parser.parse_args()


def fit_cases(quick: bool) -> list[tuple[str, str, int]]:
    sizes = (20_000, 200_000) if quick else (1_000_000, 10_000_000)
    cases = [(model, "cdnow", 0) for model in ("BG/NBD", "Pareto/NBD")]
    cases.append(("Gamma-Gamma", "cdnow-repeat-buyers", 0))
    for customers in sizes:
        cases.append(("BG/NBD", "bgnbd", customers))
        cases.append(("Pareto/NBD", "pareto", customers))
    return cases


def main() -> None:
    options = parse_arguments()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_at_start = os.getloadavg()
    transactions, customers = (200_000, 20_000) if options.quick else (5_000_000, 500_000)
    print(f"load average at start: {load_at_start}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="lifetime-bench-") as name:
        folder = Path(name)
        data = write_orders(folder, transactions, customers)
        print(f"orders written in {data['seconds']} s (not timed)")
        rfm = {"data": data, "sides": run_rfm(folder, options.repeat)}
    print_rfm(rfm)
    cases = []
    for model, dataset, size in fit_cases(options.quick):
        print(f"fitting {model} on {dataset} {size or ''} ...", flush=True)
        cases.append(run_fit_case(model, dataset, size, options))
    print_fits(cases)
    targets = rfm_targets(rfm) + [row for case in cases for row in fit_targets(case)]
    print_targets(targets)
    results = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started_at": started_at,
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "packages": package_versions(),
        "rfm": rfm,
        "fits": cases,
        "targets": targets,
    }
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(to_json(results), indent=2))
    print(f"\nwritten to {options.json}")


if __name__ == "__main__":
    main()
