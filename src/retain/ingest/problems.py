"""What is wrong with an import, said so that a person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located by file, row and column."""

    file: str
    row: int | None
    column: str | None
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        shown = f" (value {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where)}: {self.reason}{shown}"


class IngestError(Exception):
    """An import that changed nothing because its input has problems."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = max(total or 0, len(problems))
        more = f" (showing the first {len(problems)})" if self.total > len(problems) else ""
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{self.total} problem(s), nothing was imported{more}:\n{lines}")
