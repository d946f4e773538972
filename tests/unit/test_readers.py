"""Reading members' files: encodings, headers, zip checks and formulas, called directly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from orchestration.intake import readers
from orchestration.intake.contracts import get_contract, normalize_header
from orchestration.intake.messages import IntakeError
from orchestration.intake.readers import decode_csv_bytes, read_table
from tests.fixtures.make_bad_corpus import (
    TOURISM,
    Raw,
    sheet_xml,
    with_declared_size,
    xlsx,
    xlsx_parts,
    zip_bytes,
)

TEXT = "年,観光入込客数（人）,備考\r\n2023,812000,速報値\r\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path: Path, **kwargs) -> IntakeError:
    with pytest.raises(IntakeError) as info:
        read_table(path, **kwargs)
    return info.value


# ------------------------------------------------------------------------ encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_utf8_with_or_without_bom_and_cp932_decode_to_the_same_text(encoding: str):
    assert decode_csv_bytes(TEXT.encode(encoding)) == TEXT


def test_cp932_with_half_width_kana_is_not_mistaken_for_euc_jp():
    text = "年,観光入込客数（人）,備考\r\n2023,812000,ｶｳﾝﾄ方法変更\r\n"
    assert decode_csv_bytes(text.encode("cp932")) == text


@pytest.mark.parametrize(("data", "fragment"), [
    (TEXT.encode("utf-16"), "UTF-16"),
    (TEXT.encode("utf-16-le"), "UTF-16"),
    (TEXT.encode("utf-16-be"), "UTF-16"),
    ("年,観光入込客数（人）,備考\r\n一〇,二,三\r\n".encode("utf-16-le"), "UTF-16"),
    (TEXT.encode("euc_jp"), "EUC-JP"),
    (TEXT.encode("cp932") + b"2024,\x82\xff,\r\n", "3 行目"),
    (b"year,visitors\r\n2023,1\x00\r\n", "NUL"),
])
def test_other_encodings_are_refused_saying_what_they_look_like(data: bytes, fragment: str):
    with pytest.raises(IntakeError) as info:
        decode_csv_bytes(data)
    assert info.value.code == "bad_encoding" and fragment in info.value.msg.ja
    assert info.value.msg.en  # every message has its English text


# --------------------------------------------------------------------- CSV and headers


def test_header_is_the_first_non_blank_row_and_row_numbers_are_excel_rows(tmp_path: Path):
    data = ',,\r\n\r\n 年 ,観光入込客数（人）,備考,,\r\n2022,1,"2 行の\r\n備考"\r\n,,\r\n2023,2,\r\n'
    table = read_table(_write(tmp_path, "t.csv", data.encode("utf-8")))
    assert table.header_row == 3
    assert table.headers == ["年", "観光入込客数（人）", "備考"]
    # A line break inside a quoted cell stays in one row, as Excel shows it.
    assert table.rows == [(4, ["2022", "1", "2 行の\r\n備考"]), (6, ["2023", "2", ""])]


def test_header_spellings_fold_width_case_and_spaces():
    visitors = get_contract("tourism_visitors").column("visitors")
    for typed in ("観光入込客数(人)", "観光入込客数 （人）", "ＶＩＳＩＴＯＲＳ", "Visitors"):
        assert normalize_header(typed) in visitors.header_keys, typed


@pytest.mark.parametrize("length", [40_000, 200_000])
def test_a_cell_longer_than_excel_allows_is_malformed_not_a_crash(tmp_path: Path, length: int):
    # 200,000 is beyond the csv module's default limit, 40,000 only beyond Excel's.
    error = _refused(_write(tmp_path, "t.csv", ('年,"' + "x" * length).encode()))
    assert error.code == "malformed_csv" and "CSV の形式が壊れています" in error.msg.ja


def test_too_many_rows_and_columns_are_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_DATA_ROWS", 3)
    rows = "".join(f"{2010 + i},{i},\r\n" for i in range(4))
    error = _refused(_write(tmp_path, "rows.csv", (TEXT.split("\r\n")[0] + "\r\n" + rows).encode()))
    assert error.code == "too_many_rows" and error.where["row"] == 5
    wide = ",".join(f"h{i}" for i in range(readers.MAX_COLUMNS)) + "\r\n1\r\n"
    assert _refused(_write(tmp_path, "wide.csv", wide.encode())).code == "too_many_columns"


# -------------------------------------------------------------------------- workbooks


def test_a_workbook_saved_by_openpyxl_reads_values_as_typed(tmp_path: Path):
    wb = Workbook()
    wb.active.title = "記入方法"
    ws = wb.create_sheet("データ")
    ws.append(TOURISM)
    ws.append([2023, 812_000.5, None])
    ws.append([None, None, None])
    ws.append(["R6年", "830千人", "速報値"])
    path = tmp_path / "ok.xlsx"
    wb.save(path)

    table = read_table(path)

    assert (table.sheet, table.header_row, table.headers) == ("データ", 1, TOURISM)
    assert table.rows == [(2, [2023, 812_000.5, None]), (4, ["R6年", "830千人", "速報値"])]


def test_rows_after_a_wrong_dimension_element_are_still_read(tmp_path: Path):
    rows = [TOURISM, [2021, 1, ""], [2022, 2, ""], [2023, 3, ""], [2024, 4, ""]]
    table = read_table(_write(tmp_path, "dim.xlsx", xlsx(rows, dimension="A1:B2")))
    assert [n for n, _ in table.rows] == [2, 3, 4, 5]
    assert [r[2] for _, r in table.rows] == [""] * 4  # the column beyond B is read too


def test_a_cell_claimed_at_xfd1048576_costs_time_not_memory(tmp_path: Path):
    data = xlsx([TOURISM, [2023, 1, ""]], dimension="A1:XFD1048576",
                extra_rows='<row r="1048576"><c r="XFD1048576" s="0"/></row>')
    table = read_table(_write(tmp_path, "sparse.xlsx", data))
    assert table.rows == [(2, [2023, 1, ""])]


def test_merged_note_cell_reaching_an_unlabelled_column_is_fine(tmp_path: Path):
    data = xlsx([TOURISM, [2023, 1, "長い備考"]], merges=("C2:D2",))
    assert read_table(_write(tmp_path, "m.xlsx", data)).rows == [(2, [2023, 1, "長い備考"])]


def test_merged_data_cells_over_labelled_columns_are_refused(tmp_path: Path):
    data = xlsx([TOURISM, [2023, 1, "備考"], [None, 2, ""]], merges=("A2:A3",))
    error = _refused(_write(tmp_path, "m.xlsx", data))
    assert error.code == "merged_cells"
    assert error.where == {"sheet": "データ", "row": 2, "column": "年", "raw": "A2:A3"}


def test_merged_header_cells_are_named_when_data_sits_under_them(tmp_path: Path):
    data = xlsx([["年", "観光入込客数（人）", None], [2023, 1, 2]], merges=("B1:C1",))
    error = _refused(_write(tmp_path, "m.xlsx", data))
    assert error.code == "merged_header" and "B1:C1" in error.msg.ja


# ------------------------------------------------------------------------ zip checks


def test_zip_bombs_are_refused_from_declared_sizes(tmp_path: Path, monkeypatch):
    parts = xlsx_parts([TOURISM, [2023, 1, ""]])
    parts["xl/media/padding.bin"] = bytes(2_000_000)  # compresses about 1000:1
    assert _refused(_write(tmp_path, "ratio.xlsx", zip_bytes(parts))).code == "zip_bomb"

    honest = xlsx([TOURISM, [2023, 1, ""]])
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED_BYTES", 1000)
    error = _refused(_write(tmp_path, "size.xlsx", honest))
    assert error.code == "zip_bomb" and "展開後" in error.msg.ja


def test_a_member_that_understates_its_size_fails_instead_of_inflating(tmp_path: Path):
    data = with_declared_size(xlsx([TOURISM, [2023, 1, ""]]), "xl/worksheets/sheet1.xml", 100)
    assert _refused(_write(tmp_path, "lie.xlsx", data)).code == "corrupt_xlsx"


@pytest.mark.parametrize(("parts", "code"), [
    ({"xl/vbaProject.bin": b"vba"}, "macro_workbook"),
    ({"[Content_Types].xml": None}, "corrupt_xlsx"),
    ({"xl/workbook.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><workbook/>'},
     "unsafe_xml"),
])
def test_container_problems_are_found_before_parsing(tmp_path: Path, parts, code):
    merged = {**xlsx_parts([TOURISM, [2023, 1, ""]]), **parts}
    data = zip_bytes({k: v for k, v in merged.items() if v is not None})
    assert _refused(_write(tmp_path, "c.xlsx", data)).code == code


def test_xlsm_suffix_and_ole_containers_are_refused(tmp_path: Path):
    assert _refused(_write(tmp_path, "m.xlsm", xlsx([TOURISM]))).code == "macro_workbook"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert _refused(_write(tmp_path, "old.xlsx", ole)).code == "legacy_xls"
    encrypted = ole + "EncryptionInfo".encode("utf-16-le")
    assert _refused(_write(tmp_path, "pw.xlsx", encrypted)).code == "encrypted_xlsx"


def test_size_limit_is_checked_before_reading(tmp_path: Path):
    path = _write(tmp_path, "t.csv", TEXT.encode())
    error = _refused(path, max_bytes=10)
    assert error.code == "file_too_large" and "上限 10 バイト" in error.msg.ja
    assert read_table(path, max_bytes=len(TEXT.encode())).headers == TOURISM


def test_broken_sheet_xml_is_a_corrupt_workbook_not_a_crash(tmp_path: Path):
    broken = sheet_xml([TOURISM, [2023, 1, ""]])[:-40]
    data = zip_bytes(xlsx_parts(sheet_source=broken))
    assert _refused(_write(tmp_path, "b.xlsx", data)).code == "corrupt_xlsx"


# ---------------------------------------------------------------------------- formulas


def test_formulas_without_cached_values_are_listed_by_cell(tmp_path: Path):
    wb = Workbook()  # openpyxl, like most scripts, saves formulas without their results
    ws = wb.active
    ws.append(TOURISM)
    for year in range(2012, 2024):
        ws.append([year, f"=100*{year - 2000}", ""])
    path = tmp_path / "f.xlsx"
    wb.save(path)

    error = _refused(path)

    assert error.code == "formula_without_value"
    assert "B2、B3" in error.msg.ja and "ほか" in error.msg.ja
    assert error.where["row"] == 2 and error.where["column"] == "B"


def test_formulas_with_cached_values_read_as_their_values(tmp_path: Path):
    rows = [TOURISM, [Raw("", "<v>2023</v>"), Raw("", "<f>1000*812</f><v>812000</v>"),
                      Raw(' t="str"', "<f>\"確定\"</f><v>確定</v>")]]
    table = read_table(_write(tmp_path, "f.xlsx", xlsx(rows)))
    assert table.rows == [(2, [2023, 812000, "確定"])]


def test_formula_detection_handles_prefixes_and_self_closing_cells():
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    cached = (f'<x:worksheet {ns}><x:sheetData><x:row r="1"><x:c r="A1" s="1"/>'
              '<x:c r="B1"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    readers._check_formula_cells(cached.encode(), "S")  # no error
    empty_string = cached.replace('<x:c r="B1">', '<x:c r="B1" t="str">').replace("<x:v>2", "<x:v>")
    readers._check_formula_cells(empty_string.encode(), "S")  # a formula whose result is ""
    for no_value in ("", "<x:v/>", "<x:v></x:v>"):
        with pytest.raises(IntakeError):
            readers._check_formula_cells(cached.replace("<x:v>2</x:v>", no_value).encode(), "S")
    with pytest.raises(IntakeError) as info:
        readers._check_formula_cells(cached.replace("<x:v>2</x:v>", "").encode(), "S")
    assert info.value.code == "formula_without_value" and "B1" in info.value.msg.ja


def test_check_cached_formulas_reads_the_sheet_from_the_archive(tmp_path: Path):
    rows = [TOURISM, [2023, Raw("", "<f>B1</f>"), ""]]
    path = _write(tmp_path, "f.xlsx", xlsx(rows))
    with zipfile.ZipFile(path) as archive, pytest.raises(IntakeError) as info:
        readers._check_cached_formulas(archive, "xl/worksheets/sheet1.xml", "データ")
    assert "B2" in info.value.msg.ja


# ------------------------------------------------- our sheet pass agrees with openpyxl


def _openpyxl_rows(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    ws.reset_dimensions()
    rows = [(n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    wb.close()
    return [(n, _trim(r)) for n, r in rows if any(c is not None for c in r)]


def _our_rows(path: Path) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    xml = readers._sheet_xml(wb._archive, ws._worksheet_path)
    rows = [(n, _trim(r)) for n, r in readers._sheet_rows(xml, ws)]
    wb.close()
    return [(n, r) for n, r in rows if r]


def _trim(row: list[object]) -> list[object]:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def test_sheet_reader_agrees_with_openpyxl_on_a_workbook_openpyxl_wrote(tmp_path: Path):
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["年", "値", " 空白つき ", None, "備考"])
    ws.append([2023, 812_000, 0.25, True, "=1+2"])
    ws.append([dt.datetime(2023, 4, 1), dt.date(2024, 3, 31), dt.time(12, 30), False, "△69"])
    ws["H7"] = "離れたセル"
    path = tmp_path / "o.xlsx"
    wb.save(path)
    assert _our_rows(path) == _openpyxl_rows(path)


def test_sheet_reader_agrees_with_openpyxl_on_excel_style_cells(tmp_path: Path):
    shared = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3">'
              "<si><t>観光入込客数</t></si>"
              "<si><t>久留米市</t><rPh sb=\"0\" eb=\"4\"><t>クルメシ</t></rPh></si>"
              "<si><r><t>速報</t></r><r><rPr><b/></rPr><t>値</t></r></si></sst>")
    rows = [
        [Raw(' t="s"', "<v>0</v>"), Raw(' t="s"', "<v>1</v>"), Raw(' t="s"', "<v>2</v>")],
        [Raw(' s="1"', "<v>45017</v>"), Raw(' t="e"', "<f>1/0</f><v>#DIV/0!</v>"),
         Raw(' t="str"', "<f>A1</f><v>観光</v>"), Raw(' t="b"', "<v>1</v>")],
        [Raw(' t="inlineStr"', '<is><r><t>大</t></r><r><t>川</t></r>'
                               '<rPh sb="0" eb="2"><t>オオカワ</t></rPh></is>'),
         Raw(' t="n"', "<v>1.5E3</v>"), Raw("", "<v>-69</v>"), Raw(' t="d"', "<v>2023-04-01</v>")],
    ]
    parts = xlsx_parts(rows)
    parts["xl/sharedStrings.xml"] = shared.encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    # Rows and cells without r="..." are allowed; the position is then implied.
    sheet = parts["xl/worksheets/sheet1.xml"].replace(b'<row r="3">', b"<row>")
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<c r="B3"', b"<c")
    path = _write(tmp_path, "excel.xlsx", zip_bytes(parts))

    ours = _our_rows(path)

    assert ours == _openpyxl_rows(path)
    assert ours[0][1] == ["観光入込客数", "久留米市", "速報値"]  # furigana is not text
    assert ours[2][1][0] == "大川"
