"""Submission templates generated from the contracts (xlsx with instructions, or CSV).

The xlsx template is meant to be filled by a member's staff without help:

* sheet ``データ`` (always first: the reader takes the first sheet that is not an
  instruction sheet) holds only the header row, the contract's Japanese headers;
* every column carries an input message (shown when a cell is selected), a number format
  (years ``0``, quantities ``#,##0``, codes and text ``@`` so ``01000`` keeps its zero) and,
  for code columns, a dropdown whose values are what a member reads (``転入``, ``平日``,
  ``12345 A市``); each of them is accepted by the validator;
* sheet ``記入方法`` explains every column (必須/任意, unit, how to write it) and lists the
  allowed codes with their Japanese labels; sheet ``リスト`` (hidden) holds the long
  dropdown lists, since an inline list formula is limited to 255 characters.

No data row is pre-filled, not even with the member's own code: the reader keeps every row
that has any value, so a row holding only a pre-filled code would be read as a row with its
required values missing. Where the contract requires the submitter's own code
(``must_be_submitter``), the member's code is instead the dropdown's only value, its input
message names it, and ``記入方法`` says so. Formulas are not used either: a workbook saved by
a script carries no computed values, and the reader refuses formulas without them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from orchestration.intake.contracts import (
    MAX_YEAR,
    MIN_YEAR,
    Column,
    Contract,
    code_table,
    get_contract,
    municipalities,
    participation,
)
from orchestration.intake.readers import TEMPLATE_MEMBER_NAME

DATA_SHEET = "データ"
INSTRUCTIONS_SHEET = "記入方法"
LISTS_SHEET = "リスト"
# Rows below the header that carry dropdowns and input messages (a year of population moves
# for one member is about 40 rows; seven years of 40 project budgets 280).
TEMPLATE_ROWS = 1000
# Excel refuses an inline list formula longer than 255 characters.
INLINE_LIST_LIMIT = 255
NUMBER_FORMATS = {"year": "0", "integer": "0", "quantity": "#,##0", "code": "@", "text": "@",
                  "period": "@", "measure": "@"}
REQUIRED_FILL = "FCE4D6"
OPTIONAL_FILL = "DDEBF7"


def write_template(dataset: str, output: Path, fmt: str, municipality: str | None = None) -> Path:
    contract = get_contract(dataset)
    if fmt == "csv":
        # Header row only; UTF-8 with BOM so Excel opens the Japanese headers correctly.
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerow([c.ja for c in contract.columns])
        output.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    else:
        _write_xlsx(contract, output, municipality)
    return output


# ---------------------------------------------------------------- choices


def choice_label(col: Column, code: str) -> str:
    """The dropdown value for a code: ``12345 A市`` for numeric codes, else the Japanese
    label (``転入``, ``平日``). code_lookup accepts both spellings."""
    ja = code_table(col)[code][0]
    return f"{code} {ja}" if code.isdigit() else ja


def allowed_codes(col: Column, municipality: str | None = None) -> list[str]:
    """Codes the member may use in this column (narrowed when the member is known)."""
    codes = list(code_table(col))
    if municipality is None:
        return codes
    if col.must_be_submitter:
        return [c for c in codes if c == municipality]
    if col.participation_required:
        return [c for c in codes if municipality in participation().get(c, ())]
    return codes


def _member_text(municipality: str | None) -> str:
    if not municipality:
        return ""
    name = municipalities().get(municipality, {}).get("name_ja", "")
    return f"{municipality} {name}".strip()


def _example_member(municipality: str | None) -> tuple[str, str]:
    """(code, Japanese name) for the examples in the texts: the template's own member, else
    the first member of the active area."""
    members = municipalities()
    code = municipality if municipality in members else next(iter(members))
    return code, members[code]["name_ja"]


def _period_text(col: Column) -> str:
    if col.period_type == "FY":
        return "年度（4月〜翌3月）。2022、2022年度、R4年度、令和4年度、FY2022 のいずれも可"
    if col.period_type == "CY":
        return "暦年（1月〜12月）。2023、2023年、R5年、令和5年、CY2023 のいずれも可"
    return "年（例: 2023）"


def _how_to_write(col: Column, municipality: str | None) -> str:
    """How a value of this column is written, in Japanese (記入方法 and input message)."""
    if col.type in ("year", "integer"):
        return f"{_period_text(col)}（{MIN_YEAR}〜{MAX_YEAR}）"
    if col.type == "quantity":
        text = f"数値。単位のない数値は「{col.unit}」とみなします" if col.unit else "数値"
        if col.min == 0:
            text += "。0 以上"
        examples = "「1,234」「1,234億円」「56,789百万円」" if (col.unit or "").endswith("円") \
            else "「1,234」「567千人」「55.3万人」"
        return f"{text}。{examples}のような書き方も読み取ります"
    if col.type == "code":
        if col.must_be_submitter:
            own = _member_text(municipality) or "提出する市町自身"
            return f"一覧から選択。自らの団体コード（{own}）のみ記入できます"
        if col.participation_required:
            return "一覧から選択。参加している連携事業の番号のみ記入できます"
        return "一覧から選択（コードだけ、名称だけの入力も可）"
    if col.type == "period":
        return col.description_ja or "FY2016、CY2016、2016年度、R5年、令和5年度"
    if col.type == "measure":
        return ("数値（単位・「以上」「速報値」等も可）、「集計中」「—」「削除」「未把握」。"
                "種別が評価のときは A/B/C/A+/A-")
    if col.pattern:
        return f"文字列（形式: {col.description_ja or col.pattern}）"
    return "文字列"


# ---------------------------------------------------------------- instructions


def _instructions(contract: Contract, municipality: str | None) -> list[list[str]]:
    member = _member_text(municipality)
    code, name = _example_member(municipality)
    key_names = "・".join(contract.column(k).ja for k in contract.key)
    lines = [
        [f"{contract.title_ja}（{contract.dataset}）提出様式"],
        [contract.description_ja],
        [],
        ["提出団体", member or "どの市町も使える様式です。提出の際に提出する市町を選んでください。"],
        ["記入シート", f"「{DATA_SHEET}」シートの 2 行目から、1 行に 1 件ずつ記入してください。"
         "1 行目の見出しは変更・削除しないでください。列の追加もしないでください。"],
        ["空の行", "何も記入していない行は読み飛ばします。途中に空行があっても構いません。"],
        ["重複", f"「{key_names}」が同じ行は 1 行だけ記入してください。"],
        ["数値", "「1,234」「567千人」「1,234億円」「△69」のような書き方も読み取ります。"
         "単位が列の単位と異なる場合は換算します。"],
        ["年・年度", "「2023」「2023年」「R5年」「令和5年度」などの書き方を読み取ります。"
         "年（暦年）の列に年度、年度の列に年を書くとエラーになります。"],
        ["コード", "一覧（▼）が出る列は、一覧から選ぶか、コードまたは名称を入力してください"
         f"（例: 「{code} {name}」「{code}」「{name}」はどれも同じ意味です）。"],
        ["見出しの色", "橙色の見出しは必須、青色の見出しは任意の列です。"],
    ]
    if member:
        lines.insert(4, ["様式の団体", f"この様式は {member} 専用です（ブックに記録されています）。"
                         "他の市町として提出すると受け付けません。"])
    if contract.submitters:
        names = "、".join(_member_text(c) for c in contract.submitters)
        lines.append(["提出する団体", f"このデータは {names} のみが提出します。"])
    for col in contract.columns:
        if col.must_be_submitter:
            lines.append([col.ja, f"自らの団体コードのみ記入できます（{member or '提出する市町自身'}）。"
                          "他の市町の行は、その市町が提出します。"])
        if col.participation_required:
            lines.append([col.ja, "参加している連携事業の番号のみ記入できます。"])
    lines += [[], ["列の一覧"], ["列（見出し）", "必須／任意", "単位", "書き方", "説明", "項目名（英）"]]
    for col in contract.columns:
        lines.append([col.ja, "必須" if col.required else "任意", col.unit or "",
                      _how_to_write(col, municipality), _description(col), col.name])
    code_columns = [c for c in contract.columns if c.type == "code"]
    if code_columns:
        lines += [[], ["選択肢（コード一覧）"],
                   ["列（見出し）", "一覧に表示される値", "コード", "名称", "名称（英）"]]
        for col in code_columns:
            table = code_table(col)
            for code in allowed_codes(col, municipality):
                ja, en = table[code]
                lines.append([col.ja, choice_label(col, code), code, ja, en])
    return lines


def _typed_example(col: Column, code: str) -> str:
    """「コード（例: 12345）や名称（例: A市）」 for a code of this very column."""
    if not code:
        return "コードや名称"
    return f"コード（例: {code}）や名称（例: {code_table(col)[code][0]}）"


def _description(col: Column) -> str:
    """The contract's description, or one said from the column's type when it has none."""
    if col.description_ja:
        return col.description_ja
    if col.type in ("year", "integer"):
        return "対象の年度" if col.period_type == "FY" else "対象の年（暦年）"
    if col.type == "quantity":
        return f"{col.ja}（単位: {col.unit}）" if col.unit else col.ja
    if col.type == "code":
        return f"{col.ja}（選択肢は下の「選択肢（コード一覧）」）"
    return col.ja


def _input_message(col: Column, municipality: str | None) -> tuple[str, str]:
    title = f"{col.ja}（{'必須' if col.required else '任意'}）"[:32]
    parts = [_how_to_write(col, municipality)]
    if col.description_ja and col.type != "period":
        parts.append(col.description_ja)
    return title, "。".join(p.rstrip("。") for p in parts if p)[:255]


# ---------------------------------------------------------------- xlsx


def _write_xlsx(contract: Contract, output: Path, municipality: str | None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    info = wb.create_sheet(INSTRUCTIONS_SHEET)
    lists = None
    last = TEMPLATE_ROWS + 1

    for index, col in enumerate(contract.columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=col.ja)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=REQUIRED_FILL if col.required else OPTIONAL_FILL)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        # Column-level format: Excel applies it to every cell typed in the column, without
        # creating cells (styled empty cells would bloat the sheet the reader walks).
        dim = ws.column_dimensions[letter]
        dim.width = max(14, len(col.ja) * 2 + 4)
        dim.number_format = NUMBER_FORMATS.get(col.type, "General")

        title, prompt = _input_message(col, municipality)
        area = f"{letter}2:{letter}{last}"
        if col.type == "code":
            choices = [choice_label(col, code) for code in allowed_codes(col, municipality)]
            inline = '"' + ",".join(choices) + '"'
            if len(inline) <= INLINE_LIST_LIMIT and not any("," in c for c in choices):
                formula = inline
            else:
                if lists is None:
                    lists = wb.create_sheet(LISTS_SHEET)
                    lists.sheet_state = "hidden"
                list_col = lists.max_column + 1 if lists.max_row > 1 else 1
                list_letter = get_column_letter(list_col)
                lists.cell(row=1, column=list_col, value=col.ja)
                for offset, choice in enumerate(choices, start=2):
                    lists.cell(row=offset, column=list_col, value=choice).number_format = "@"
                name = f"list_{col.name}"
                ref = (f"{quote_sheetname(LISTS_SHEET)}!${list_letter}$2:"
                       f"${list_letter}${len(choices) + 1}")
                wb.defined_names[name] = DefinedName(name, attr_text=ref)
                formula = name
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            # A typed code or label (not the list's "code name") is valid too: warn, never block.
            dv.errorStyle = "warning"
            dv.showErrorMessage = True
            dv.errorTitle = "一覧にない値"
            example = allowed_codes(col, municipality)[:1] or [""]
            dv.error = (f"一覧にない値です。{_typed_example(col, example[0])}でも受け付けます。"
                        "このまま入力してよければ「はい」を選んでください。")
        else:
            dv = DataValidation(allow_blank=True)  # input message only, no restriction
            if col.type in ("year", "integer", "quantity"):
                dv.imeMode = "off"  # 半角: figures typed with the IME on become full-width
        dv.showInputMessage = True
        dv.promptTitle, dv.prompt = title, prompt
        dv.add(area)
        ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"

    for line in _instructions(contract, municipality):
        info.append(line)
    info["A1"].font = Font(bold=True, size=14)
    for row in info.iter_rows():
        if row[0].value in ("列の一覧", "選択肢（コード一覧）"):
            row[0].font = Font(bold=True, size=12)
    for letter, width in zip("ABCDEF", (24, 34, 12, 60, 60, 24)):
        info.column_dimensions[letter].width = width
    wb.properties.title = f"{contract.title_ja} 提出様式"
    wb.properties.subject = contract.dataset
    if municipality:
        wb.properties.keywords = municipality
        # What the reader checks: a file made from this template is refused when submitted
        # as another member (readers.template_member).
        wb.defined_names[TEMPLATE_MEMBER_NAME] = DefinedName(
            TEMPLATE_MEMBER_NAME, attr_text=f'"{municipality}"',
            comment="この様式の提出団体（団体コード）")
    wb.save(output)


def fill_template(path: Path, rows: Iterable[Sequence | Mapping], dataset: str | None = None,
                  start_row: int = 2) -> Path:
    """Write rows into a template's データ sheet as a member would type them.

    A row is a sequence in column order or a mapping by column name or Japanese header.
    Each written cell gets its column's number format (openpyxl, unlike Excel, does not
    apply a column's format to new cells). Used by the sample generator and the tests.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    headers = [c.value for c in ws[1]]
    contract = get_contract(dataset or wb.properties.subject)
    by_header = {c.ja: c for c in contract.columns}
    formats, names = {}, {}
    for index, header in enumerate(headers):
        col = by_header.get(header)
        formats[index] = NUMBER_FORMATS.get(col.type, "General") if col else "General"
        if col is not None:
            names[col.name] = names[col.ja] = index
    for offset, row in enumerate(rows):
        if isinstance(row, Mapping):
            cells = [None] * len(headers)
            for key, value in row.items():
                cells[names[key]] = value
        else:
            cells = list(row)
        for index, value in enumerate(cells):
            if value is None:
                continue
            cell = ws.cell(row=start_row + offset, column=index + 1, value=value)
            # A number typed into a text (@) column stays a number in openpyxl; keep the
            # cell's format coherent with what it holds, as Excel would show it.
            fmt = formats.get(index, "General")
            if fmt == "@" and not isinstance(value, str):
                fmt = "General"
            cell.number_format = fmt
    wb.save(path)
    return path
