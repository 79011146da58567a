"""Read an input file into DuckDB, type every column and collect each row's problems.

Staging always runs in DuckDB: it streams CSV, Parquet and JSON Lines with bounded memory and
validates millions of rows in one vectorised pass. The result is a temporary table ``_stage``
holding the row number and the typed columns of the kind, deduplicated by key.
"""

from __future__ import annotations

import codecs
import csv
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from retain.ingest.kinds import Column, Kind
from retain.ingest.mapping import ColumnMapping
from retain.ingest.problems import IngestError, Problem
from retain.warehouse.sql import quote_identifier as _quote
from retain.warehouse.sql import quote_literal as _string_literal

STAGE = "_stage"
RAW = "_raw"
NATIVE_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16", "latin-1": "latin-1"}
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}
# An offset counts only after a time of day: the "-02" of the date 2025-03-02 is a day.
OFFSET_PATTERN = r"\d:\d{2}(:\d{2}(\.\d*)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"
OFFSET_HOURS = r"([+-]\d{2}):?\d{0,2}$"
LATEST_OFFSET_HOURS = 14
# Dates outside these years are typing slips or placeholders (0001-01-01, 9999-12-31), and
# later computations on them overflow; DuckDB's words for instants (epoch, infinity) too.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
MONEY_DECIMALS = 2
# CSV files: the delimiters a header may use, how much of it is read to tell which, and how
# many columns a file may have (a 10,000-column header once exhausted the import's memory).
DELIMITERS = ",;\t|"
HEADER_CHARACTERS = 1 << 20
MAX_COLUMNS = 1_000
# ISO 4217's currencies with no minor unit (CLDR's display digits differ: HUF, IDR, COP…).
CURRENCIES_WITHOUT_MINOR_UNITS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

ProgressCallback = Callable[[str, float | None], None]


@dataclass(frozen=True)
class StageOptions:
    """How to read one file."""

    mapping: ColumnMapping
    timezone: str
    encoding: str = "utf-8"
    max_problems: int = 50


@dataclass(frozen=True)
class ColumnCheck:
    """A rule on one column, as a SQL condition that is true when the value breaks it."""

    condition: str
    column: str
    value: str
    reason: str

    def as_struct(self) -> str:
        """The problem as a DuckDB struct when the rule is broken, else NULL."""
        return (
            f"CASE WHEN {self.condition} THEN {{'column': {_string_literal(self.column)}, "
            f"'value': {self.value}, 'reason': {_string_literal(self.reason)}}} END"
        )


@dataclass(frozen=True)
class StagedFile:
    """A file read, typed and validated into the temporary table ``_stage``."""

    rows_read: int
    rows_staged: int
    ignored_columns: list[str]


def detect_format(path: Path) -> str:
    """csv, parquet or json, from the file's name."""
    suffixes = [suffix.lower() for suffix in path.suffixes if suffix.lower() != ".gz"]
    file_format = FORMATS.get(suffixes[-1] if suffixes else "")
    if file_format is None:
        raise IngestError(
            [Problem(str(path), None, None, "unknown file type; use .csv, .parquet or .jsonl")]
        )
    return file_format


def stage_file(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: Kind,
    path: Path,
    options: StageOptions,
    run: Callable[[str], object],
) -> StagedFile:
    """Read ``path`` into ``_stage``; raise IngestError with every problem found (up to a limit).

    ``run`` executes one long statement, reporting progress while it runs.
    """
    file_name = str(path)
    file_format = detect_format(path)
    with _utf8_copy(path, options.encoding, file_format) as readable:
        _read_raw(con, readable, file_format, file_name, options, run)
    raw_columns = [row[0] for row in con.execute(f"DESCRIBE {RAW}").fetchall()]
    _refuse_unreadable_names(raw_columns, file_name)
    sources = _resolve_columns(kind, raw_columns, options.mapping, file_name)
    first_row = 2 if file_format == "csv" else 1
    checks = _all_column_checks(kind, sources, options)
    run(_stage_sql(kind, sources, raw_columns, options, first_row, checks))
    _raise_row_problems(con, kind, checks, first_row, file_name, options.max_problems)
    con.execute(f"DROP TABLE {RAW}")
    if kind.derived_key and kind.key[0] not in sources:
        _derive_key(con, kind)
    rows_read = _count(con, STAGE)
    if _has_repeated_keys(con, kind):
        _raise_conflicting_repeats(con, kind, file_name, options.max_problems)
        _drop_repeated_rows(con, kind)
    used = set(sources.values())
    ignored = [] if kind.extra_columns_into else [c for c in raw_columns if c not in used]
    return StagedFile(rows_read=rows_read, rows_staged=_count(con, STAGE), ignored_columns=ignored)


def _refuse_unreadable_names(raw_columns: list[str], file_name: str) -> None:
    # DuckDB's parser ends a quoted name at a NUL, so such a name cannot be selected safely.
    unreadable = [name for name in raw_columns if "\x00" in name]
    if unreadable:
        reason = "a column name contains a NUL character; rename the column"
        raise IngestError([Problem(file_name, None, name, reason) for name in unreadable])


@contextmanager
def _utf8_copy(path: Path, encoding: str, file_format: str) -> Iterator[Path]:
    """The file itself, or a streamed UTF-8 copy when DuckDB cannot read its encoding."""
    normalized = codecs.lookup(encoding).name if encoding else "utf-8"
    if file_format == "parquet" or normalized.replace("_", "-") in NATIVE_ENCODINGS:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="retain-import-") as folder:
        copy = Path(folder) / path.name
        with (
            path.open(encoding=encoding, newline="") as source,
            copy.open("w", encoding="utf-8", newline="") as target,
        ):
            shutil.copyfileobj(source, target, length=1 << 20)
        yield copy


def _read_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    file_format: str,
    file_name: str,
    options: StageOptions,
    run: Callable[[str], object],
) -> None:
    literal = _string_literal(str(path))
    if file_format == "csv":
        encoding = NATIVE_ENCODINGS.get(codecs.lookup(options.encoding).name, "utf-8")
        delimiter, names = _csv_header(path, options.encoding, file_name)
        # Declared, not guessed from a sample: a quoted field first seen on row 30,001 reads
        # like any other, and an unclosed quote is a located problem instead of a value.
        columns = ", ".join(f"{_string_literal(name)}: 'VARCHAR'" for name in names)
        source = (
            f"read_csv({literal}, auto_detect = false, columns = {{{columns}}}, header = true, "
            f"delim = {_string_literal(delimiter)}, quote = '\"', escape = '\"', "
            f"store_rejects = true, encoding = {_string_literal(encoding)})"
        )
    elif file_format == "parquet":
        source = f"(SELECT COLUMNS(*)::VARCHAR FROM read_parquet({literal}))"
    else:
        source = (
            f"(SELECT COLUMNS(*)::VARCHAR FROM read_json({literal}, format = 'newline_delimited'))"
        )
    try:
        run(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM {source}")
    except duckdb.Error as error:
        raise IngestError([Problem(file_name, None, None, _first_line(error))]) from error
    if file_format == "csv":
        _raise_rejected_lines(con, file_name, options)


def _csv_header(path: Path, encoding: str, file_name: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of a CSV file's header, refused when unusable."""
    python_encoding = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    with path.open(encoding=python_encoding, errors="replace", newline="") as file:
        first_line = file.readline(HEADER_CHARACTERS)
        try:
            delimiter = csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
        file.seek(0)
        names = next(csv.reader(file, delimiter=delimiter), [])
    _refuse_bad_header(names, file_name)
    return delimiter, names


def _refuse_bad_header(names: list[str], file_name: str) -> None:
    if not names:
        raise IngestError([Problem(file_name, 1, None, "the file has no header line")])
    if len(names) > MAX_COLUMNS:
        reason = f"the header has {len(names):,} columns; at most {MAX_COLUMNS:,} are read"
        raise IngestError([Problem(file_name, 1, None, reason)])
    _refuse_unreadable_names(names, file_name)
    seen: dict[str, str] = {}
    problems = []
    for name in names:
        folded = name.strip().casefold()
        if folded in seen:
            reason = f"the header names this column twice (as {seen[folded]!r} too)"
            problems.append(Problem(file_name, 1, name, reason))
        seen.setdefault(folded, name)
    if problems:
        raise IngestError(problems)


def _raise_rejected_lines(
    con: duckdb.DuckDBPyConnection, file_name: str, options: StageOptions
) -> None:
    rejected = con.execute(
        "SELECT line, column_name, error_type, csv_line FROM reject_errors ORDER BY line"
    ).fetchall()
    if not rejected:
        return
    problems = [
        Problem(
            file_name,
            int(line),
            column,
            _reject_reason(error_type, options.encoding),
            None if error_type == "INVALID ENCODING" else text,
        )
        for line, column, error_type, text in rejected[: options.max_problems]
    ]
    raise IngestError(problems, total=len(rejected))


def _reject_reason(error_type: str, encoding: str) -> str:
    if error_type == "INVALID ENCODING":
        return (
            f"the file is not valid {encoding}: name its encoding with --encoding "
            "(for example gb18030 for Chinese Excel exports)"
        )
    return error_type.lower().replace("_", " ")


def _resolve_columns(
    kind: Kind, raw_columns: list[str], mapping: ColumnMapping, file_name: str
) -> dict[str, str]:
    """The file column that feeds each kind column present (mapped, or matched by name)."""
    by_folded_name = {column.strip().lower(): column for column in raw_columns}
    known = {column.name for column in kind.columns}
    problems = [
        Problem(file_name, None, name, "the mapping names a column that this kind does not have")
        for name in mapping.columns
        if name not in known
    ]
    sources: dict[str, str] = {}
    for column in kind.columns:
        wanted = mapping.columns.get(column.name, column.name)
        found = by_folded_name.get(wanted.strip().lower())
        if found is not None:
            sources[column.name] = found
        elif (
            column.required
            and column.name not in _defaults(kind, mapping)
            and not (kind.derived_key and column.name in kind.key)
        ):
            problems.append(
                Problem(
                    file_name,
                    None,
                    column.name,
                    f"missing column {wanted!r}; the file has: {', '.join(raw_columns)}",
                )
            )
    if problems:
        raise IngestError(problems)
    return sources


def _defaults(kind: Kind, mapping: ColumnMapping) -> dict[str, str]:
    return {**kind.defaults, **mapping.defaults}


def _all_column_checks(
    kind: Kind, sources: dict[str, str], options: StageOptions
) -> list[ColumnCheck]:
    defaults = _defaults(kind, options.mapping)
    checks = []
    for column in kind.columns:
        value = _raw_value(column.name, sources, defaults)
        checks += _column_checks(column, value, _typed(column, value, options))
    if any(column.name == "currency" for column in kind.columns):
        currency = _raw_value("currency", sources, defaults)
        checks += [
            _whole_units_check(column, _raw_value(column.name, sources, defaults), currency)
            for column in kind.columns
            if column.type == "decimal"
        ]
    return checks


def _whole_units_check(column: Column, value: str, currency: str) -> ColumnCheck:
    """Amounts in a currency without minor units (JPY, KRW…) are whole numbers (ISO 4217)."""
    codes = ", ".join(_string_literal(code) for code in sorted(CURRENCIES_WITHOUT_MINOR_UNITS))
    return ColumnCheck(
        f"upper({currency}) IN ({codes}) AND {_exact(value)} <> trunc({_exact(value)})",
        column.name,
        value,
        "this currency has no minor units: the amount must be a whole number",
    )


def _stage_sql(
    kind: Kind,
    sources: dict[str, str],
    raw_columns: list[str],
    options: StageOptions,
    first_row: int,
    checks: list[ColumnCheck],
) -> str:
    """The typed rows, each with ``_ok``: whether it passes every column check.

    Only the flag is computed here; the problems themselves are spelled out afterwards for the
    failing rows alone, which keeps the pass over a clean file lean.
    """
    defaults = _defaults(kind, options.mapping)
    typed = {
        column.name: _typed(column, _raw_value(column.name, sources, defaults), options)
        for column in kind.columns
    }
    selected = [f"{expression} AS {_quote(name)}" for name, expression in typed.items()]
    if kind.extra_columns_into:
        used = set(sources.values())
        extra = [column for column in raw_columns if column not in used]
        selected.append(f"{_json_object(extra)} AS {_quote(kind.extra_columns_into)}")
    failing = " OR ".join(f"coalesce({check.condition}, false)" for check in checks) or "false"
    return (
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT rowid + {first_row} AS _row, "
        f"{', '.join(selected)}, NOT ({failing}) AS _ok FROM {RAW}"
    )


def _raw_value(name: str, sources: dict[str, str], defaults: dict[str, str]) -> str:
    default = defaults.get(name)
    if name not in sources:
        return _string_literal(default) if default is not None else "NULL::VARCHAR"
    value = f"NULLIF(trim({_quote(sources[name])}), '')"
    return f"coalesce({value}, {_string_literal(default)})" if default is not None else value


def _typed(column: Column, value: str, options: StageOptions) -> str:
    if column.type == "string":
        return value
    if column.type == "decimal":
        return f"TRY_CAST({value} AS DECIMAL(18, 2))"
    if column.type == "integer":
        return f"TRY_CAST({value} AS BIGINT)"
    if column.type == "number":
        return f"TRY_CAST({value} AS DOUBLE)"
    return _timestamp(value, options.mapping.formats.get(column.name), options.timezone)


def _timestamp(value: str, strptime_format: str | None, timezone: str) -> str:
    """UTC timestamp: offsets are honoured, naive times are read in ``timezone``."""
    if strptime_format is not None:
        return _naive_to_utc(f"TRY_STRPTIME({value}, {_string_literal(strptime_format)})", timezone)
    # CASE evaluates the costly time-zone cast only for the rows that carry an offset.
    return (
        f"CASE WHEN regexp_matches({value}, '{OFFSET_PATTERN}') "
        f"THEN timezone('UTC', TRY_CAST({value} AS TIMESTAMPTZ)) "
        f"ELSE {_naive_to_utc(f'TRY_CAST({value} AS TIMESTAMP)', timezone)} END"
    )


def _naive_to_utc(timestamp: str, timezone: str) -> str:
    if timezone == "UTC":
        return timestamp
    return f"timezone('UTC', timezone({_string_literal(timezone)}, {timestamp}))"


def _column_checks(column: Column, value: str, typed: str) -> list[ColumnCheck]:
    name = column.name
    checks = []
    if column.required:
        checks.append(ColumnCheck(f"{value} IS NULL", name, "NULL", "missing value"))
    if column.type == "string":
        checks.append(ColumnCheck(f"contains({value}, chr(0))", name, value, "contains a NUL"))
    else:
        checks.append(
            ColumnCheck(
                f"{value} IS NOT NULL AND ({typed} IS NULL OR NOT regexp_matches({value}, '\\d'))",
                name,
                value,
                _unreadable(column),
            )
        )
    checks += _value_range_checks(column, value, typed)
    if column.non_negative:
        checks.append(ColumnCheck(f"{typed} < 0", name, value, "must not be negative"))
    if column.choices:
        allowed = ", ".join(_string_literal(choice) for choice in column.choices)
        checks.append(
            ColumnCheck(
                f"{typed} NOT IN ({allowed})",
                name,
                value,
                f"must be one of {', '.join(column.choices)}",
            )
        )
    if column.pattern:
        checks.append(
            ColumnCheck(
                f"NOT regexp_matches({typed}, {_string_literal(column.pattern)})",
                name,
                value,
                f"does not look like a {name.replace('_', ' ')}",
            )
        )
    return checks


def _value_range_checks(column: Column, value: str, typed: str) -> list[ColumnCheck]:
    """Values that read, but that no later computation should meet."""
    # A value without a digit (infinity, NaN, epoch) is already refused as unreadable.
    has_digit = f"regexp_matches({value}, '\\d')"
    return [
        replace(check, condition=f"{has_digit} AND ({check.condition})")
        for check in _unguarded_range_checks(column, value, typed)
    ]


def _unguarded_range_checks(column: Column, value: str, typed: str) -> list[ColumnCheck]:
    name = column.name
    if column.type == "timestamp":
        offset_hours = f"abs(TRY_CAST(regexp_extract({value}, '{OFFSET_HOURS}', 1) AS INTEGER))"
        return [
            ColumnCheck(
                f"NOT ({typed} >= TIMESTAMP '{EARLIEST_YEAR}-01-01' "
                f"AND {typed} < TIMESTAMP '{LATEST_YEAR + 1}-01-01')",
                name,
                value,
                f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}",
            ),
            ColumnCheck(
                f"regexp_matches({value}, '{OFFSET_PATTERN}') "
                f"AND {offset_hours} > {LATEST_OFFSET_HOURS}",
                name,
                value,
                f"a UTC offset is at most ±{LATEST_OFFSET_HOURS}:00",
            ),
        ]
    if column.type == "number":
        return [ColumnCheck(f"NOT isfinite({typed})", name, value, "must be a finite number")]
    if column.type == "integer":
        return [ColumnCheck(f"{_exact(value)} <> {typed}", name, value, "must be a whole number")]
    if column.type == "decimal":
        return [
            ColumnCheck(
                f"{_exact(value)} <> {typed}",
                name,
                value,
                f"has more than {MONEY_DECIMALS} decimal places",
            )
        ]
    return []


def _exact(value: str) -> str:
    """``value`` as a number without the rounding its column type would apply."""
    return f"TRY_CAST({value} AS DECIMAL(38, 10))"


def _unreadable(column: Column) -> str:
    what = {
        "timestamp": "a date or time",
        "decimal": "an amount",
        "integer": "a whole number",
        "number": "a number",
    }[column.type]
    return f"cannot read this as {what}"


def _json_object(columns: list[str]) -> str:
    if not columns:
        return "'{}'"
    pairs = ", ".join(f"{_string_literal(column)}, {_quote(column)}" for column in columns)
    return f"json_object({pairs})::VARCHAR"


def _raise_row_problems(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    checks: list[ColumnCheck],
    first_row: int,
    file_name: str,
    limit: int,
) -> None:
    found = [f"({_column_problems_sql(checks, first_row)})"] if checks else []
    found += [
        f"(SELECT _row, {_string_literal(check.column)}, NULL, {_string_literal(check.reason)} "
        f"FROM {STAGE} WHERE _ok AND NOT ({check.condition}))"
        for check in kind.row_checks
    ]
    if not found:
        return
    every = " UNION ALL ".join(found)
    rows = con.execute(
        f"SELECT *, count(*) OVER () FROM ({every}) ORDER BY 1 LIMIT {limit}"
    ).fetchall()
    if rows:
        problems = [
            Problem(file_name, row, column, reason, value) for row, column, value, reason, _ in rows
        ]
        raise IngestError(problems, total=rows[0][4])


def _column_problems_sql(checks: list[ColumnCheck], first_row: int) -> str:
    """Each failed column check of the rows that are not ``_ok``, read again from the file."""
    cases = ", ".join(check.as_struct() for check in checks)
    return (
        f"SELECT _row, p.column, p.value, p.reason FROM (SELECT rowid + {first_row} AS _row, "
        f"unnest(list_filter([{cases}], p -> p IS NOT NULL)) AS p FROM {RAW} "
        f"WHERE rowid + {first_row} IN (SELECT _row FROM {STAGE} WHERE NOT _ok))"
    )


def _derive_key(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Give rows without ids a stable one: their content plus which repeat of it they are."""
    key = kind.key[0]
    content = [column.name for column in kind.columns if column.name != key]
    parts = ", ".join(f"coalesce(CAST({_quote(name)} AS VARCHAR), '\\N')" for name in content)
    partition = ", ".join(_quote(name) for name in content)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * REPLACE ("
        f"md5(concat_ws('|', {parts}, CAST(row_number() OVER (PARTITION BY {partition} "
        f"ORDER BY _row) AS VARCHAR))) AS {_quote(key)}) FROM {STAGE}"
    )


def _raise_conflicting_repeats(
    con: duckdb.DuckDBPyConnection, kind: Kind, file_name: str, limit: int
) -> None:
    key = ", ".join(_quote(name) for name in kind.key)
    content = ", ".join(_quote(name) for name in _content_columns(kind))
    rows = con.execute(
        f"SELECT min(_row), max(_row), CAST(row({key}) AS VARCHAR), count(*) OVER () FROM {STAGE} "
        f"GROUP BY {key} HAVING count(DISTINCT row({content})) > 1 ORDER BY 1 LIMIT {limit}"
    ).fetchall()
    if rows:
        what = " + ".join(kind.key)
        problems = [
            Problem(
                file_name,
                last,
                what,
                f"same {what} as row {first} but different content",
                value.strip("()"),
            )
            for first, last, value, _ in rows
        ]
        raise IngestError(problems, total=rows[0][3])


def _has_repeated_keys(con: duckdb.DuckDBPyConnection, kind: Kind) -> bool:
    key = ", ".join(_quote(name) for name in kind.key)
    distinct_keys = con.execute(f"SELECT count(DISTINCT row({key})) FROM {STAGE}").fetchone()
    return distinct_keys is not None and distinct_keys[0] < _count(con, STAGE)


def _drop_repeated_rows(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    key = ", ".join(_quote(name) for name in kind.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {STAGE} "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _row) = 1"
    )


def _content_columns(kind: Kind) -> list[str]:
    names = [column.name for column in kind.columns]
    return names + ([kind.extra_columns_into] if kind.extra_columns_into else [])


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    result = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(result[0]) if result else 0


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
