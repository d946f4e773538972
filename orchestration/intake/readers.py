"""Read a member's file (xlsx or CSV) into rows of raw cell values.

Only the stdlib and openpyxl: this is the ``validate`` fast path.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.intake.messages import IntakeError, Msg

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Sheets of our templates that hold instructions rather than data.
INSTRUCTION_SHEETS = {"記入方法", "説明", "instructions", "readme", "リスト", "lists"}


@dataclass
class RawTable:
    """Cells as typed, with the 1-based row numbers the member sees in Excel."""

    sheet: str | None
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


def read_table(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    size = path.stat().st_size
    if size > max_bytes:
        raise IntakeError("file_too_large", Msg(
            f"ファイルが大きすぎます（{size:,} バイト、上限 {max_bytes:,} バイト）。",
            f"File too large ({size:,} bytes; limit {max_bytes:,} bytes)."))
    if size == 0:
        raise IntakeError("empty_file", Msg("ファイルが空です。", "The file is empty."))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path.read_bytes())
    raise IntakeError("unsupported_format", Msg(
        f"対応していないファイル形式です（{suffix or '拡張子なし'}）。.xlsx または .csv で提出してください。",
        f"Unsupported file type ({suffix or 'no extension'}); submit .xlsx or .csv."))


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then CP932 as Excel saves it; both strictly."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IntakeError("bad_encoding", Msg(
        "文字コードを判別できません。UTF-8 または Shift_JIS（CP932）の CSV で保存してください。",
        "Cannot decode the file; save the CSV as UTF-8 or Shift_JIS (CP932)."))


def _read_csv(data: bytes) -> RawTable:
    text = decode_csv_bytes(data)
    records = list(csv.reader(io.StringIO(text, newline="")))
    numbered = [(i + 1, list(r)) for i, r in enumerate(records)]
    return _split_header(None, numbered)


def _read_xlsx(path: Path) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        raise IntakeError("corrupt_xlsx", Msg(
            "Excel ファイルとして開けません（破損しているか、パスワード付きの可能性があります）。",
            "Cannot open as an Excel workbook (corrupt or password-protected)."))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise IntakeError("corrupt_xlsx", Msg(
            f"Excel ファイルを読み込めません（{type(exc).__name__}）。",
            f"Cannot read the Excel workbook ({type(exc).__name__}).")) from exc
    try:
        ws = _data_sheet(wb)
        numbered = [(i + 1, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True))]
        return _split_header(ws.title, numbered)
    finally:
        wb.close()


def _data_sheet(wb):
    for ws in wb.worksheets:
        if ws.title.strip().lower() not in INSTRUCTION_SHEETS:
            return ws
    return wb.worksheets[0]


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _split_header(sheet: str | None, numbered: list[tuple[int, list[object]]]) -> RawTable:
    """The header is the first non-blank row; trailing blank rows are dropped."""
    non_blank = [(n, r) for n, r in numbered if not all(_is_blank(c) for c in r)]
    if not non_blank:
        raise IntakeError("empty_file", Msg(
            "データがありません（見出し行も見つかりません）。", "No data: not even a header row."))
    header_row, header_cells = non_blank[0]
    headers = ["" if _is_blank(c) else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    rows = [(n, r) for n, r in non_blank[1:]]
    return RawTable(sheet=sheet, header_row=header_row, headers=headers, rows=rows)
