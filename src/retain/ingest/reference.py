"""docs/data.md, generated from the import kinds so that the reference never drifts.

Regenerate with ``python -m retain.ingest.reference > docs/data.md``.
"""

from __future__ import annotations

from retain.ingest.kinds import KINDS, Kind

INTRO = """# Importing data

`retain ingest KIND FILE` reads CSV (`.csv`, `.tsv`, `.txt`), Parquet (`.parquet`) or JSON Lines
(`.jsonl`, `.ndjson`) files. Every import is checked in full before anything is written: a file
with problems imports nothing, and the command lists up to 50 problems, each with its file, row,
column and reason, and exits with code 2. An import that succeeds is all or nothing, and running it
again changes nothing: rows whose key is already stored with the same content are skipped, and a
row whose key is stored with different content is reported as a problem.

Options:

- `--mapping FILE`: a YAML or JSON file mapping this page's column names to your export's
  (`columns`), with `strptime` formats per column (`formats`), default values (`defaults`) and
  the time zone of timestamps without an offset (`timezone`). Column names also match without
  regard to case and surrounding spaces.
- `--timezone ZONE`: IANA time zone of timestamps without an offset (default
  `RETAIN_DEFAULT_TIMEZONE`, itself `UTC`). Timestamps with an offset
  (`2025-03-02T14:05:00+08:00`) keep their own. All times are stored in UTC.
- `--encoding NAME`: text encoding of CSV and JSON files, e.g. `gb18030` for Chinese Excel exports.

```yaml
# mapping.yaml for a shop export with columns "Order No", "Buyer", "Paid On", "Total"
columns:
  order_id: Order No
  customer_id: Buyer
  ordered_at: Paid On
  amount: Total
formats:
  ordered_at: "%d/%m/%Y %H:%M"
timezone: Asia/Shanghai
defaults:
  currency: CNY
```

Import `customers` first: every other kind names customers, and `order-lines` and `return-events`
name orders.
"""


def render_reference() -> str:
    """The whole of docs/data.md."""
    return "\n".join([INTRO, *(_render_kind(kind) for kind in KINDS.values())])


def _render_kind(kind: Kind) -> str:
    key = " + ".join(kind.key)
    lines = [
        f"## `{kind.name}` → warehouse table `{kind.table}`",
        "",
        kind.description,
        "",
        f"Key: `{key}`"
        + (
            " (derived from the row's content when the file has no such column)"
            if kind.derived_key
            else ""
        )
        + ".",
        "",
        "| column | type | required | rules | description |",
        "|---|---|---|---|---|",
    ]
    for column in kind.columns:
        rules = []
        if column.non_negative:
            rules.append("not negative")
        if column.choices:
            rules.append("one of " + ", ".join(f"`{choice}`" for choice in column.choices))
        if column.pattern:
            rules.append(f"matches `{column.pattern}`")
        if column.name in kind.defaults:
            rules.append(f"default `{kind.defaults[column.name]}`")
        if column.store_only:
            rules.append("kept in the store only")
        required = "yes" if column.required else "no"
        lines.append(
            f"| `{column.name}` | {column.type} | {required} | {'; '.join(rules)} | "
            f"{column.description} |"
        )
    rules = [f"- {check.reason.capitalize()}." for check in kind.row_checks]
    rules += [f"- `{ref.column}` must exist in `{ref.table}`." for ref in kind.references]
    if kind.extra_columns_into:
        rules.append(f"- Other columns are kept as a JSON object in `{kind.extra_columns_into}`.")
    lines += ["", *rules] if rules else []
    header = ",".join(column.name for column in kind.columns)
    example = ",".join(_csv_cell(column.example) for column in kind.columns)
    lines += ["", "Example:", "", "```csv", header, example, "```", ""]
    return "\n".join(lines)


def _csv_cell(text: str) -> str:
    return f'"{text}"' if "," in text else text


if __name__ == "__main__":
    print(render_reference(), end="")
