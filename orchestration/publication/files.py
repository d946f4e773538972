"""Deterministic data files: the same frame always gives the same bytes.

CSV is UTF-8 with BOM (Excel opens it), code columns stay text, numbers are never written
in scientific notation, and text cells cannot start a spreadsheet formula.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import unicodedata
from decimal import Decimal
from pathlib import Path

import pandas as pd

from orchestration.publication.catalog import PublishedDataset

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def format_number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def escape_text(text: str) -> str:
    """A leading apostrophe keeps ``=SUM(...)`` typed by a member inert in Excel. The first
    character is compared in its NFKC form: Japanese input gives full-width ＝ ＋ － ＠ (and
    ﹦ ﹢ ﹣ ﹫), which Excel may take as the formula sign all the same."""
    first = unicodedata.normalize("NFKC", text[:1])
    return "'" + text if first.startswith(FORMULA_PREFIXES) else text


def _cell(value, field_type: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if field_type in ("number", "integer"):
        return format_number(value.item() if hasattr(value, "item") else value)
    if field_type == "boolean":
        return "true" if bool(value) else "false"
    return escape_text(str(value))


def csv_bytes(frame: pd.DataFrame, dataset: PublishedDataset) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(dataset.column_names)
    types = [f.type for f in dataset.fields]
    for row in frame[dataset.column_names].itertuples(index=False, name=None):
        writer.writerow([_cell(v, t) for v, t in zip(row, types)])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def typed_frame(frame: pd.DataFrame, dataset: PublishedDataset) -> pd.DataFrame:
    """Columns in catalogue order with catalogue types (codes as strings, never floats)."""
    out = pd.DataFrame(index=frame.index)
    for field in dataset.fields:
        column = frame[field.name]
        if field.type == "string":
            # pd.isna: a NULL from DuckDB may arrive as None, NaN or pd.NA; never "nan"
            out[field.name] = column.map(lambda v: None if pd.isna(v) else str(v))
            out[field.name] = out[field.name].astype("string")
        elif field.type == "integer":
            out[field.name] = pd.to_numeric(column).astype("Int64")
        elif field.type == "boolean":
            out[field.name] = column.astype("boolean")
        else:
            out[field.name] = pd.to_numeric(column).astype("float64")
    sort_keys = list(dataset.primary_key)
    return out.sort_values(sort_keys, kind="mergesort").reset_index(drop=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Strip pandas metadata and pin writer options so equal frames give equal bytes.
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: Path) -> str:
    return sha256_bytes(path.read_bytes())
