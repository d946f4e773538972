"""The error file a member downloads to fix a refused upload: an .xlsx opened in Excel.

Sheet 1 holds the member's rows *as the validator read them* (``read_table``, so hidden
sheets and rows, encodings and title rows are treated exactly alike), each at the row
number it has in the member's file: row 5 in a message is row 5 here. A last column
「エラー」/"Errors" gives every error and warning of the row, and the cells a problem names
are filled. Sheet 2 「エラー一覧」/"Problems" lists every problem. A file that could not be
read at all gets the problems sheet only.

Nothing from the member's file or from a message is ever written as a formula: every text
cell is typed as a string (openpyxl would make "=..." a formula), and the characters XML
cannot hold are shown as escapes (``\\x1b``) instead of failing the save.
Only the stdlib, openpyxl and the intake modules: this runs on the portal's request path.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter

from orchestration.intake.contracts import header_keys, load_contracts, normalize_header
from orchestration.intake.messages import IntakeError, Msg, visible
from orchestration.intake.readers import MAX_CELL_CHARS, RawTable, read_table
from orchestration.intake.validate import FORMULA_PREFIXES, Problem, Report

DATA_SHEET = Msg("データ", "Data")
PROBLEMS_SHEET = Msg("エラー一覧", "Problems")
ERRORS_HEADER = Msg("エラー", "Errors")
SEVERITY = {"error": Msg("エラー", "Error"), "warning": Msg("警告", "Warning"),
            "info": Msg("お知らせ", "Info")}
PROBLEM_COLUMNS = (Msg("区分", "Severity"), Msg("シート", "Sheet"), Msg("行", "Row"),
                   Msg("列", "Column"), Msg("値", "Value"), Msg("内容", "Message"),
                   Msg("期待される値", "Expected"))
PROBLEM_WIDTHS = (10, 14, 8, 20, 20, 70, 40)
EXPECTED_LABEL = Msg("期待される値", "expected")
# Only what a member must act on goes into a row's 「エラー」 cell; notes (a title row
# skipped) are in the problems sheet.
ROW_SEVERITIES = ("error", "warning")
FILLS = {"error": PatternFill("solid", fgColor="FFC7CE"),
         "warning": PatternFill("solid", fgColor="FFEB9C")}
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
# Refusals the validator made without reading the rows, though read_table here could read
# them (it reads with the default size limit; the validator may have had a smaller one).
_NOT_READ = frozenset({"file_too_large", "not_a_regular_file", "file_not_found"})
# What XML 1.0 cannot hold (openpyxl raises IllegalCharacterError) and lone surrogates
# (they cannot be encoded when the file is saved).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A column named by its letters (merged or unlabelled cells: "C", "IV").
_LETTERS = re.compile(r"[A-Z]{1,3}")
# Excel's sheet-name rules: at most 31 characters, none of these.
_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
MAX_SHEET_TITLE = 31
MAX_EXCEL_ROW = 1_048_576


def write_error_workbook(path: Path, report: Report, output: Path, lang: str = "ja") -> Path:
    """Write the error file for ``path`` (the uploaded file) and its ``report`` to
    ``output``; returns ``output``. Never raises for what the file holds."""
    wb = Workbook()
    wb.remove(wb.active)
    table = _read_as_validated(path, report)
    if table is not None:
        _data_sheet(wb, table, report, lang)
    _problems_sheet(wb, report, lang)
    # Saved beside the target and renamed: a reader never sees half a file.
    partial = output.with_name(f".{output.name}.partial")
    try:
        wb.save(partial)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


# ----------------------------------------------------------------- reading as validated


def _read_as_validated(path: Path, report: Report) -> RawTable | None:
    """The table exactly as ``validate_file`` read it, or None when it read nothing.

    The validator recognises title rows with the header names of the dataset it was given,
    or of every dataset when none was: the report keeps only the detected one, so both are
    tried and the one whose skipped title rows match the report's is taken."""
    if not report.sha256 or any(p.code in _NOT_READ for p in report.errors):
        return None
    titles = sorted(p.row for p in report.problems if p.code == "title_row_skipped")
    datasets = [report.dataset, None] if report.dataset in load_contracts() else [None]
    first = None
    for dataset in datasets:
        keys = header_keys(dataset)
        try:
            table = read_table(path, is_header=lambda text, keys=keys: normalize_header(text) in keys)
        except (IntakeError, OSError):
            return None
        if sorted(number for number, _ in table.title_rows) == titles:
            return table
        first = first or table
    return first


# ----------------------------------------------------------------------- data sheet


def _data_sheet(wb: Workbook, table: RawTable, report: Report, lang: str) -> None:
    ws = wb.create_sheet(_sheet_title(table.sheet, lang))
    width = len(table.headers)
    errors_col = width + 1
    sheet = visible(table.sheet) if table.sheet is not None else None
    by_row = _problems_by_row(report, sheet)
    columns = _column_indexes(table.headers)

    for number, text in table.title_rows:
        _put(ws, number, 1, text)
    for index, header in enumerate(table.headers, 1):
        _put(ws, table.header_row, index, header).font = BOLD
    _put(ws, table.header_row, errors_col, ERRORS_HEADER.get(lang)).font = BOLD
    for number, cells in table.rows:
        for index, value in enumerate(cells, 1):
            if value is not None:
                _put(ws, number, index, value)

    for number, problems in by_row.items():
        if not 1 <= number <= MAX_EXCEL_ROW:
            continue
        _highlight(ws, number, problems, columns)
        lines = [_row_line(p, lang) for p in problems if p.severity in ROW_SEVERITIES]
        if number == table.header_row:  # the header's own problems go under 「エラー」
            lines.insert(0, ERRORS_HEADER.get(lang))
        if lines:
            _put(ws, number, errors_col, "\n".join(lines)).alignment = WRAP

    ws.column_dimensions[get_column_letter(errors_col)].width = 80
    for index in range(1, errors_col):
        ws.column_dimensions[get_column_letter(index)].width = 16
    if table.header_row < MAX_EXCEL_ROW:
        ws.freeze_panes = ws.cell(row=table.header_row + 1, column=1)


def _sheet_title(sheet: str | None, lang: str) -> str:
    """The member's sheet name when Excel allows it here, else 「データ」."""
    title = _SHEET_FORBIDDEN.sub("_", visible(sheet or ""))[:MAX_SHEET_TITLE].strip("' ")
    if not title or title.casefold() in {PROBLEMS_SHEET.ja, PROBLEMS_SHEET.en.casefold()}:
        return DATA_SHEET.get(lang)
    return title


def _problems_by_row(report: Report, sheet: str | None) -> dict[int, list[Problem]]:
    """Problems that name a row of the sheet that was read (not a hidden sheet left out)."""
    rows: dict[int, list[Problem]] = defaultdict(list)
    for problem in report.problems:
        if problem.row is not None and problem.sheet in (None, sheet):
            rows[problem.row].append(problem)
    return rows


def _column_indexes(headers: list[str]) -> dict[str, list[int]]:
    """1-based columns by the header text messages use (``visible``); a repeated header
    names each of its columns."""
    columns: dict[str, list[int]] = defaultdict(list)
    for index, header in enumerate(headers, 1):
        if header:
            columns[visible(header)].append(index)
    return columns


def _cells_named(problem: Problem, columns: dict[str, list[int]]) -> list[int]:
    """The columns a problem names: by header, else by letters ("C" of a merged range)."""
    if problem.column is None:
        return []
    if problem.column in columns:
        return columns[problem.column]
    if _LETTERS.fullmatch(problem.column):
        return [column_index_from_string(problem.column)]
    return []


def _highlight(ws, number: int, problems: list[Problem], columns) -> None:
    for severity in ("warning", "error"):  # an error's fill wins over a warning's
        for problem in problems:
            if problem.severity == severity:
                for index in _cells_named(problem, columns):
                    ws.cell(row=number, column=index).fill = FILLS[severity]


def _row_line(problem: Problem, lang: str) -> str:
    text = f"[{SEVERITY[problem.severity].get(lang)}] "
    if problem.column:
        text += f"「{problem.column}」: " if lang == "ja" else f"{problem.column}: "
    text += problem.message.get(lang)
    if problem.expected is not None:
        expected = problem.expected.get(lang)
        text += (f"（{EXPECTED_LABEL.ja}: {expected}）" if lang == "ja"
                 else f" ({EXPECTED_LABEL.en}: {expected})")
    return text


# -------------------------------------------------------------------- problems sheet


def _problems_sheet(wb: Workbook, report: Report, lang: str) -> None:
    ws = wb.create_sheet(PROBLEMS_SHEET.get(lang))
    for index, (label, width) in enumerate(zip(PROBLEM_COLUMNS, PROBLEM_WIDTHS), 1):
        _put(ws, 1, index, label.get(lang)).font = BOLD
        ws.column_dimensions[get_column_letter(index)].width = width
    for number, problem in enumerate(report.problems, 2):
        values = (SEVERITY.get(problem.severity, Msg(problem.severity, problem.severity)).get(lang),
                  problem.sheet, problem.row, problem.column, problem.raw,
                  problem.message.get(lang),
                  problem.expected.get(lang) if problem.expected else None)
        for index, value in enumerate(values, 1):
            if value is not None:
                cell = _put(ws, number, index, value)
                if index >= 6:
                    cell.alignment = WRAP
        if problem.severity in FILLS:
            ws.cell(row=number, column=1).fill = FILLS[problem.severity]
    ws.freeze_panes = "A2"


# ---------------------------------------------------------------------------- cells


def _put(ws, row: int, column: int, value: object):
    """Write one value: numbers, booleans and dates as they are, everything else as text
    that Excel shows and never evaluates."""
    kind = type(value)
    if kind is int or kind is bool or (kind is float and math.isfinite(value)):
        return ws.cell(row=row, column=column, value=value)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        try:
            cell.value = value
            return cell
        except (TypeError, ValueError):  # a timezone, a date Excel cannot hold
            pass
    text = _safe_text(str(value))
    cell.value = text
    # openpyxl makes any string starting with "=" a formula: a string it stays.
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True  # Excel keeps it text even when the member edits the cell
    return cell


def _safe_text(text: str) -> str:
    """Characters XML cannot hold shown as escapes (ESC as \\x1b), within Excel's limit."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(_escape, text)
    return text[:MAX_CELL_CHARS]


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
