"""Only ``retain.store`` and ``retain.warehouse`` may branch on which database runs underneath.

Everything else reaches the store through SQLAlchemy and the warehouse through Ibis, so that the
same code runs on SQLite and PostgreSQL, on DuckDB and Spark. This walks the source and fails on
a comparison with a backend's name, or on reading a SQLAlchemy dialect's name.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TypeGuard

import retain

PACKAGE = Path(retain.__file__).parent
ALLOWED = ("store.py", "warehouse/", "migrations/")
BACKEND_NAMES = {
    "bigquery",
    "clickhouse",
    "duckdb",
    "mysql",
    "postgres",
    "postgresql",
    "pyspark",
    "snowflake",
    "spark",
    "sqlite",
}
# A branch left in place only with its reason; remove the entry when the branch goes.
EXCEPTIONS: dict[str, str] = {}


def _names_a_backend(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.lower() in BACKEND_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_backend(item) for item in node.elts)
    return False


def _reads_a_dialect_name(node: ast.AST) -> TypeGuard[ast.Attribute]:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "name"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "dialect"
    )


def backend_branches(source: str) -> list[int]:
    """Lines of ``source`` that compare with a backend's name or read a dialect's name."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            _names_a_backend(side) for side in (node.left, *node.comparators)
        ):
            found.add(node.lineno)
        if _reads_a_dialect_name(node):
            found.add(node.lineno)
    return sorted(found)


def test_the_check_finds_the_usual_spellings() -> None:
    assert backend_branches('x = "?" if backend.name == "duckdb" else "%s"') == [1]
    assert backend_branches('if scheme in ("postgresql", "postgres"):\n    pass') == [1]
    assert backend_branches("dialect = session.get_bind().dialect.name") == [1]
    assert backend_branches('kind = column.with_variant(Integer(), "sqlite")') == []


def test_no_backend_branches_outside_store_and_warehouse() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED) or relative in EXCEPTIONS:
            continue
        lines = backend_branches(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}:{line}" for line in lines]
    assert offenders == [], "branch on the backend in store.py or warehouse/ instead"


def test_every_exception_is_still_needed() -> None:
    for relative in EXCEPTIONS:
        path = PACKAGE / relative
        assert path.exists() and backend_branches(path.read_text(encoding="utf-8")), (
            f"{relative} no longer branches on the backend: drop its exception"
        )
