"""Blank submission templates generated from the contracts (xlsx with instructions, or CSV)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from orchestration.intake.contracts import Contract, get_contract, municipalities

DATA_SHEET = "データ"
INSTRUCTIONS_SHEET = "記入方法"


def write_template(dataset: str, output: Path, fmt: str, municipality: str | None = None) -> Path:
    contract = get_contract(dataset)
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerow([c.ja for c in contract.columns])
        output.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    else:
        _write_xlsx(contract, output, municipality)
    return output


def _instructions(contract: Contract, municipality: str | None) -> list[list[str]]:
    member = municipalities().get(municipality or "", {})
    lines = [
        [f"{contract.title_ja}（{contract.dataset}）提出様式"],
        [contract.description_ja],
        [],
        ["提出団体", f"{municipality} {member.get('name_ja', '')}".strip() if municipality
         else "提出時に --municipality で指定してください"],
        ["記入シート", f"「{DATA_SHEET}」シートの 2 行目から 1 行に 1 件ずつ記入してください。"],
        ["数値", "「9,028」「747千人」「△69」のような書き方も読み取ります。単位が列と異なる場合は換算します。"],
        ["年・年度", "「2023」「2023年」「R5年」「令和5年度」などの書き方を読み取ります。"],
        [],
        ["列", "必須", "単位", "説明"],
    ]
    for col in contract.columns:
        lines.append([col.ja, "必須" if col.required else "任意", col.unit or "", col.description_ja])
    return lines


def _write_xlsx(contract: Contract, output: Path, municipality: str | None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append([c.ja for c in contract.columns])
    for index, col in enumerate(contract.columns, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = max(14, len(col.ja) * 2 + 4)
        # Number formats make typed figures stay numbers, not text.
        fmt = {"quantity": "#,##0.###", "year": "0"}.get(col.type)
        if fmt:
            for row in range(2, 202):
                ws.cell(row=row, column=index).number_format = fmt
    ws.freeze_panes = "A2"
    info = wb.create_sheet(INSTRUCTIONS_SHEET)
    for line in _instructions(contract, municipality):
        info.append(line)
    info.column_dimensions["A"].width = 22
    info.column_dimensions["D"].width = 80
    wb.save(output)
