"""The members' portal error file: real files validated by the real intake, the error
workbook written and loaded back with openpyxl, as Excel would open it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from orchestration.intake.validate import validate_file
from orchestration.portal.errorfile import write_error_workbook
from tests.fixtures.make_bad_corpus import BAD_DIR, TOURISM, csv_bytes, read_manifest

MEMBER = "40216"
ERROR_FILL = "00FFC7CE"


def _error_file(tmp_path: Path, path: Path, dataset: str | None = None, lang: str = "ja",
                member: str = MEMBER, **kwargs):
    report = validate_file(path, member, dataset, **kwargs)
    out = write_error_workbook(path, report, tmp_path / "errors.xlsx", lang=lang)
    return report, load_workbook(out)


def _xlsx(tmp_path: Path, rows: list[tuple[int, list[object]]], title: str = "データ") -> Path:
    """A workbook with each row at the given row number (gaps stay blank)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for number, cells in rows:
        for index, value in enumerate(cells, 1):
            if value is not None:
                cell = ws.cell(row=number, column=index, value=value)
                cell.data_type = "s" if isinstance(value, str) else cell.data_type
    path = tmp_path / "upload.xlsx"
    wb.save(path)
    return path


def _errors_cell(ws, row: int):
    """The 「エラー」 cell of a row: the last column of the header row."""
    return ws.cell(row=row, column=ws.max_column).value


def _no_formula(out: Path) -> None:
    wb = load_workbook(out)
    assert all(cell.data_type != "f" for ws in wb for row in ws.iter_rows() for cell in row)
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


# ------------------------------------------------------------------ row numbers match


@pytest.mark.parametrize("dataset", ["tourism_visitors", None])
def test_rows_keep_their_numbers_around_a_title_row_and_blank_rows(tmp_path, dataset):
    path = _xlsx(tmp_path, [
        (1, ["令和5年 観光入込客数"]),
        (3, TOURISM),
        (4, [2022, 1_036_000, None]),
        (6, [2023, "多数", "見込み"]),  # row 5 left blank
        (7, [2024, -5, None]),
    ])
    report, wb = _error_file(tmp_path, path, dataset)
    assert [ws.title for ws in wb] == ["データ", "エラー一覧"]
    ws = wb["データ"]
    errors = {p.row: p for p in report.errors}
    assert set(errors) == {6, 7}
    # The report's row numbers are the rows here, and the values the validator read.
    assert ws["A1"].value == "令和5年 観光入込客数"
    assert [ws.cell(3, c).value for c in (1, 2, 3, 4)] == [*TOURISM, "エラー"]
    assert [ws.cell(6, c).value for c in (1, 2, 3)] == [2023, "多数", "見込み"]
    assert ws.cell(5, 1).value is None
    assert ws["B6"].fill.fgColor.rgb == ERROR_FILL and ws["B7"].fill.fgColor.rgb == ERROR_FILL
    assert ws["A6"].fill.fill_type is None and ws["B4"].fill.fill_type is None
    text = ws["D6"].value
    assert "観光入込客数（人）" in text and "多数" in text and "期待される値" in text
    assert errors[6].message.ja in text and errors[6].expected.ja in text
    assert ws["D4"].value is None
    # The title row is a note, in the problems sheet only.
    problems = wb["エラー一覧"]
    listed = [[c.value for c in row] for row in problems.iter_rows(min_row=2)]
    assert any(row[0] == "お知らせ" and row[2] == 1 for row in listed)
    assert any(row[0] == "エラー" and row[2] == 6 and row[4] == "多数" for row in listed)


def test_every_problem_is_listed_with_its_place_value_and_expectation(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, [2009, "1,000", ""], [2023, "集計中", ""]]))
    report, wb = _error_file(tmp_path, path, "tourism_visitors")
    ws = wb["エラー一覧"]
    assert [c.value for c in ws[1]] == ["区分", "シート", "行", "列", "値", "内容", "期待される値"]
    listed = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(listed) == len(report.problems)
    for row, problem in zip(listed, report.problems):
        assert row[2:6] == [problem.row, problem.column, problem.raw, problem.message.ja]
        assert row[6] == (problem.expected.ja if problem.expected else None)
    assert wb["データ"]["A2"].fill.fgColor.rgb == ERROR_FILL  # 2009: year out of range


def test_english_headers_and_messages(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, [2023, "多数", ""]]))
    report, wb = _error_file(tmp_path, path, "tourism_visitors", lang="en")
    assert [ws.title for ws in wb] == ["Data", "Problems"]
    assert wb["Data"]["D1"].value == "Errors"
    text = wb["Data"]["D2"].value
    assert text.startswith("[Error] 観光入込客数（人）: ") and report.errors[0].message.en in text
    assert "(expected: " in text
    assert [c.value for c in wb["Problems"][1]][:3] == ["Severity", "Sheet", "Row"]


def test_a_shift_jis_csv_is_read_as_the_validator_read_it(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, [2022, "1,036,000", "確定値"], [2023, "たくさん", "速報"]],
                               encoding="cp932"))
    report, wb = _error_file(tmp_path, path, "tourism_visitors")
    assert [p.row for p in report.errors] == [3]
    ws = wb["データ"]
    assert [ws.cell(1, c).value for c in (1, 2, 3)] == TOURISM
    assert [ws.cell(3, c).value for c in (1, 2, 3)] == ["2023", "たくさん", "速報"]
    assert "たくさん" in ws["D3"].value and ws["B3"].fill.fgColor.rgb == ERROR_FILL


def test_the_sheet_keeps_the_members_sheet_name(tmp_path):
    path = _xlsx(tmp_path, [(1, TOURISM), (2, [2023, "多数", None])], title="R5")
    _, wb = _error_file(tmp_path, path, "tourism_visitors")
    assert [ws.title for ws in wb] == ["R5", "エラー一覧"]
    assert wb["エラー一覧"]["B2"].value == "R5"


# ---------------------------------------------------------------------------- security


@pytest.mark.parametrize("payload", ["=1+2", "=HYPERLINK(\"http://example.invalid\",\"x\")",
                                     "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"])
def test_formula_like_cells_stay_text(tmp_path, payload):
    path = _xlsx(tmp_path, [(1, TOURISM), (2, [2023, payload, payload])])
    report, _ = _error_file(tmp_path, path, "tourism_visitors")
    out = tmp_path / "errors.xlsx"
    _no_formula(out)
    ws = load_workbook(out)["データ"]
    assert ws["B2"].value == payload and ws["B2"].data_type == "s" and ws["C2"].value == payload
    assert ws["B2"].quotePrefix
    problems = load_workbook(out)["エラー一覧"]
    assert problems["E2"].value == report.problems[0].raw == payload


def test_a_formula_like_csv_value_stays_text(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, [2023, "=1+2", "=cmd|' /C calc'!A0"]]))
    _error_file(tmp_path, path, "tourism_visitors")
    _no_formula(tmp_path / "errors.xlsx")
    assert load_workbook(tmp_path / "errors.xlsx")["データ"]["C2"].value == "=cmd|' /C calc'!A0"


def test_control_characters_are_escaped_not_a_crash(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, [2023, "\x1b[31m12\x07", "\x01memo\x1f"]]))
    _, wb = _error_file(tmp_path, path, "tourism_visitors")
    ws = wb["データ"]
    assert ws["B2"].value == "\\x1b[31m12\\x07" and ws["C2"].value == "\\x01memo\\x1f"
    assert "\x1b" not in (ws["D2"].value or "")


def test_a_file_that_could_not_be_read_gets_the_problems_sheet_only(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes("年,観光入込客数（人）\n2023,1000\n".encode("utf-16"))
    report, wb = _error_file(tmp_path, path)
    assert [ws.title for ws in wb] == ["エラー一覧"]
    assert wb["エラー一覧"]["F2"].value == report.errors[0].message.ja


def test_a_file_refused_for_its_size_is_not_read_again(tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(csv_bytes([TOURISM, *[[2023, 1000, "x" * 50]] * 200]))
    report, wb = _error_file(tmp_path, path, max_bytes=1000)
    assert report.errors[0].code == "file_too_large"
    assert [ws.title for ws in wb] == ["エラー一覧"]


def test_a_symbolic_link_is_never_followed(tmp_path):
    target = tmp_path / "secret.csv"
    target.write_bytes(csv_bytes([TOURISM, [2023, 1000, "secret"]]))
    link = tmp_path / "upload.csv"
    link.symlink_to(target)
    _, wb = _error_file(tmp_path, link)
    assert [ws.title for ws in wb] == ["エラー一覧"]
    assert all("secret" not in str(c.value) for row in wb["エラー一覧"].iter_rows() for c in row)


# ------------------------------------------------------------------- the bad corpus


def _max_bytes(args: str) -> dict:
    words = args.split()
    return {"max_bytes": int(words[words.index("--max-bytes") + 1])} if "--max-bytes" in words else {}


@pytest.mark.parametrize("case", read_manifest(), ids=lambda case: case["file"])
def test_every_bad_file_gives_a_loadable_error_file(tmp_path, case):
    path = BAD_DIR / case["file"]
    report, wb = _error_file(tmp_path, path, case["dataset"] or None,
                             member=case["municipality"], **_max_bytes(case["args"]))
    assert wb.sheetnames[-1] == "エラー一覧"
    assert len(wb.sheetnames) in (1, 2)
    listed = list(wb["エラー一覧"].iter_rows(min_row=2))
    assert len(listed) == len(report.problems)
    _no_formula(tmp_path / "errors.xlsx")
    if len(wb.sheetnames) == 2:
        data = wb[wb.sheetnames[0]]
        for problem in report.problems:
            if problem.row and problem.severity == "error" and problem.sheet in (None, data.title):
                assert problem.message.ja in _errors_cell(data, problem.row)


def test_a_header_problem_is_listed_under_the_errors_header(tmp_path):
    path = _xlsx(tmp_path, [(1, ["年", "観光客数（千人）", "備考"]), (2, [2023, 1000, None])])
    report, wb = _error_file(tmp_path, path, "tourism_visitors")
    ws = wb["データ"]
    unknown = next(p for p in report.errors if p.code == "unknown_header")
    head, *lines = ws["D1"].value.split("\n")
    assert head == "エラー" and any(unknown.message.ja in line for line in lines)
    assert ws["B1"].fill.fgColor.rgb == ERROR_FILL and ws["A1"].fill.fill_type is None


def test_a_report_restored_from_the_portals_record_gives_the_same_file(tmp_path):
    from orchestration.portal.uploads import report_from_record, report_record

    path = _xlsx(tmp_path, [(1, ["令和5年"]), (2, TOURISM), (3, [2023, "=1+2", None])])
    report = validate_file(path, MEMBER, None)
    restored = report_from_record(report_record(report))
    out = write_error_workbook(path, restored, tmp_path / "restored.xlsx")
    ws = load_workbook(out)["データ"]
    assert ws["A1"].value == "令和5年" and ws["B3"].value == "=1+2"
    assert report.errors[0].message.ja in ws["D3"].value
    _no_formula(out)
