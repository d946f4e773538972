"""Issue 11 (items 2-6): what is loaded is what a person sees, values that cannot be true
are refused, active and linked content, files that are not what they claim, and text from
a file never drives the terminal. Real files written here, read by the real intake."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

from orchestration.intake.messages import IntakeError, visible
from orchestration.intake.readers import check_regular_file, decode_csv_bytes, read_table
from orchestration.intake.validate import validate_file
from orchestration.intake.values import ValueParseError, parse_period, parse_quantity
from tests.fixtures.make_bad_corpus import (
    KPIS,
    TOURISM,
    Raw,
    csv_bytes,
    external_link_parts,
    ooxml_document,
    tourism_rows,
    xlsx_parts,
    zip_bytes,
)

THIS_YEAR = dt.date.today().year


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _workbook(tmp_path: Path, name: str = "book.xlsx") -> tuple[Workbook, Path]:
    wb = Workbook()
    wb.active.title = "データ"
    return wb, tmp_path / name


def _codes(report) -> list[tuple[str, str]]:
    return [(p.severity, p.code) for p in report.problems]


def _error(report, code: str):
    (problem,) = [p for p in report.errors if p.code == code]
    return problem


# ------------------------------------------------------------ 2. hidden and extra content


def test_a_hidden_first_sheet_of_stale_figures_is_not_read_the_visible_one_is(tmp_path):
    wb, path = _workbook(tmp_path)
    stale = wb.active
    stale.title = "旧データ"
    stale.sheet_state = "hidden"
    for row in tourism_rows([2023, 655_000, "旧"]):
        stale.append(row)
    data = wb.create_sheet("データ")
    for row in tourism_rows([2023, 1_102_000, ""]):
        data.append(row)
    wb.save(path)

    report = validate_file(path, "40216")

    assert report.accepted and report.sheet == "データ"
    assert [r["visitors"] for r in report.records] == [1_102_000]
    warning = next(p for p in report.warnings if p.code == "hidden_sheet_ignored")
    assert warning.sheet == "旧データ" and "非表示のシート「旧データ」" in warning.message.ja


def test_two_visible_sheets_holding_tables_are_refused_naming_both(tmp_path):
    wb, path = _workbook(tmp_path)
    for row in tourism_rows([2023, 1_102_000, ""]):
        wb.active.append(row)
    second = wb.create_sheet("データ (2)")
    for row in tourism_rows([2022, 1_036_000, ""]):
        second.append(row)
    wb.save(path)

    report = validate_file(path, "40216")

    problem = _error(report, "ambiguous_sheets")
    assert "「データ」「データ (2)」" in problem.message.ja and not report.records


def test_a_cover_sheet_before_the_data_is_skipped_and_named(tmp_path):
    wb, path = _workbook(tmp_path)
    wb.active.title = "表紙"
    wb.active.append(["観光入込客数 報告"])
    wb.active.append(["小郡市 商工観光課"])
    data = wb.create_sheet("データ")
    for row in tourism_rows([2023, 1_102_000, ""]):
        data.append(row)
    wb.save(path)

    report = validate_file(path, "40216")

    assert report.accepted and report.sheet == "データ"
    assert ("info", "sheet_skipped") in _codes(report)


def test_only_a_hidden_sheet_holding_the_table_is_refused(tmp_path):
    wb, path = _workbook(tmp_path)
    hidden = wb.create_sheet("集計")
    hidden.sheet_state = "veryHidden"
    for row in tourism_rows([2023, 1_102_000, ""]):
        hidden.append(row)
    wb.save(path)

    problem = _error(validate_file(path, "40216"), "hidden_sheet")
    assert problem.sheet == "集計" and "非表示" in problem.message.ja


def test_a_hidden_row_holding_a_value_is_refused_naming_the_cell(tmp_path):
    wb, path = _workbook(tmp_path)
    for row in tourism_rows([2023, 1_102_000, ""], [2024, 999_999, "下書き"]):
        wb.active.append(row)
    wb.active.row_dimensions[3].hidden = True
    wb.save(path)

    problem = _error(validate_file(path, "40216"), "hidden_row")

    assert (problem.sheet, problem.row, problem.column, problem.raw) == ("データ", 3, "A", "2024")
    assert "3 行目は非表示ですが、値があります（セル A3「2024」）" in problem.message.ja


def test_a_hidden_column_duplicating_a_header_is_refused_saying_it_is_hidden(tmp_path):
    wb, path = _workbook(tmp_path)
    for row in [[*TOURISM, "観光入込客数（人）"], [2023, 1_102_000, "", 998_000]]:
        wb.active.append(row)
    wb.active.column_dimensions["D"].hidden = True
    wb.save(path)

    report = validate_file(path, "40216")

    problem = _error(report, "hidden_column")
    assert (problem.row, problem.column) == (1, "D")
    assert "D 列は非表示ですが" in problem.message.ja
    assert "duplicate_header" not in [p.code for p in report.problems]


def test_hidden_rows_and_columns_without_values_are_fine(tmp_path):
    wb, path = _workbook(tmp_path)
    for row in tourism_rows([2023, 1_102_000, ""]):
        wb.active.append(row)
    wb.active.row_dimensions[5].hidden = True
    wb.active.column_dimensions["F"].hidden = True
    wb.save(path)

    assert validate_file(path, "40216").accepted


# -------------------------------------------------------- 3. values that cannot be true


def _csv(tmp_path: Path, rows, name: str = "t.csv") -> Path:
    return _write(tmp_path, name, csv_bytes(rows))


@pytest.mark.parametrize("cell", ["609,000.5", "0.25", "0.0005千人"])
def test_a_fraction_of_a_person_is_refused(tmp_path, cell):
    report = validate_file(_csv(tmp_path, tourism_rows([2023, cell, ""])), "40216")
    problem = _error(report, "fractional_count")
    assert problem.raw == cell and "小数です" in problem.message.ja


def test_fractions_in_money_columns_and_thousands_of_persons_are_fine(tmp_path):
    gross = _csv(tmp_path, [["年度", "市町村内総生産（百万円）", "備考"], ["R4年度", "123,456.7", ""]])
    persons = _csv(tmp_path, tourism_rows([2023, "1,102.5千人", ""]), "p.csv")
    assert validate_file(gross, "40216").accepted
    report = validate_file(persons, "40216")
    assert report.accepted and report.records[0]["visitors"] == 1_102_500


def test_european_thousands_in_a_persons_column_are_refused_as_ambiguous(tmp_path):
    report = validate_file(_csv(tmp_path, tourism_rows([2023, "748.000", ""])), "40216")
    problem = _error(report, "ambiguous_decimal_point")
    assert problem.raw == "748.000" and problem.row == 2


def test_a_dot_and_three_digits_are_flagged_by_the_parser():
    assert "ambiguous_thousands" in parse_quantity("748.000").flags
    assert "ambiguous_thousands" in parse_quantity("1.500千人").flags
    assert "ambiguous_thousands" not in parse_quantity("0.250").flags
    assert "ambiguous_thousands" not in parse_quantity("81.70").flags


def test_actual_counts_for_a_year_not_yet_begun_are_refused(tmp_path):
    later = THIS_YEAR + 1
    report = validate_file(_csv(tmp_path, tourism_rows([THIS_YEAR, 1_000, ""], [later, 1_100, ""])),
                           "40216")
    problem = _error(report, "future_period")
    assert (problem.row, problem.column, problem.raw) == (3, "年", str(later))
    assert f"{later}年 はまだ始まっていない期間" in problem.message.ja
    assert [r["calendar_year"] for r in report.records] == [THIS_YEAR]


def test_next_years_budget_is_allowed_but_not_the_year_after(tmp_path):
    header = ["年度", "事業番号", "事業名", "予算額（千円）", "備考"]
    ok = _csv(tmp_path, [header, [f"{THIS_YEAR + 1}年度", 1, "懇談会等運営事業", 500, ""]])
    far = _csv(tmp_path, [header, [f"{THIS_YEAR + 2}年度", 1, "懇談会等運営事業", 500, ""]],
               "far.csv")
    assert validate_file(ok, "40216").accepted
    assert "future_period" in [p.code for p in validate_file(far, "40216").errors]


@pytest.mark.parametrize(("kind", "accepted"), [("目標値", True), ("実績値", False)])
def test_a_future_kpi_target_is_fine_a_future_actual_is_not(tmp_path, kind, accepted):
    period = f"CY{THIS_YEAR + 1}-CY{THIS_YEAR + 3}"
    path = _csv(tmp_path, [KPIS, ["K01", "観光入込客数", "人", "高いほど良い", period, kind, 1_000, ""]])
    report = validate_file(path, "40216", "kpi_records")
    assert report.accepted is accepted
    if not accepted:
        assert _error(report, "future_period").raw == period


@pytest.mark.parametrize(("period", "fragment"), [
    ("FY2024-FY2020", "FY2020-FY2024 のように古い方から"),
    ("CY2020-FY2024", "暦年（CY）と年度が混ざった範囲"),
    ("CY2022-CY2022", "始まりと終わりが同じ"),
    ("CY2020-CY2022-CY2024", "期間が 3 つ並んでいます"),
])
def test_reversed_or_mixed_period_ranges_are_refused(tmp_path, period, fragment):
    path = _csv(tmp_path, [KPIS, ["K01", "移住相談件数", "件", "高いほど良い", period, "実績値", 10, ""]])
    problem = _error(validate_file(path, "40216", "kpi_records"), "invalid_period_range")
    assert fragment in problem.message.ja and problem.raw == period


def test_a_proper_range_is_still_accepted(tmp_path):
    path = _csv(tmp_path, [KPIS, ["K01", "移住相談件数", "件", "高いほど良い", "FY2020-FY2024",
                                  "実績値", 10, ""]])
    report = validate_file(path, "40216", "kpi_records")
    assert report.accepted and report.records[0]["period"] == "FY2020-FY2024"


@pytest.mark.parametrize("year", ["\u0662\u0660\u0662\u0663", "\u0e52\u0e50\u0e52\u0e53",
                                  "\u06f2\u06f0\u06f2\u06f3", "\u0968\u0966\u0968\u0969"])
def test_years_in_other_scripts_digits_are_refused(tmp_path, year):
    problem = _error(validate_file(_csv(tmp_path, tourism_rows([year, 1_000, ""])), "40216"),
                     "invalid_year")
    assert "0〜9 以外の数字" in problem.message.ja


def test_full_width_years_are_still_read(tmp_path):
    report = validate_file(_csv(tmp_path, tourism_rows(["２０２３", 1_000, ""])), "40216")
    assert report.accepted and report.records[0]["calendar_year"] == 2023


@pytest.mark.parametrize("raw", ["\u0661\u0662\u0663", "CY\u0662\u0660\u0662\u0663"])
def test_the_parser_refuses_other_scripts_digits(raw):
    with pytest.raises(ValueParseError) as caught:
        parse_period(raw) if raw.startswith("CY") else parse_quantity(raw)
    assert caught.value.code == "foreign_digit"


# ----------------------------------------------------------- 4. active and linked content


@pytest.mark.parametrize(("part", "fragment"), [
    ("xl/embeddings/oleObject1.bin", "埋め込みオブジェクト（OLE）"),
    ("xl/embeddings/Microsoft_Word_Document.docx", "埋め込みオブジェクト（OLE）"),
    ("xl/activeX/activeX1.bin", "ActiveX コントロール"),
])
def test_embedded_objects_and_activex_are_refused_like_macros(tmp_path, part, fragment):
    path = _write(tmp_path, "b.xlsx", zip_bytes(
        {**xlsx_parts(tourism_rows([2023, 1_000, ""])), part: b"\xd0\xcf\x11\xe0payload"}))
    error = _refused(path)
    assert error.code == "active_content" and fragment in error.msg.ja and part in error.msg.ja


def _refused(path: Path) -> IntakeError:
    with pytest.raises(IntakeError) as info:
        read_table(path)
    return info.value


def test_a_value_from_an_external_link_is_read_with_a_warning_naming_cell_and_target(tmp_path):
    path = _write(tmp_path, "linked.xlsx", zip_bytes(external_link_parts(
        "file:///\\\\fs01\\share\\観光.xlsx",
        tourism_rows([2023, Raw("", "<f>[1]集計!B3</f><v>1102000</v>"), ""]))))

    report = validate_file(path, "40216")

    assert report.accepted and report.records[0]["visitors"] == 1_102_000
    warning = next(p for p in report.warnings if p.code == "external_link")
    assert (warning.row, warning.column) == (2, "B")
    assert "\\\\fs01\\share\\観光.xlsx" in warning.raw and "セル B2" in warning.message.ja


def test_a_literal_external_path_in_a_formula_is_named_too(tmp_path):
    formula = "&apos;\\\\server\\share\\[book.xlsx]Sheet1&apos;!A1"
    path = _write(tmp_path, "lit.xlsx", zip_bytes(xlsx_parts(
        tourism_rows([2023, Raw("", f"<f>{formula}</f><v>1000</v>"), ""]))))
    warning = next(p for p in validate_file(path, "40216").warnings if p.code == "external_link")
    assert warning.raw == "\\\\server\\share\\[book.xlsx]Sheet1"


def test_ordinary_formulas_are_not_links(tmp_path):
    path = _write(tmp_path, "f.xlsx", zip_bytes(xlsx_parts(
        tourism_rows([2023, Raw("", "<f>SUM(Table1[人数])</f><v>1000</v>"), ""]))))
    assert "external_link" not in [p.code for p in validate_file(path, "40216").problems]


# ------------------------------------------------------ 5. files that are not what they claim


def test_links_and_non_regular_files_are_refused_before_anything_opens_them(tmp_path):
    target = _write(tmp_path, "real.csv", csv_bytes(tourism_rows([2023, 1_000, ""])))
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for path, what in ((link, "シンボリックリンク"), (fifo, "名前付きパイプ"), (folder, "フォルダ")):
        with pytest.raises(IntakeError) as info:
            check_regular_file(path)
        assert info.value.code == "not_a_regular_file" and what in info.value.msg.ja
        report = validate_file(path, "40216")  # the portal's path: no CLI in front
        assert report.record_nothing and [p.code for p in report.errors] == ["not_a_regular_file"]
    check_regular_file(target)


@pytest.mark.parametrize(("data", "fragment"), [
    (ooxml_document("word/document.xml", "application/xml", "<w:document/>"),
     "Word 文書（.docx）です。Excel ブック（.xlsx）で保存してください"),
    (zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
     "OpenDocument スプレッドシート（.ods）です"),
    (b"%PDF-1.4\n%%EOF\n", "PDF ファイルです"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "画像（JPEG）です"),
    (zip_bytes({"a.csv": b"x,y\r\n"}), "CSV ファイルを圧縮した zip です"),
])
def test_a_file_named_xlsx_that_is_something_else_says_what_it_is(tmp_path, data, fragment):
    error = _refused(_write(tmp_path, "x.xlsx", data))
    assert error.code == "wrong_file_type" and fragment in error.msg.ja


def test_a_workbook_named_csv_says_it_is_a_workbook(tmp_path):
    data = zip_bytes(xlsx_parts(tourism_rows([2023, 1_000, ""])))
    error = _refused(_write(tmp_path, "x.csv", data))
    assert error.code == "wrong_file_type" and "Excel ブック（.xlsx）です" in error.msg.ja


@pytest.mark.parametrize(("sep", "fragment"), [(";", "セミコロン（;）"), ("\t", "タブ")])
def test_other_separators_are_named(tmp_path, sep, fragment):
    text = sep.join(TOURISM) + "\r\n" + sep.join(["2023", "1000", ""]) + "\r\n"
    error = _refused(_write(tmp_path, "x.csv", text.encode("utf-8-sig")))
    assert error.code == "csv_delimiter" and f"区切り文字が{fragment}のようです" in error.msg.ja


def test_a_double_bom_and_a_zero_width_space_in_a_header_are_read_through(tmp_path):
    data = b"\xef\xbb\xbf" + csv_bytes([["\u200b年", "観光入込客数（人）\u200b", "備考"],
                                        [2023, 1_000, ""]])
    report = validate_file(_write(tmp_path, "x.csv", data), "40216")
    assert report.accepted and report.dataset == "tourism_visitors"
    assert read_table(tmp_path / "x.csv").headers == TOURISM


def test_a_bad_byte_deep_in_a_utf8_file_is_reported_on_its_own_line():
    lines = [",".join(TOURISM)] + [f"{2010 + i % 20},{800_000 + i}," for i in range(4998)]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig") + b"2024,8\xff30000,\r\n"
    with pytest.raises(IntakeError) as info:
        decode_csv_bytes(data)
    assert "5000 行目に UTF-8 として読めないバイト" in info.value.msg.ja


# ------------------------------------------------------------------- 6. control characters


def test_control_and_direction_characters_are_shown_as_escapes():
    assert visible("\x1b]0;pwned\x07\x1b[31mred") == "\\x1b]0;pwned\\x07\\x1b[31mred"
    assert visible("a\rb\nc\x9bd\u202egnp.csv") == "a\\x0db\\x0ac\\x9bd\\u202egnp.csv"
    assert visible("観光入込客数（人） 1,000") == "観光入込客数（人） 1,000"


def test_escapes_in_cells_never_reach_a_report_raw(tmp_path):
    path = _write(tmp_path, "e.csv", csv_bytes(tourism_rows([2023, "\x1b]0;pwned\x07", ""])))

    report = validate_file(path, "40216")

    problem = _error(report, "not_a_number")
    assert problem.raw == "\\x1b]0;pwned\\x07"
    for text in (problem.message.ja, problem.message.en, problem.raw):
        assert "\x1b" not in text and "\x07" not in text
