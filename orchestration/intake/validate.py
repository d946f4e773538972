"""Check a member's file against its dataset contract and normalise every cell.

All problems are collected at once, each with sheet, row, column header, the raw value and
what was expected, so a member's staff can fix a file in one pass. No dagster/dbt/GX here:
``kurume-hub validate`` must answer within seconds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration.intake.contracts import (
    MAX_YEAR,
    MIN_YEAR,
    Column,
    Contract,
    load_contracts,
    municipalities,
    normalize_header,
)
from orchestration.intake.messages import IntakeError, Msg
from orchestration.intake.readers import DEFAULT_MAX_BYTES, RawTable, read_table
from orchestration.intake.values import ValueParseError, parse_period, parse_quantity

FORMULA_PREFIXES = ("=", "+", "-", "@")
# A year-over-year change beyond this factor is worth a second look (×3 or ÷3).
SUSPICIOUS_CHANGE_FACTOR = 3.0


@dataclass
class Problem:
    severity: str  # error | warning | info
    code: str
    message: Msg
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    raw: str | None = None
    expected: Msg | None = None

    def to_dict(self, lang: str = "ja") -> dict:
        out = asdict(self)
        out["message"] = self.message.get(lang)
        out["expected"] = self.expected.get(lang) if self.expected else None
        return out


@dataclass
class Report:
    file_name: str
    municipality: str
    dataset: str | None
    sha256: str
    problems: list[Problem] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    rows_total: int = 0
    sheet: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def accepted(self) -> bool:
        return not self.errors

    def add(self, severity: str, code: str, message: Msg, **where) -> None:
        self.problems.append(Problem(severity, code, message, **where))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate_file(
    path: Path,
    municipality: str,
    dataset: str | None = None,
    previous: dict[tuple, float] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """Validate one file. ``previous`` maps (key..., column) to the member's accepted values."""
    report = Report(file_name=path.name, municipality=municipality, dataset=dataset,
                    sha256=sha256_file(path))
    if municipality not in municipalities():
        report.add("error", "unknown_municipality", Msg(
            f"団体コード {municipality} は圏域の構成市町ではありません（{_member_list()}）。",
            f"{municipality} is not a member code ({_member_list()})."))
        return report
    try:
        table = read_table(path, max_bytes=max_bytes)
    except IntakeError as exc:
        report.add("error", exc.code, exc.msg)
        return report
    report.sheet = table.sheet
    contract = _resolve_contract(table, dataset, report)
    if contract is None:
        return report
    report.dataset = contract.dataset
    validate_table(table, contract, report, previous or {})
    return report


def _member_list() -> str:
    return ", ".join(f"{code} {m['name_ja']}" for code, m in municipalities().items())


def _resolve_contract(table: RawTable, dataset: str | None, report: Report) -> Contract | None:
    contracts = load_contracts()
    if dataset is not None:
        if dataset not in contracts:
            report.add("error", "unknown_dataset", Msg(
                f"データセット名「{dataset}」は定義されていません（{', '.join(contracts)}）。",
                f"Unknown dataset '{dataset}' (known: {', '.join(contracts)})."))
            return None
        return contracts[dataset]
    headers = {normalize_header(h) for h in table.headers if h}
    for contract in contracts.values():
        if all(c.header_keys & headers for c in contract.required_columns):
            return contract
    report.add("error", "dataset_not_detected", Msg(
        "見出し行からデータセットを判別できません。--dataset で指定してください。",
        "Cannot tell the dataset from the header row; pass --dataset."),
        sheet=table.sheet, row=table.header_row)
    return None


def _map_headers(table: RawTable, contract: Contract, report: Report) -> dict[int, Column]:
    by_key = {key: col for col in contract.columns for key in col.header_keys}
    mapping: dict[int, Column] = {}
    for index, header in enumerate(table.headers):
        if not header:
            continue
        col = by_key.get(normalize_header(header))
        where = {"sheet": table.sheet, "row": table.header_row, "column": header, "raw": header}
        if col is None:
            report.add("error", "unknown_header", Msg(
                f"見出し「{header}」はこのデータセット（{contract.title_ja}）の項目ではありません。",
                f"Header '{header}' is not a column of {contract.dataset}."),
                expected=_expected_headers(contract), **where)
        elif col in mapping.values():
            report.add("error", "duplicate_header", Msg(
                f"見出し「{header}」（{col.ja}）が複数あります。",
                f"Column '{col.name}' appears more than once."), **where)
        else:
            mapping[index] = col
    for col in contract.required_columns:
        if col not in mapping.values():
            report.add("error", "missing_column", Msg(
                f"必須の列「{col.ja}」がありません。",
                f"Required column '{col.ja}' ({col.name}) is missing."),
                sheet=table.sheet, row=table.header_row, column=col.ja,
                expected=_expected_headers(contract))
    return mapping


def _expected_headers(contract: Contract) -> Msg:
    names = "、".join(c.ja for c in contract.columns)
    return Msg(f"見出し: {names}", "headers: " + ", ".join(c.name for c in contract.columns))


def validate_table(table: RawTable, contract: Contract, report: Report,
                   previous: dict[tuple, float]) -> None:
    mapping = _map_headers(table, contract, report)
    if report.errors:
        return
    if not table.rows:
        report.add("error", "no_data_rows", Msg(
            "見出し行のみで、データ行がありません。", "Header only: no data rows."),
            sheet=table.sheet, row=table.header_row)
        return
    seen_keys: dict[tuple, int] = {}
    for row_number, cells in table.rows:
        report.rows_total += 1
        record = _normalise_row(table, contract, mapping, row_number, cells, report)
        if record is None:
            continue
        key = tuple(record[k] for k in contract.key)
        if key in seen_keys:
            report.add("error", "duplicate_key", Msg(
                f"{_key_text(contract, key)} の行が重複しています（{seen_keys[key]} 行目と同じ）。",
                f"Duplicate row for {dict(zip(contract.key, key))} (same as row {seen_keys[key]})."),
                sheet=table.sheet, row=row_number)
            continue
        seen_keys[key] = row_number
        report.records.append(record)
    _check_changes(contract, report, previous)


def _key_text(contract: Contract, key: tuple) -> str:
    return "、".join(f"{contract.column(k).ja}={v}" for k, v in zip(contract.key, key))


def _normalise_row(table, contract, mapping, row_number, cells, report) -> dict | None:
    record: dict = {"source_sheet": table.sheet or "", "source_row": row_number}
    ok = True
    for index, col in mapping.items():
        cell = cells[index] if index < len(cells) else None
        where = {"sheet": table.sheet, "row": row_number, "column": table.headers[index],
                 "raw": None if cell is None else str(cell)}
        try:
            record[col.name] = _parse_cell(cell, col, report, where)
        except CellError as exc:
            ok = False
            report.add("error", exc.code, exc.msg, expected=exc.expected, **where)
    for col in contract.columns:
        record.setdefault(col.name, None)
    return record if ok else None


class CellError(Exception):
    def __init__(self, code: str, msg: Msg, expected: Msg | None = None):
        super().__init__(msg.en)
        self.code, self.msg, self.expected = code, msg, expected


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _parse_cell(cell: object, col: Column, report: Report, where: dict):
    if _blank(cell):
        if col.required:
            raise CellError("required_value_missing", Msg(
                f"「{col.ja}」が空欄です。", f"'{col.ja}' is empty."), _expected(col))
        return None
    parser = {"year": _parse_year, "quantity": _parse_quantity_cell, "text": _parse_text}[col.type]
    return parser(cell, col, report, where)


def _expected(col: Column) -> Msg:
    if col.type == "year":
        return Msg(f"{MIN_YEAR}〜{MAX_YEAR} の年（例: 2023、R5年）",
                   f"a year {MIN_YEAR}-{MAX_YEAR} (e.g. 2023, R5年)")
    if col.type == "quantity":
        lower = "0 以上の" if col.min == 0 else ""
        lower_en = "non-negative " if col.min == 0 else ""
        return Msg(f"{lower}数値（単位: {col.unit}）", f"a {lower_en}number in {col.unit_en or col.unit}")
    return Msg("文字列", "text")


_PLAIN_YEAR = re.compile(r"^\s*(\d{4})(?:\.0+)?\s*$")


def _parse_year(cell, col: Column, report, where) -> int:
    text = str(cell).strip()
    match = _PLAIN_YEAR.match(text)
    year = None
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        year = int(cell)
    elif match:
        year = int(match.group(1))
    else:
        try:
            period = parse_period(text)
        except ValueParseError as exc:
            raise CellError("invalid_year", Msg(
                f"「{text}」は年として読めません。{exc.message_ja}",
                f"'{text}' is not a year. {exc.message_en}"), _expected(col)) from exc
        if col.period_type and not period.startswith(col.period_type):
            raise CellError("wrong_period_type", Msg(
                f"「{text}」は{'年度' if period.startswith('FY') else '暦年'}です。この列は"
                f"{'暦年（年）' if col.period_type == 'CY' else '年度'}で記入してください。",
                f"'{text}' is a {period[:2]} period; this column takes {col.period_type}."),
                _expected(col))
        year = int(period[2:])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError("year_out_of_range", Msg(
            f"{year} 年は受け付ける範囲（{MIN_YEAR}〜{MAX_YEAR}）の外です。",
            f"Year {year} is outside the accepted range {MIN_YEAR}-{MAX_YEAR}."), _expected(col))
    return year


def _parse_quantity_cell(cell, col: Column, report: Report, where) -> float:
    if isinstance(cell, bool):
        raise CellError("not_a_number", Msg(
            f"「{cell}」は数値ではありません。", f"'{cell}' is not a number."), _expected(col))
    try:
        quantity = parse_quantity(cell, expected_unit=col.unit)
    except ValueParseError as exc:
        raise CellError("not_a_number", Msg(
            f"「{cell}」を数値として読めません。{exc.message_ja}",
            f"Cannot read '{cell}' as a number. {exc.message_en}"), _expected(col)) from exc
    if quantity.status != "ok" or quantity.value is None:
        raise CellError("value_not_available", Msg(
            f"「{cell}」は値ではありません（{quantity.status}）。この列には数値が必要です。",
            f"'{cell}' is not a value ({quantity.status}); this column needs a number."),
            _expected(col))
    value = quantity.value
    if col.min is not None and value < col.min:
        raise CellError("below_minimum", Msg(
            f"「{cell}」は負の値です。{col.ja}は {col.min:g} 以上でなければなりません。",
            f"'{cell}' is below the minimum {col.min:g} for {col.name}."), _expected(col))
    if "converted" in quantity.flags:
        report.add("info", "unit_converted", Msg(
            f"「{cell}」を {value:,.0f} {col.unit} に換算しました。",
            f"Converted '{cell}' to {value:,.0f} {col.unit_en or col.unit}."), **where)
    if "preliminary" in quantity.flags:
        report.add("warning", "preliminary_value", Msg(
            f"「{cell}」は速報値・暫定値です。確定後に再提出してください。",
            f"'{cell}' is a preliminary value; resubmit when final."), **where)
    return value


def _parse_text(cell, col: Column, report: Report, where) -> str:
    text = str(cell).strip()
    if text.startswith(FORMULA_PREFIXES):
        # Kept as text (never evaluated); publication escapes it again for spreadsheets.
        report.add("warning", "formula_like_text", Msg(
            f"「{text}」は数式のように見えます。文字列として扱います。",
            f"'{text}' looks like a formula; it is kept as plain text."), **where)
    return text


def quantity_index(contract: Contract, records: list[dict]) -> dict[tuple, float]:
    """(key..., column) -> value for every quantity cell; the shape ``previous`` takes."""
    index = {}
    for record in records:
        key = tuple(record[k] for k in contract.key)
        for col in contract.columns:
            if col.type == "quantity" and record.get(col.name) is not None:
                index[(*key, col.name)] = record[col.name]
    return index


def _check_changes(contract: Contract, report: Report, previous: dict[tuple, float]) -> None:
    """Warn when a value moves more than ×3 or ÷3 against the member's previous year,
    whether that year comes from an earlier accepted submission or from this file."""
    known = {**previous, **quantity_index(contract, report.records)}
    period_col = contract.key[0]
    for record in report.records:
        if not isinstance(record[period_col], int):
            continue
        key = tuple(record[k] for k in contract.key)
        for col in contract.columns:
            value = record.get(col.name)
            before = known.get((key[0] - 1, *key[1:], col.name))
            if col.type != "quantity" or not value or not before:
                continue
            ratio = value / before
            if 1 / SUSPICIOUS_CHANGE_FACTOR <= ratio <= SUSPICIOUS_CHANGE_FACTOR:
                continue
            report.add("warning", "suspicious_change", Msg(
                f"{record[period_col]} の{col.ja}（{value:,.0f}）が前年（{before:,.0f}）の "
                f"{ratio:,.2f} 倍です。単位（人／千人）を確認してください。",
                f"{col.name} for {record[period_col]} ({value:,.0f}) is {ratio:,.2f}x the "
                f"previous year ({before:,.0f}); check the unit."),
                sheet=record["source_sheet"] or None, row=record["source_row"], column=col.ja,
                raw=f"{value:g}")
