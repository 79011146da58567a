"""Column-mapping files: how a user's export names map onto an import kind's columns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from retain.sandbox import load_yaml


@dataclass(frozen=True)
class ColumnMapping:
    """Source column per canonical column, strptime formats, defaults and the naive-time zone."""

    columns: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None


def load_mapping(path: Path) -> ColumnMapping:
    """Read a YAML or JSON mapping file; a clear error names what is wrong in it."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read the mapping file: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a mapping file holds an object with 'columns' and more")
    unknown = set(data) - {"columns", "formats", "defaults", "timezone"}
    if unknown:
        raise ValueError(
            f"{path}: unknown key(s) {sorted(unknown)}; "
            "expected columns, formats, defaults, timezone"
        )
    mapping = ColumnMapping(
        columns=_string_table(data.get("columns"), path, "columns"),
        formats=_string_table(data.get("formats"), path, "formats"),
        defaults=_string_table(data.get("defaults"), path, "defaults"),
        timezone=data.get("timezone"),
    )
    if mapping.timezone is not None:
        check_timezone(mapping.timezone, where=str(path))
    return mapping


def _string_table(value: Any, path: Path, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float) for v in value.values()
    ):
        raise ValueError(f"{path}: '{key}' must map column names to text")
    return {str(name): str(text) for name, text in value.items()}


def check_timezone(name: str, *, where: str = "time zone") -> str:
    """``name`` if it is an IANA time zone; a clear error otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{where}: unknown time zone {name!r} (use an IANA name such as "
            "'Asia/Shanghai' or 'UTC')"
        ) from None
    return name
