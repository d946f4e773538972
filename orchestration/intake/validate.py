"""Check a member's file against its dataset contract and normalise every cell.

All problems are collected at once, each with sheet, row, column header, the raw value and
what was expected, so a member's staff can fix a file in one pass. No dagster/dbt/GX here:
``kurume-hub validate`` must answer within seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from orchestration.intake.contracts import (
    COUNT_UNITS,
    MAX_YEAR,
    MEMBER_COLUMN,
    MIN_YEAR,
    Column,
    Contract,
    code_lookup,
    code_table,
    header_keys,
    load_contracts,
    member_label,
    municipalities,
    normalize_header,
    participation,
)
from orchestration.intake.messages import IntakeError, Msg, status_label, visible, visible_msg
from orchestration.intake.readers import (
    DEFAULT_MAX_BYTES,
    RawTable,
    check_regular_file,
    read_table,
)
from orchestration.intake.values import (
    ValueParseError,
    parse_outlook,
    parse_period,
    parse_quantity,
    parse_unit,
)
from orchestration.quality import change_rule

FORMULA_PREFIXES = ("=", "+", "-", "@")
# In a number, code or period cell a leading + or - may be a sign; = and @ never are, nor is
# a sign followed by a letter (+cmd|..., -HYPERLINK(...)). Such text is refused, not read.
_FORMULA_LIKE = re.compile(r"^\s*(?:[=@＝＠]|[+\-]\s*[A-Za-z])")
# What Excel shows (and saves as the cached value) when a formula fails.
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


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
    # A refusal about who sends the file (another member's template or rows), not about its
    # data: ``submit`` records nothing for it (no ledger line, no stored file).
    record_nothing: bool = False
    # Rows per member code named in a column that must name the submitter.
    member_rows: dict[str, int] = field(default_factory=dict, repr=False)

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
        """Record a problem. Text from the member's file (cells, sheet names, the file name)
        reaches messages, terminals and reports only through ``visible``: an escape
        sequence in a cell is shown as ``\\x1b[31m``, never executed."""
        for key in ("sheet", "column", "raw"):
            if where.get(key) is not None:
                where[key] = visible(where[key])
        if where.get("expected") is not None:
            where["expected"] = visible_msg(where["expected"])
        self.problems.append(Problem(severity, code, visible_msg(message), **where))


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
    previous: dict[tuple, float] | Callable[[str], dict[tuple, float]] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """Validate one file. ``previous`` maps (key..., column) to the member's accepted values,
    or is a function giving that map for the dataset once the file's dataset is known."""
    try:
        # Before anything opens it: hashing a FIFO would wait forever, a link's target is
        # not the member's file. Nothing of such a "file" is recorded or kept.
        check_regular_file(path)
    except IntakeError as exc:
        report = Report(file_name=path.name, municipality=municipality, dataset=dataset,
                        sha256="", record_nothing=True)
        report.add("error", exc.code, exc.msg)
        return report
    report = Report(file_name=path.name, municipality=municipality, dataset=dataset,
                    sha256=sha256_file(path))
    if municipality not in municipalities():
        report.add("error", "unknown_municipality", Msg(
            f"団体コード {municipality} は圏域の構成市町ではありません（{_member_list('ja')}）。",
            f"{municipality} is not a member code ({_member_list('en')})."))
        return report
    keys = header_keys(dataset if dataset in load_contracts() else None)
    try:
        table = read_table(path, max_bytes=max_bytes,
                           is_header=lambda text: normalize_header(text) in keys)
    except IntakeError as exc:
        report.add("error", exc.code, exc.msg, **getattr(exc, "where", {}))
        return report
    report.sheet = table.sheet
    if _other_members_template(table, report):
        return report
    for notice in table.notices:
        report.add(notice.severity, notice.code, notice.message, **notice.where)
    for number, text in table.title_rows:
        report.add("info", "title_row_skipped", Msg(
            f"{number} 行目はタイトル行として読み飛ばしました（「{text}」）。見出しは "
            f"{table.header_row} 行目です。",
            f"Row {number} was read as a title and skipped ('{text}'); the header is row "
            f"{table.header_row}."), sheet=table.sheet, row=number, raw=text)
    contract = _resolve_contract(table, dataset, report)
    if contract is None:
        return report
    report.dataset = contract.dataset
    accepted = previous(contract.dataset) if callable(previous) else previous
    validate_table(table, contract, report, accepted or {})
    return report


def _other_members_template(table: RawTable, report: Report) -> bool:
    """A template made for one member (readers.template_member) sent as another: refused
    before anything else is read, and recorded nowhere."""
    owner = table.template_member
    if owner is None or owner == report.municipality or owner not in municipalities():
        return False
    owner_ja, owner_en = member_label(owner)
    sender_ja, sender_en = member_label(report.municipality)
    report.add("error", "template_other_member", Msg(
        f"この様式は{owner_ja}用です。{sender_ja}として提出することはできません。"
        "自団体の様式をダウンロードして入力してください。",
        f"This template was made for {owner_en}; it cannot be submitted as {sender_en}. "
        "Download your own member's template and fill it in."), sheet=table.sheet)
    report.record_nothing = True
    return True


def _member_list(lang: str) -> str:
    """The area's members as messages name them (member_label), in display order."""
    labels = [member_label(code) for code in municipalities()]
    return "、".join(ja for ja, _ in labels) if lang == "ja" else ", ".join(en for _, en in labels)


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
    candidates = [
        (sum(bool(c.header_keys & headers) for c in contract.columns), contract)
        for contract in contracts.values()
        if all(c.header_keys & headers for c in contract.required_columns)
    ]
    if candidates:
        return max(candidates, key=lambda item: item[0])[1]
    report.add("error", "dataset_not_detected", _closest_dataset(headers, table.headers),
               sheet=table.sheet, row=table.header_row)
    return None


def _closest_dataset(headers: set[str], shown: list[str]) -> Msg:
    """Name the dataset the headers come closest to and the required columns it lacks:
    what a member can fix in the file (a command-line option is not theirs to pass)."""
    def score(contract: Contract) -> tuple[int, int]:
        missing = [c for c in contract.required_columns if not c.header_keys & headers]
        return sum(bool(c.header_keys & headers) for c in contract.columns), -len(missing)

    closest = max(load_contracts().values(), key=score)
    if score(closest)[0] == 0:
        listed = "、".join(h for h in shown if h)
        return Msg(
            f"見出し行からデータセットを判別できません。見出し（{listed}）はどの提出様式の列名"
            "とも一致しません。提出様式の見出し行をそのまま使ってください。",
            f"Cannot tell the dataset from the header row: no header ({', '.join(h for h in shown if h)}) "
            "is a column of any submission template; keep the template's header row as it is.")
    missing = [c for c in closest.required_columns if not c.header_keys & headers]
    return Msg(
        f"見出し行からデータセットを判別できません。最も近いのは「{closest.title_ja}」"
        f"（{closest.dataset}）ですが、必須の列" + "".join(f"「{c.ja}」" for c in missing) +
        "がありません。",
        f"Cannot tell the dataset from the header row. The closest is {closest.title_en} "
        f"({closest.dataset}), but its required column(s) " +
        ", ".join(f"'{c.ja}'" for c in missing) + " are missing.")


def _map_headers(table: RawTable, contract: Contract, report: Report) -> dict[int, Column]:
    by_key = {key: col for col in contract.columns for key in col.header_keys}
    mapping: dict[int, Column] = {}
    for index, header in enumerate(table.headers):
        if not header:
            continue
        col = by_key.get(normalize_header(header))
        if col is None and normalize_header(header) in MEMBER_COLUMN.header_keys:
            col = MEMBER_COLUMN  # checked row by row, not stored
        where = {"sheet": table.sheet, "row": table.header_row, "column": header, "raw": header}
        if col is None:
            report.add("error", "unknown_header", Msg(
                f"見出し「{header}」はこのデータセット（{contract.title_ja}）の項目ではありません。",
                f"Header '{header}' is not a column of {contract.dataset}."),
                expected=_expected_headers(contract), **where)
        elif col in mapping.values() and col is not MEMBER_COLUMN:  # 団体コード + 市町村名
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
    if contract.submitters and report.municipality not in contract.submitters:
        names_ja, names_en = zip(*(member_label(c) for c in contract.submitters))
        report.add("error", "not_a_submitter", Msg(
            f"{contract.title_ja}は{'、'.join(names_ja)}のみが提出するデータです。",
            f"Only {', '.join(names_en)} submit {contract.dataset}."))
        return
    mapping = _map_headers(table, contract, report)
    if report.errors:
        return
    if not table.rows:
        report.add("error", "no_data_rows", Msg(
            "見出し行のみで、データ行がありません。", "Header only: no data rows."),
            sheet=table.sheet, row=table.header_row)
        return
    seen_keys: dict[tuple, int] = {}
    plan = _RowPlan.of(contract, mapping)
    for row_number, cells in table.rows:
        report.rows_total += 1
        record = _normalise_row(table, contract, plan, row_number, cells, report)
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
    _refuse_other_members_file(report)
    _check_changes(contract, report, previous)


def _refuse_other_members_file(report: Report) -> None:
    """A file whose rows all name another member (a CSV with another member's 団体コード) is
    that member's file, not a file with wrong rows: one error, and nothing recorded."""
    others = sorted(report.member_rows)
    if not others or report.municipality in others:
        return
    owners_ja, owners_en = zip(*(member_label(c) for c in others))
    sender_ja, sender_en = member_label(report.municipality)
    report.problems = [p for p in report.problems if p.code != "other_member_row"]
    report.add("error", "file_other_member", Msg(
        f"このファイルの行はすべて{'、'.join(owners_ja)}のものです。{sender_ja}として提出する"
        "ことはできません。自団体のデータを自団体の様式で提出してください。",
        f"Every row of this file belongs to {', '.join(owners_en)}; it cannot be submitted as "
        f"{sender_en}. Submit your own member's data in your own template."), sheet=report.sheet)
    report.records = []
    report.record_nothing = True


def _key_text(contract: Contract, key: tuple) -> str:
    return "、".join(f"{contract.column(k).ja}={v}" for k, v in zip(contract.key, key))


@dataclass(frozen=True)
class _RowPlan:
    """What every row of a table shares, worked out once per table rather than per row (a
    10,000-row file is validated within a second: issue 15)."""

    ordered: list[tuple[int, Column]]  # (cell index, column), measures last
    names: tuple[str, ...]  # the contract's column names: every record has each
    drop_member: bool  # the member column is checked, not kept (the ledger knows who)
    period: tuple[int, Column] | None  # the year or period column, for future periods
    today: dt.date

    @classmethod
    def of(cls, contract: Contract, mapping: dict[int, Column]) -> _RowPlan:
        return cls(
            # Measures are read last: how a value reads depends on the row's kind and unit.
            ordered=sorted(mapping.items(), key=lambda item: item[1].type == "measure"),
            names=tuple(col.name for col in contract.columns),
            drop_member=MEMBER_COLUMN not in contract.columns,
            period=next(((i, c) for i, c in mapping.items() if c.type in ("year", "period")),
                        None),
            today=dt.date.today())


def _normalise_row(table, contract, plan: _RowPlan, row_number, cells, report) -> dict | None:
    record: dict = {"source_sheet": table.sheet or "", "source_row": row_number}
    ok = True
    for index, col in plan.ordered:
        cell = cells[index] if index < len(cells) else None
        if cell is None and not col.required:
            record[col.name] = None  # what _parse_cell gives an empty optional cell
            continue
        where = {"sheet": table.sheet, "row": row_number, "column": table.headers[index],
                 "raw": None if cell is None else str(cell)}
        try:
            parsed = _parse_cell(cell, col, report, where, record)
        except CellError as exc:
            ok = False
            report.add("error", exc.code, exc.msg, expected=exc.expected, **where)
            continue
        if isinstance(parsed, dict):
            record.update(parsed)
        else:
            record[col.name] = parsed
    for name in plan.names:
        record.setdefault(name, None)
    if ok:
        ok = _refuse_future_period(table, contract, plan, row_number, cells, record, report)
    if plan.drop_member:
        record.pop(MEMBER_COLUMN.name, None)  # checked in _parse_code; the ledger knows who
    return record if ok else None


def _refuse_future_period(table, contract, plan: _RowPlan, row_number, cells, record,
                          report) -> bool:
    """An actual figure for a year that has not begun cannot be true (tourists counted in
    CY2031): refused. Targets may lie in the future (kpi_records kind 目標値), and a dataset
    may allow ``future_years`` (next year's budget). False when the row is refused."""
    if "kind" in record and record["kind"] != "actual":
        return True
    if plan.period is None:
        return True
    index, col = plan.period
    value = record.get(col.name)
    if isinstance(value, int):
        year = value
    elif isinstance(value, str) and value[-4:].isdigit():
        year = int(value[-4:])  # CY2031, or a range's end: CY2020-CY2031
    else:
        return True
    today = plan.today
    if year <= today.year + contract.future_years:
        return True
    shown = _period_label(col, value).ja if isinstance(value, int) else value
    cell = cells[index] if index < len(cells) else None
    kpi = "kind" in record
    report.add("error", "future_period", Msg(
        f"{shown} はまだ始まっていない期間なので、実績値はありえません（今日は "
        f"{today.isoformat()}）。{'期間' if kpi else col.ja}を確認してください。"
        + ("目標値であれば種別を「目標値」にしてください。" if kpi else ""),
        f"{shown} has not begun yet, so there can be no actual figure for it (today is "
        f"{today.isoformat()}); check the {'period' if kpi else 'year'}."
        + (" If it is a target, set the kind to 目標値 (target)." if kpi else "")),
        sheet=table.sheet, row=row_number, column=table.headers[index],
        raw=None if cell is None else str(cell))
    return False


class CellError(Exception):
    def __init__(self, code: str, msg: Msg, expected: Msg | None = None):
        super().__init__(msg.en)
        self.code, self.msg, self.expected = code, msg, expected


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _parse_cell(cell: object, col: Column, report: Report, where: dict, record: dict):
    if _blank(cell):
        if col.required:
            raise CellError("required_value_missing", Msg(
                f"「{col.ja}」が空欄です。", f"'{col.ja}' is empty."), _expected(col))
        return None
    if col.type != "text":
        _refuse_non_values(cell, col)
    elif isinstance(cell, str) and cell.strip() in EXCEL_ERRORS:
        report.add("warning", "excel_error_value", Msg(
            f"「{cell.strip()}」は Excel のエラー値です。文字列として扱います。",
            f"'{cell.strip()}' is an Excel error value; it is kept as plain text."), **where)
    if col.type == "measure":
        return _parse_measure(cell, col, report, where, record)
    return _PARSERS[col.type](cell, col, report, where)


def _refuse_non_values(cell: object, col: Column) -> None:
    """Cells that are not what they look like get their own message, not a parse error."""
    if isinstance(cell, str):
        text = cell.strip()
        if text in EXCEL_ERRORS:
            raise CellError("excel_error_value", Msg(
                f"セルが Excel のエラー値「{text}」です。数式の誤りを直して再計算するか、値を"
                "直接入力してください。",
                f"The cell holds the Excel error value '{text}'; fix the formula and "
                "recalculate, or type the value."), _expected(col))
        if _FORMULA_LIKE.match(text):
            raise CellError("formula_like_value", Msg(
                f"「{text}」は数式のような文字列です。数式として計算はしません。"
                f"「{col.ja}」には値を直接入力してください。",
                f"'{text}' looks like a formula; it is never evaluated. Type the value of "
                f"'{col.ja}' itself."), _expected(col))
    elif isinstance(cell, dt.date | dt.time | dt.timedelta):
        midnight = isinstance(cell, dt.datetime) and cell.time() == dt.time()
        shown = cell.date().isoformat() if midnight else str(cell)
        raise CellError("date_value", Msg(
            f"「{shown}」は日付・時刻として入力されています（Excel が自動で日付に変換した"
            f"可能性があります）。セルの書式を「標準」にして「{col.ja}」を入力し直してください。",
            f"'{shown}' was entered as a date or time (Excel may have converted it); set the "
            f"cell format to General and re-enter '{col.ja}'."), _expected(col))


def _expected(col: Column) -> Msg:
    if col.type == "year":
        return Msg(f"{MIN_YEAR}〜{MAX_YEAR} の年（例: 2023、R5年）",
                   f"a year {MIN_YEAR}-{MAX_YEAR} (e.g. 2023, R5年)")
    if col.type == "code":
        table = code_table(col)
        sample = "、".join(f"{c}（{ja}）" for c, (ja, _) in list(table.items())[:8])
        more = " ほか" if len(table) > 8 else ""
        return Msg(f"コードまたは名称: {sample}{more}",
                   "a code or its name: " + ", ".join(list(table)[:8]) + (" ..." if more else ""))
    if col.type == "period":
        return Msg("FY2016、CY2016、2016年度、R5年、令和5年度、CY2020-CY2024 など",
                   "FY2016, CY2016, 2016年度, R5年, 令和5年度, CY2020-CY2024, ...")
    if col.type == "measure":
        return Msg("数値（単位・以上・速報値も可）、集計中、—、削除、未把握、評価は A/B/C/A+/A-",
                   "a number (units, 以上, 速報値 allowed), 集計中, —, 削除, 未把握; "
                   "outlook A/B/C/A+/A-")
    if col.type == "quantity":
        lower = "0 以上の" if col.min == 0 else ""
        lower_en = "non-negative " if col.min == 0 else ""
        return Msg(f"{lower}数値（単位: {col.unit}）", f"a {lower_en}number in {col.unit_en or col.unit}")
    return Msg("文字列", "text")


# ASCII or full-width digits only: \d would take ٢٠٢٣ (Arabic-Indic) too, and int() reads it.
_PLAIN_YEAR = re.compile(r"^\s*([0-9０-９]{4})(?:\.0+)?\s*$")


def _parse_year(cell, col: Column, report, where) -> int:
    text = str(cell).strip()
    year = None
    if isinstance(cell, int | float) and not isinstance(cell, bool) and float(cell).is_integer():
        year = int(cell)
    elif match := _PLAIN_YEAR.match(text):
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
        # The parser's own sentence may already say "X is not a number": say it once.
        detail_ja = exc.message_ja.removeprefix(f"「{cell}」は数値として読めません。")
        detail_en = exc.message_en.removeprefix(f'"{cell}" is not a number; ')
        raise CellError("not_a_number", Msg(
            f"「{cell}」を数値として読めません。{detail_ja}",
            f"Cannot read '{cell}' as a number. {detail_en[:1].upper()}{detail_en[1:]}"),
            _expected(col)) from exc
    if quantity.status != "ok" or quantity.value is None:
        label = status_label(quantity.status)
        raise CellError("value_not_available", Msg(
            f"「{cell}」は値ではありません（「{label.ja}」を表す記入です）。この列には数値が"
            "必要です。",
            f"'{cell}' is not a value (it means {label.en}); this column needs a number."),
            _expected(col))
    value = quantity.value
    count_unit = _count_unit(col.unit)
    if count_unit is not None:
        problem = _count_problem(cell, quantity, count_unit, col.ja)
        if problem is not None:
            raise CellError(*problem, _expected(col))
    if col.min is not None and value < col.min:
        raise CellError("below_minimum", Msg(
            f"「{cell}」は負の値です。{col.ja}は {col.min:g} 以上でなければなりません。",
            f"'{cell}' is below the minimum {col.min:g} for {col.name}."), _expected(col))
    if "converted" in quantity.flags:
        # Only when the member typed another unit (747千人 in a 人 column); said in the
        # column's unit, as the member reads it (stored values are in the base unit).
        shown = _number_text(value / _column_multiplier(col.unit))
        unit_en = (col.unit_en or col.unit or "").split(" (")[0]
        report.add("info", "unit_converted", Msg(
            f"「{cell}」を {shown} {col.unit} に換算しました。",
            f"Converted '{cell}' to {shown} {unit_en}."), **where)
    if "preliminary" in quantity.flags:
        report.add("warning", "preliminary_value", Msg(
            f"「{cell}」は速報値・暫定値です。確定後に再提出してください。",
            f"'{cell}' is a preliminary value; resubmit when final."), **where)
    return value


@cache
def _count_unit(unit: str | None) -> str | None:
    """The counter (人, 件 ...) of a column whose values are counts of whole things, or None."""
    if not unit:
        return None
    try:
        base = parse_unit(unit)[1]
    except ValueParseError:
        return None
    return base if base in COUNT_UNITS else None


def _count_problem(cell, quantity, unit: str, what: str) -> tuple[str, Msg] | None:
    """A count that cannot be true: 748.000 (748 or 748,000?) or a fraction of a person.
    Only text cells can be ambiguous: a number cell 748.000 is stored as 748."""
    raw = visible(cell)
    if isinstance(cell, str) and "ambiguous_thousands" in quantity.flags:
        return "ambiguous_decimal_point", Msg(
            f"「{raw}」の「.」が小数点なのか桁区切りなのか分かりません（「{what}」は{unit}の数"
            "なので小数にはなりませんが、ピリオドを桁区切りに使う書き方もあります）。桁区切りは"
            f"カンマ（,）で、例えば 748,000 のように記入してください。",
            f"In '{raw}' the dot may be a decimal point or a thousands separator (as written in "
            f"Europe); '{what}' counts whole {unit}. Write thousands with commas, e.g. 748,000.")
    if quantity.value is not None and not float(quantity.value).is_integer():
        return "fractional_count", Msg(
            f"「{raw}」は小数です（{_number_text(quantity.value)} {unit}）。「{what}」は{unit}の数"
            "なので整数で記入してください。",
            f"'{raw}' is a fraction ({_number_text(quantity.value)} {unit}); '{what}' counts "
            f"whole {unit}: enter a whole number.")
    return None


def _number_text(value: float) -> str:
    value = round(float(value), 6)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,}"


@cache
def _column_multiplier(unit: str | None) -> float:
    """A 百万円 column stores its values in yen: 1,000,000 per unit the member typed."""
    if not unit:
        return 1
    try:
        return parse_unit(unit)[0]
    except ValueParseError:
        return 1


def _parse_text(cell, col: Column, report: Report, where) -> str:
    text = str(cell).strip()
    if col.pattern and not re.match(col.pattern, text):
        raise CellError("pattern_mismatch", Msg(
            f"「{text}」は「{col.ja}」の形式（{col.pattern}）に合いません。",
            f"'{text}' does not match the format of {col.name} ({col.pattern})."),
            Msg(col.description_ja or col.pattern, col.description_en or col.pattern))
    if text.startswith(FORMULA_PREFIXES):
        # Kept as text (never evaluated); publication escapes it again for spreadsheets.
        report.add("warning", "formula_like_text", Msg(
            f"「{text}」は数式のように見えます。文字列として扱います。",
            f"'{text}' looks like a formula; it is kept as plain text."), **where)
    return text


def _code_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # Excel stores 12345 typed into a cell as 12345.0
    return str(cell).strip()


def _parse_code(cell, col: Column, report: Report, where) -> str:
    text = _code_text(cell)
    lookup = code_lookup(col)
    code = lookup.get(normalize_header(text))
    if code is None and text.isdigit() and col.codes == "counterpart_areas":
        code = lookup.get(text.zfill(5))  # a code typed as a number loses its leading zero
    if code is None:
        raise CellError("unknown_code", Msg(
            f"「{text}」は「{col.ja}」として使えるコードではありません。",
            f"'{text}' is not a valid code for {col.name}."), _expected(col))
    submitter = report.municipality
    if col.must_be_submitter:
        report.member_rows[code] = report.member_rows.get(code, 0) + 1
    if col.must_be_submitter and code != submitter:
        sender_ja, sender_en = member_label(submitter)
        other_ja, other_en = member_label(code)
        raise CellError("other_member_row", Msg(
            f"{other_ja}の行は提出できません。"
            f"{sender_ja}のファイルには自団体の行だけを記入してください（他の市町の行は、その"
            "市町が提出します）。",
            f"Rows for {other_en} cannot be submitted by {sender_en}; a member submits its own "
            "rows (another member's rows come from that member)."),
            Msg(f"{sender_ja}", f"{sender_en}"))
    if col.not_submitter and code == submitter:
        raise CellError("own_code_as_counterpart", Msg(
            f"相手地域に自らの団体コード {code} は使えません（市町内の移動は転入・転出ではありません）。",
            f"{code} is the submitter itself; moves within a municipality are not in/out moves."),
            Msg("他の市町・地域のコード", "another member's or area's code"))
    if col.participation_required and submitter not in participation().get(code, ()):
        sender_ja, sender_en = member_label(submitter)
        raise CellError("not_a_participant", Msg(
            f"連携事業 {code}（{code_table(col)[code][0]}）に{sender_ja}は参加していません。",
            f"{sender_en} does not take part in collaboration project {code}."),
            Msg("参加している連携事業の番号", "a project the member takes part in"))
    return code


def _parse_period_cell(cell, col: Column, report: Report, where) -> str:
    text = _code_text(cell)
    # A range's second half starts with a letter, an era or a digit: CY2020-CY2024,
    # H27～R1, 2015年～2019年 (a year's own hyphen never precedes one of these).
    parts = re.split(r"\s*[-~～〜]\s*(?=[A-Za-z令平Ｈ0-9０-９])", text)
    try:
        periods = [parse_period(part) for part in parts]
    except ValueParseError as exc:
        raise CellError("invalid_period", Msg(
            f"「{text}」は期間として読めません。{exc.message_ja}",
            f"'{text}' is not a period. {exc.message_en}"), _expected(col)) from exc
    for period in periods:
        if not MIN_YEAR <= int(period[2:6]) <= MAX_YEAR:
            raise CellError("year_out_of_range", Msg(
                f"{period} は受け付ける範囲（{MIN_YEAR}〜{MAX_YEAR}）の外です。",
                f"{period} is outside the accepted range {MIN_YEAR}-{MAX_YEAR}."), _expected(col))
    _check_range(text, periods, col)
    return "-".join(periods)


def _check_range(text: str, periods: list[str], col: Column) -> None:
    """A range is two periods of one kind, first to last: anything else (FY2024-FY2020,
    CY2020-FY2024) is accepted by nothing downstream and would vanish from the scorecard."""
    if len(periods) == 1:
        return
    shown = visible(text)
    if len(periods) > 2:
        raise CellError("invalid_period_range", Msg(
            f"「{shown}」は期間が {len(periods)} つ並んでいます。範囲は「CY2020-CY2024」のように"
            "始まりと終わりの 2 つで書いてください。",
            f"'{shown}' lists {len(periods)} periods; a range is a start and an end, such as "
            "CY2020-CY2024."), _expected(col))
    first, last = periods
    if first[:2] != last[:2]:
        raise CellError("invalid_period_range", Msg(
            f"「{shown}」は暦年（{'CY' if first.startswith('CY') else 'FY'}）と年度が混ざった範囲"
            "です。範囲の両端は暦年どうし（CY2020-CY2024）か年度どうし（FY2020-FY2024）に"
            "してください。",
            f"'{shown}' mixes a calendar year and a fiscal year; both ends of a range must be "
            "calendar years (CY2020-CY2024) or fiscal years (FY2020-FY2024)."), _expected(col))
    if first == last:
        raise CellError("invalid_period_range", Msg(
            f"「{shown}」は範囲の始まりと終わりが同じです。1 年だけなら {first} と書いてください。",
            f"'{shown}' starts and ends with {first}; a single period is just {first}."),
            _expected(col))
    if int(first[2:]) > int(last[2:]):
        raise CellError("invalid_period_range", Msg(
            f"「{shown}」は範囲の始まり（{first}）が終わり（{last}）より後です。"
            f"{last}-{first} のように古い方から書いてください。",
            f"'{shown}' starts ({first}) after it ends ({last}); write the earlier period "
            f"first: {last}-{first}."), _expected(col))


_PARSERS = {"year": _parse_year, "quantity": _parse_quantity_cell, "text": _parse_text,
            "code": _parse_code, "period": _parse_period_cell}


def _parse_measure(cell, col: Column, report: Report, where, record: dict) -> dict:
    """A kpi_records value: keeps the raw text, qualifier (以上) and status (集計中)."""
    raw = _code_text(cell) if not isinstance(cell, float) else repr(cell)
    out = {col.name: None, f"{col.name}_raw": raw, f"{col.name}_qualifier": None,
           f"{col.name}_status": "ok", f"{col.name}_flags": ""}
    if record.get("kind") == "outlook":
        try:
            out[f"{col.name}_raw"] = parse_outlook(raw)
        except ValueParseError as exc:
            raise CellError("invalid_outlook", Msg(
                f"評価「{raw}」は A、B、C、A+、A- のいずれかで記入してください。",
                f"Outlook '{raw}' must be A, B, C, A+ or A-."), _expected(col)) from exc
        return out
    unit = (record.get("unit") or "").strip() or None
    try:
        quantity = parse_quantity(cell, expected_unit=unit)
    except ValueParseError as exc:
        raise CellError("not_a_number", Msg(
            f"「{raw}」を値として読めません。{exc.message_ja}",
            f"Cannot read '{raw}' as a value. {exc.message_en}"), _expected(col)) from exc
    out.update({col.name: quantity.value, f"{col.name}_qualifier": quantity.qualifier,
                f"{col.name}_status": quantity.status,
                f"{col.name}_flags": ";".join(sorted(quantity.flags))})
    if "preliminary" in quantity.flags:
        report.add("warning", "preliminary_value", Msg(
            f"「{raw}」は速報値・暫定値です。確定後に再提出してください。",
            f"'{raw}' is a preliminary value; resubmit when final."), **where)
    count_unit = _count_unit(quantity.unit) if quantity.status == "ok" else None
    if count_unit is not None and not quantity.flags & {"average", "approximate", "estimate"}:
        # A KPI in 人 may be an average (平均2.6人): a warning, not a refusal.
        problem = _count_problem(cell, quantity, count_unit, record.get("kpi_name") or col.ja)
        if problem is not None:
            report.add("warning", *problem, **where)
    if (unit == "%" and isinstance(cell, float) and quantity.value is not None
            and 0 < abs(quantity.value) < 1):
        # Excel stores 12.9% typed into a General cell as 0.129; the format is not read.
        report.add("warning", "percent_as_fraction", Msg(
            f"「{raw}」は {quantity.value * 100:g}% の入力かもしれません（Excel はパーセント書式の値を"
            "小数で保存します）。% の値は文字列（例: 12.9%）で記入してください。",
            f"'{raw}' may be {quantity.value * 100:g}% stored as a fraction by Excel; type "
            "percentages as text such as 12.9%."), **where)
    return out


def quantity_index(contract: Contract, records: list[dict]) -> dict[tuple, float]:
    """(key..., column) -> value for every quantity cell; the shape ``previous`` takes."""
    index = {}
    quantities = [col for col in contract.columns if col.type == "quantity"]
    if not quantities:
        return index  # not a row to look at (a dataset of text and codes)
    for record in records:
        key = tuple(record[k] for k in contract.key)
        for col in quantities:
            if record.get(col.name) is not None:
                index[(*key, col.name)] = record[col.name]
    return index


def _check_changes(contract: Contract, report: Report, previous: dict[tuple, float]) -> None:
    """Warn (one rule: orchestration.quality.change_rule) when a value moves beyond ×3 or ÷3
    against the value accepted before for the same key (a revision: 801 re-sent for 801 千人)
    or else against the member's previous year, from this file or an earlier submission."""
    quantities = [col for col in contract.columns if col.type == "quantity"]
    if not quantities:
        return  # nothing can move
    known = {**previous, **quantity_index(contract, report.records)}
    period_col = contract.column(contract.key[0])
    for record in report.records:
        key = tuple(record[k] for k in contract.key)
        for col in quantities:
            if record.get(col.name) is None:
                continue
            value = record[col.name]
            where = {"sheet": record["source_sheet"] or None, "row": record["source_row"],
                     "column": col.ja, "raw": f"{value:g}"}
            # Labels only for a warning: most values are not suspicious.
            revised = change_rule.suspicious(value, previous.get((*key, col.name)))
            if revised is not None:
                report.add("warning", "suspicious_revision", change_rule.revision_message(
                    revised, col.unit, _period_label(period_col, key[0])), **where)
                continue
            if not isinstance(key[0], int):
                continue
            change = change_rule.suspicious(value, known.get((key[0] - 1, *key[1:], col.name)))
            if change is not None:
                report.add("warning", "suspicious_change", change_rule.year_change_message(
                    change, col.unit, _period_label(period_col, key[0]),
                    _period_label(period_col, key[0] - 1)), **where)


def _period_label(col: Column, value: object) -> Msg:
    """2023 -> 2023年 / CY2023, or 2023年度 / FY2023: as members write them."""
    if not isinstance(value, int):
        return Msg(str(value), str(value))
    if col.period_type == "FY":
        return Msg(f"{value}年度", f"FY{value}")
    return Msg(f"{value}年", f"CY{value}")
