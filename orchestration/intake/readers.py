"""Read a member's file (xlsx or CSV) into rows of raw cell values.

Only the stdlib and openpyxl: this is the ``validate`` fast path.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.intake.messages import IntakeError, Msg

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# An xlsx is a zip: refuse before parsing when it would inflate beyond these (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # encrypted xlsx and legacy .xls are OLE containers
# A formula cell: <c r="B3" ...><f>...</f>[<v>cached</v>]</c>
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:(?!</c>).)*?<f[ >/](?:(?!</c>).)*?</c>',
                           re.S)
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
    if suffix in (".xlsm", ".xltm"):
        raise IntakeError("macro_workbook", Msg(
            "マクロ付きブック（.xlsm）は受け付けません。マクロなしの .xlsx で保存し直してください。",
            "Macro-enabled workbooks (.xlsm) are refused; save as .xlsx without macros."))
    if suffix == ".xls":
        raise IntakeError("legacy_xls", Msg(
            "古い Excel 形式（.xls）は受け付けません。.xlsx で保存し直してください。",
            "Legacy .xls workbooks are refused; save as .xlsx."))
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

    _check_container(path)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise IntakeError("corrupt_xlsx", Msg(
            f"Excel ファイルを読み込めません（破損しています: {type(exc).__name__}）。",
            f"Cannot read the Excel workbook (corrupt: {type(exc).__name__}).")) from exc
    try:
        ws = _data_sheet(wb)
        _check_cached_formulas(wb._archive, ws._worksheet_path, ws.title)
        numbered = [(i + 1, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True))]
        return _split_header(ws.title, numbered)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise IntakeError("corrupt_xlsx", Msg(
            f"Excel ファイルを読み込めません（破損しています: {type(exc).__name__}）。",
            f"Cannot read the Excel workbook (corrupt: {type(exc).__name__}).")) from exc
    finally:
        wb.close()


def _check_container(path: Path) -> None:
    """Refuse encrypted, non-zip and zip-bomb workbooks before openpyxl sees them."""
    import zipfile

    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == OLE_MAGIC:
        raise IntakeError("encrypted_xlsx", Msg(
            "パスワード付き（暗号化）のブックか古い形式のため開けません。パスワードを解除して .xlsx で保存してください。",
            "The workbook is password-protected (encrypted) or legacy; remove the password and save as .xlsx."))
    if not zipfile.is_zipfile(path):
        raise IntakeError("corrupt_xlsx", Msg(
            "Excel ファイルとして開けません（破損しているか、拡張子と中身が違います）。",
            "Cannot open as an Excel workbook (corrupt, or not an xlsx despite its name)."))
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise IntakeError("corrupt_xlsx", Msg(
            "Excel ファイルが破損しています。", "The Excel workbook is corrupt.")) from exc
    declared = sum(i.file_size for i in infos)
    compressed = max(1, sum(i.compress_size for i in infos))
    if declared > MAX_UNCOMPRESSED_BYTES or declared / compressed > MAX_COMPRESSION_RATIO:
        raise IntakeError("zip_bomb", Msg(
            f"展開後のサイズが異常に大きいため開きません（展開後 {declared:,} バイト、"
            f"圧縮率 {declared / compressed:,.0f} 倍）。",
            f"Refused before opening: it would inflate to {declared:,} bytes "
            f"({declared / compressed:,.0f}x compression)."))


def _check_cached_formulas(archive, sheet_path: str, title: str) -> None:
    """A formula saved without its computed value (e.g. written by a script) reads as empty."""
    with archive.open(sheet_path) as fh:
        xml = fh.read()
    if b"<f" not in xml:
        return
    missing = [m.group(1).decode() for m in _FORMULA_CELL.finditer(xml)
               if b"<v>" not in m.group(0) and b"<v " not in m.group(0)]
    if missing:
        cells = "、".join(missing[:10]) + (" ほか" if len(missing) > 10 else "")
        raise IntakeError("formula_without_value", Msg(
            f"シート「{title}」のセル {cells} は数式ですが計算結果が保存されていません。"
            "Excel で開いて再計算・保存するか、値として貼り付けてください。",
            f"Cells {', '.join(missing[:10])} on sheet '{title}' hold formulas without a saved "
            "result; open in Excel, recalculate and save, or paste as values."))


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
    _check_unlabelled_data(sheet, header_row, headers, rows)
    return RawTable(sheet=sheet, header_row=header_row, headers=headers, rows=rows)


def _check_unlabelled_data(sheet, header_row: int, headers: list[str], rows) -> None:
    """Data under an empty header is usually a merged header cell: never drop it silently."""
    for number, cells in rows:
        for index, cell in enumerate(cells):
            if not _is_blank(cell) and (index >= len(headers) or not headers[index]):
                column = _column_letter(index)
                raise IntakeError("unlabelled_column", Msg(
                    f"{column} 列に見出しがないのにデータがあります（{number} 行目）。見出しのセル結合を"
                    "解除し、1 列に 1 つの見出しを入れてください。",
                    f"Column {column} has data (row {number}) but no header; unmerge header "
                    "cells so each column has its own header."))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
