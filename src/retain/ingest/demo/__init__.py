"""The demo business: generated data with known ground truth."""

from retain.ingest.demo.generator import DEMO_KINDS, DemoBusiness, DemoModel, generate_demo

__all__ = ["DEMO_KINDS", "DemoBusiness", "DemoModel", "generate_demo"]
