"""docs/data.md is the generated reference, and its example rows really import."""

from __future__ import annotations

from pathlib import Path

from retain.ingest.kinds import KINDS
from retain.ingest.reference import render_reference
from retain.ingest.service import ingest_file
from retain.settings import Settings
from tests.helpers import warehouse_count, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_docs_data_md_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "regenerate with: python -m retain.ingest.reference > docs/data.md"
    )


def test_every_documented_example_row_imports(settings: Settings, tmp_path: Path) -> None:
    for kind in KINDS.values():  # in the documented order: customers, then orders, ...
        header = ",".join(column.name for column in kind.columns)
        row = ",".join(f'"{column.example}"' for column in kind.columns)
        path = write_csv(tmp_path / f"{kind.name}.csv", header, row)

        result = ingest_file(kind=kind.name, path=path, settings=settings)

        assert result.rows_inserted == 1, kind.name
        assert warehouse_count(settings, kind.table) == 1
