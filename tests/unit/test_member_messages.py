"""Messages a member can act on (issue 10, item 4).

Real files (openpyxl workbooks and CSV written here) through ``validate_file``, and the
command line where the wording is the command's own.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from openpyxl import Workbook

from orchestration.intake import values
from orchestration.intake.messages import QUALIFIER_LABELS, STATUS_LABELS
from orchestration.intake.validate import validate_file
from tests.conftest import run_cli

OGORI = "40216"
TITLE = "令和5年 観光入込客数"
HEADER = ["年", "観光入込客数（人）", "備考"]
# Machine tokens of values.py (statuses, qualifiers) and command-line flags: never inside a
# Japanese message.
MACHINE_TOKENS = re.compile(r"\b(?:missing|pending|not_measured|deleted|ok|at_least|at_most)\b"
                            r"|--[a-z]")


def _xlsx(path: Path, rows: list[list], merge: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8-sig")
    return path


def _codes(report) -> list[tuple[str, str, int | None]]:
    return [(p.severity, p.code, p.row) for p in report.problems]


# ------------------------------------------------------------------ title rows


def test_a_title_row_above_the_header_in_xlsx_is_skipped_with_a_notice(tmp_path: Path):
    # The common shape: title in A1 (merged over the table), a blank row, then the header.
    path = _xlsx(tmp_path / "title.xlsx",
                 [[TITLE], [], HEADER, [2022, 608_000, ""], [2023, 747_000, ""]], merge="A1:C1")

    report = validate_file(path, OGORI)

    assert report.accepted, [p.message.ja for p in report.errors]
    assert [(r["calendar_year"], r["visitors"]) for r in report.records] == [
        (2022, 608_000), (2023, 747_000)]
    (notice,) = report.problems
    assert (notice.severity, notice.code, notice.row) == ("info", "title_row_skipped", 1)
    assert notice.message.ja.startswith("1 行目はタイトル行として読み飛ばしました")
    assert TITLE in notice.message.ja


def test_title_rows_above_the_header_in_csv_are_skipped_with_a_notice(tmp_path: Path):
    path = _csv(tmp_path / "title.csv",
                f"{TITLE},,\r\n（単位：人）,,\r\n年,観光入込客数（人）,備考\r\n2023,747000,\r\n")

    report = validate_file(path, OGORI)

    assert report.accepted, [p.message.ja for p in report.errors]
    assert _codes(report) == [("info", "title_row_skipped", 1), ("info", "title_row_skipped", 2)]
    assert report.records[0]["source_row"] == 4  # the row number the member sees


def test_a_table_of_notes_above_the_header_is_not_guessed_away(tmp_path: Path):
    """Three filled cells are not a title: the first row stays the header, and the member
    is told precisely what is wrong with it, as before."""
    path = _csv(tmp_path / "notes.csv",
                "調査,小郡市,令和5年\r\n年,観光入込客数（人）,備考\r\n2023,747000,\r\n")

    report = validate_file(path, OGORI)

    assert not report.accepted
    assert "title_row_skipped" not in [p.code for p in report.problems]


# ------------------------------------------------------------- closest dataset


def test_headers_of_no_dataset_name_the_closest_dataset_and_its_missing_columns(
        tmp_path: Path):
    path = _csv(tmp_path / "guess.csv", "年,入込数\r\n2023,747000\r\n")

    report = validate_file(path, OGORI)

    (error,) = report.errors
    assert error.code == "dataset_not_detected"
    assert error.message.ja == (
        "見出し行からデータセットを判別できません。最も近いのは「観光入込客数」"
        "（tourism_visitors）ですが、必須の列「観光入込客数（人）」がありません。")
    assert "tourism_visitors" in error.message.en and "--" not in error.message.en


def test_headers_matching_nothing_say_what_to_do_without_a_command_line_flag(tmp_path: Path):
    path = _csv(tmp_path / "apples.csv", "項目,数量\r\nりんご,3\r\n")

    (error,) = validate_file(path, OGORI).errors

    assert error.code == "dataset_not_detected"
    assert "項目、数量" in error.message.ja and "見出し行をそのまま使って" in error.message.ja
    assert not MACHINE_TOKENS.search(error.message.ja) and "--" not in error.message.en


# ------------------------------------------------------------ validate wording


def test_validate_says_checked_only_never_received_and_submit_still_says_received(
        tmp_path: Path):
    path = _csv(tmp_path / "ok.csv", "年,観光入込客数（人）\r\n2023,747000\r\n")
    bad = _csv(tmp_path / "bad.csv", "年,観光入込客数（人）\r\n2023,多数\r\n")

    checked = run_cli("validate", str(path), "--municipality", OGORI)
    failed = run_cli("validate", str(bad), "--municipality", OGORI)
    english = run_cli("validate", str(path), "--municipality", OGORI, "--lang", "en")
    submitted = run_cli("submit", str(path), "--municipality", OGORI, home=tmp_path / "home")

    assert checked.returncode == 0
    assert "検査結果: 問題なし（検査のみ：受付はしていません）" in checked.stdout
    assert "受付しました" not in checked.stdout
    assert failed.returncode == 1
    assert "検査結果: エラーあり（検査のみ：受付はしていません）" in failed.stdout
    assert "no problems (checked only: not submitted)" in english.stdout
    assert "ACCEPTED" not in english.stdout
    assert submitted.returncode == 0 and "受付しました" in submitted.stdout


# ---------------------------------------------------------- conversion notes


@pytest.mark.parametrize(("header", "cell"), [
    ("観光入込客数（人）", "9,336"), ("観光入込客数（人）", 9336), ("観光入込客数（人）", "9,336人"),
])
def test_no_conversion_note_for_a_value_in_the_columns_own_unit(tmp_path: Path, header, cell):
    path = _xlsx(tmp_path / "plain.xlsx", [["年", header], [2023, cell]])
    report = validate_file(path, OGORI)
    assert report.accepted and report.problems == []


def test_no_conversion_note_for_plain_figures_in_a_million_yen_or_thousand_yen_column(
        tmp_path: Path):
    gross = _csv(tmp_path / "gross.csv",
                 "年度,市町村内総生産（百万円）\r\n2021,\"102,678\"\r\n2022,98306百万円\r\n")
    budgets = _csv(tmp_path / "budgets.csv", "年度,事業番号,予算額（千円）\r\n2023,1,65\r\n")

    for path in (gross, budgets):
        report = validate_file(path, OGORI)
        assert report.accepted, [p.message.ja for p in report.errors]
        assert [p.code for p in report.problems] == [], path.name


def test_a_real_conversion_is_said_in_the_columns_unit(tmp_path: Path):
    path = _csv(tmp_path / "gross.csv",
                "年度,市町村内総生産（百万円）\r\n2021,842億円\r\n2022,\"34,000円\"\r\n")

    report = validate_file(path, OGORI)

    assert [(p.code, p.row, p.message.ja) for p in report.problems
            if p.severity == "info"] == [
        ("unit_converted", 2, "「842億円」を 84,200 百万円 に換算しました。"),
        ("unit_converted", 3, "「34,000円」を 0.034 百万円 に換算しました。"),
    ]


# ------------------------------------------------------- no machine tokens


def test_every_status_and_qualifier_of_values_py_has_one_japanese_label():
    assert set(typing.get_args(values.Status)) == set(STATUS_LABELS)
    assert set(typing.get_args(values.Qualifier)) == set(QUALIFIER_LABELS)
    for label in (*STATUS_LABELS.values(), *QUALIFIER_LABELS.values()):
        assert not re.search(r"[A-Za-z]", label.ja)


@pytest.mark.parametrize(("cell", "label"), [
    ("集計中", "集計中"), ("—", "欠測"), ("-", "欠測"), ("未把握", "未把握"), ("削除", "削除"),
    ("調査中", "集計中"),
])
def test_a_status_word_in_a_count_column_is_explained_in_japanese_words(
        tmp_path: Path, cell: str, label: str):
    path = _csv(tmp_path / "status.csv", f"年,観光入込客数（人）\r\n2022,608000\r\n2023,{cell}\r\n")

    (error,) = validate_file(path, OGORI).errors

    assert error.code == "value_not_available"
    assert f"「{label}」を表す記入です" in error.message.ja
    assert not MACHINE_TOKENS.search(error.message.ja), error.message.ja
