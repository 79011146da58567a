"""Every domain's store tables, imported so that Base.metadata knows them all (for Alembic)."""

from retain.currency.models import ExchangeRate
from retain.customers.models import CustomerProfile
from retain.ingest.models import ImportRun
from retain.lifetime.tables import CustomerPrediction
from retain.store import Base

__all__ = ["Base", "CustomerPrediction", "CustomerProfile", "ExchangeRate", "ImportRun"]
