"""Locust users for bench/api.py: customer-360 reads at a fixed rate, and event intake batches."""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import UTC, datetime
from pathlib import Path

from locust import FastHttpUser, constant, constant_throughput, task

KEY = os.environ["BENCH_KEY"]
IDS = Path(os.environ["BENCH_IDS"]).read_text().split()
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
PER_USER = float(os.environ.get("BENCH_RATE_PER_USER", "5"))
HEADERS = {"Authorization": f"Bearer {KEY}"}


class Customer360User(FastHttpUser):
    """Reads random customers' 360 views, PER_USER requests a second each (open-loop-ish)."""

    wait_time = constant_throughput(PER_USER)

    @task
    def read(self) -> None:
        self.client.get(
            f"/api/v1/customers/{random.choice(IDS)}", headers=HEADERS, name="customer-360"
        )


class IntakeUser(FastHttpUser):
    """Posts batches of BATCH usage events of known customers, back to back."""

    wait_time = constant(0)

    @task
    def post(self) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        prefix = uuid.uuid4().hex
        events = [
            {
                "event_id": f"{prefix}-{i}",
                "customer_id": random.choice(IDS),
                "occurred_at": now,
                "name": "bench",
                "quantity": 1,
            }
            for i in range(BATCH)
        ]
        self.client.post(
            "/api/v1/events",
            data=json.dumps({"usage_events": events}),
            headers={**HEADERS, "Content-Type": "application/json"},
            name="intake",
        )
