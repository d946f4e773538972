"""Read a member's file (xlsx or CSV) into rows of raw cell values.

Only the stdlib and openpyxl: this is the ``validate`` fast path. Every way a file can be
unreadable ends in an ``IntakeError`` with its own message; nothing else escapes.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.intake.messages import IntakeError, Msg

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# An xlsx is a zip: refuse before parsing when it would inflate beyond these (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# No contract has more than a handful of columns; these bound memory and time for files
# that claim a cell at XFD1048576 (a few bytes on disk). Columns beyond MAX_COLUMNS are
# never read: a sheet that wide is not a submission.
MAX_COLUMNS = 256
MAX_DATA_ROWS = 100_000
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # encrypted xlsx and legacy .xls are OLE containers
# An encrypted OOXML file is an OLE container holding these streams (names in UTF-16LE).
_OLE_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"),
                           "EncryptedPackage".encode("utf-16-le"))
# A cell element (any namespace prefix, any attribute order; not self-closing) and its body.
_CELL = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)c\b([^>]*)(?<!/)>(.*?)</\1c>", re.S)
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b")
# The cached value: <v>812000</v>. openpyxl writes <v/> for "no value"; an empty <v></v> is
# a cached empty string only in a string-typed cell (t="str").
_CACHED_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v\b[^>]*?(/?)>([^<]*)")
_STRING_CELL = re.compile(rb'\bt="str"')
_CELL_REF = re.compile(rb'\br="([A-Za-z]+[0-9]+)"')
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*\bref="([A-Za-z]+[0-9]+)'
                    rb'(?::([A-Za-z]+[0-9]+))?"')
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")
_FULLWIDTH_JAPANESE = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
# Sheets of our templates that hold instructions rather than data.
INSTRUCTION_SHEETS = {"記入方法", "説明", "instructions", "readme", "リスト", "lists"}


@dataclass
class RawTable:
    """Cells as typed, with the 1-based row numbers the member sees in Excel."""

    sheet: str | None
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


def _error(code: str, ja: str, en: str, **where) -> IntakeError:
    """An IntakeError that also says where (sheet/row/column/raw) when that is known."""
    exc = IntakeError(code, Msg(ja, en))
    exc.where = {k: v for k, v in where.items() if v is not None}
    return exc


def read_table(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    size = path.stat().st_size
    if size > max_bytes:
        raise IntakeError("file_too_large", Msg(
            f"ファイルが大きすぎます（{size:,} バイト、上限 {max_bytes:,} バイト）。",
            f"File too large ({size:,} bytes; limit {max_bytes:,} bytes)."))
    if size == 0:
        raise IntakeError("empty_file", Msg(
            "ファイルが空です（0 バイト）。", "The file is empty (0 bytes)."))
    suffix = path.suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlam"):
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


# ------------------------------------------------------------------------------- CSV


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then CP932 as Excel saves it; both strictly.

    Anything else is refused with a message naming what the bytes look like, because
    guessing further (UTF-16, EUC-JP) is how a file gets loaded as mojibake."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        raise IntakeError("bad_encoding", Msg(
            "UTF-16（Unicode テキスト）で保存された CSV は受け付けません。Excel の「CSV UTF-8」"
            "または「CSV（コンマ区切り）」で保存し直してください。",
            "UTF-16 (Unicode text) files are refused; save as 'CSV UTF-8' or 'CSV (comma "
            "delimited)' in Excel."))
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise IntakeError("bad_encoding", Msg(
            f"{line} 行目に NUL バイトがあります。テキストの CSV ではないようです（バイナリ"
            "ファイルか、拡張子の違うファイル）。",
            f"Line {line} contains a NUL byte: this is not a text CSV (a binary file, or a "
            "file with the wrong extension)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise IntakeError("bad_encoding", Msg(
            f"文字コードを判別できません（{line} 行目に UTF-8 としても Shift_JIS としても読めない"
            "バイトがあります）。UTF-8 または Shift_JIS（CP932）の CSV で保存してください。",
            f"Cannot decode the file (line {line} has bytes that are neither UTF-8 nor "
            "Shift_JIS); save the CSV as UTF-8 or Shift_JIS (CP932).")) from exc
    if _looks_euc_jp(data, text):
        raise IntakeError("bad_encoding", Msg(
            "EUC-JP で保存された CSV のようです（Shift_JIS として読むと文字化けします）。"
            "UTF-8 または Shift_JIS（CP932）で保存し直してください。",
            "The CSV looks EUC-JP encoded (it reads as mojibake as Shift_JIS); save it as "
            "UTF-8 or Shift_JIS (CP932)."))
    return text


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: the NUL high bytes of digits, commas and line breaks sit on
    one side of each byte pair (a binary file has its NULs anywhere)."""
    head = data[:4096]
    nuls = head.count(0)
    if len(head) < 4 or nuls * 20 < len(head):
        return False
    return max(head[0::2].count(0), head[1::2].count(0)) * 4 >= nuls * 3


def _looks_euc_jp(data: bytes, cp932_text: str) -> bool:
    """EUC-JP kanji decode 'successfully' as CP932 half-width kana. Real CP932 text with any
    kanji or kana is never valid EUC-JP (its lead bytes 0x81-0x9F are not EUC-JP)."""
    if not _HALFWIDTH_KANA.search(cp932_text) or _FULLWIDTH_JAPANESE.search(cp932_text):
        return False
    try:
        euc = data.decode("euc_jp")
    except UnicodeDecodeError:
        return False
    return bool(_FULLWIDTH_JAPANESE.search(euc)) and not _HALFWIDTH_KANA.search(euc)


def _read_csv(data: bytes) -> RawTable:
    text = decode_csv_bytes(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _to_table(None, _csv_rows(reader))
    except csv.Error as exc:
        raise IntakeError("malformed_csv", Msg(
            f"CSV の形式が壊れています（{reader.line_num} 行目付近: {exc}）。引用符（\"）の"
            "対応やセルの長さを確認してください。",
            f"Malformed CSV near line {reader.line_num} ({exc}); check quotes and cell "
            "lengths.")) from exc


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    """Rows numbered as Excel shows them (a quoted line break stays in its row).

    The csv module's own cell limit is process-wide state that other libraries raise
    (frictionless does on import), so the Excel limit is checked here as well."""
    for number, row in enumerate(reader, start=1):
        longest = max(map(len, row), default=0)
        if longest > MAX_CELL_CHARS:
            raise IntakeError("malformed_csv", Msg(
                f"CSV の形式が壊れています（{number} 行目に {longest:,} 文字のセルがあり、Excel の"
                f"セルの上限 {MAX_CELL_CHARS:,} 文字を超えています）。引用符（\"）が閉じられて"
                "いない可能性があります。",
                f"Malformed CSV: row {number} has a cell of {longest:,} characters, more than "
                f"Excel's {MAX_CELL_CHARS:,}; a quote (\") is probably left open."))
        yield number, row


# ------------------------------------------------------------------------------ xlsx


def _corrupt(exc: BaseException) -> IntakeError:
    return IntakeError("corrupt_xlsx", Msg(
        f"Excel ファイルを読み込めません（破損しています: {type(exc).__name__}）。"
        "Excel で開いて保存し直してください。",
        f"Cannot read the Excel workbook (corrupt: {type(exc).__name__}); open it in Excel "
        "and save it again."))


def _read_xlsx(path: Path) -> RawTable:
    _check_container(path)
    with warnings.catch_warnings():
        # openpyxl warns about features it skips (styles, extensions); members can't act on it.
        warnings.simplefilter("ignore")
        return _read_workbook(path)


def _read_workbook(path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise _corrupt(exc) from exc
    try:
        ws = _data_sheet(wb)
        xml = _sheet_xml(wb._archive, ws._worksheet_path)
        _check_formula_cells(xml, ws.title)
        return _to_table(ws.title, _sheet_rows(xml, ws), merges=_merged_ranges(xml))
    except IntakeError:
        raise
    except Exception as exc:  # broken XML, bad zip member, impossible cell values ...
        raise _corrupt(exc) from exc
    finally:
        wb.close()


def _check_container(path: Path) -> None:
    """Refuse encrypted, macro, non-zip and zip-bomb workbooks before openpyxl sees them."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == OLE_MAGIC:
        data = path.read_bytes()
        if any(name in data for name in _OLE_ENCRYPTION_STREAMS):
            raise IntakeError("encrypted_xlsx", Msg(
                "パスワード付き（暗号化）のブックは開けません。パスワードを解除して .xlsx で保存"
                "してください。",
                "The workbook is password-protected (encrypted); remove the password and "
                "save as .xlsx."))
        raise IntakeError("legacy_xls", Msg(
            "拡張子は .xlsx ですが、中身は古い Excel 形式（.xls）です。.xlsx（Excel ブック）"
            "で保存し直してください。",
            "The file is named .xlsx but holds a legacy .xls workbook; save it as .xlsx."))
    if not zipfile.is_zipfile(path):
        raise _not_a_zip(magic, path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_sizes(infos)
            if any(i.flag_bits & 0x1 for i in infos):
                raise IntakeError("encrypted_xlsx", Msg(
                    "zip のパスワードで暗号化されたファイルは開けません。パスワードなしの .xlsx"
                    " で提出してください。",
                    "The file is a password-protected zip; submit an unencrypted .xlsx."))
            content_types = (archive.read("[Content_Types].xml")
                             if "[Content_Types].xml" in archive.NameToInfo else None)
            dtd_part = _part_with_dtd(archive, infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError,
            NotImplementedError, ValueError, EOFError) as exc:
        raise IntakeError("corrupt_xlsx", Msg(
            f"Excel ファイルが破損しています（{type(exc).__name__}）。",
            f"The Excel workbook is corrupt ({type(exc).__name__}).")) from exc
    if dtd_part is not None:
        raise IntakeError("unsafe_xml", Msg(
            f"ブックの部品 {dtd_part} に DTD（<!DOCTYPE>・<!ENTITY> の宣言）があります。Excel が"
            "作らない形式で、展開攻撃に使われるため開きません。Excel で保存し直してください。",
            f"Part {dtd_part} declares a DTD (<!DOCTYPE>/<!ENTITY>): Excel never writes one "
            "and it is how XML entity bombs work, so the file is not opened; save it again "
            "from Excel."))
    if content_types is None:
        raise IntakeError("corrupt_xlsx", Msg(
            "zip ファイルですが Excel ブック（.xlsx）ではありません（[Content_Types].xml が"
            "ありません）。",
            "This is a zip archive but not an Excel workbook ([Content_Types].xml is "
            "missing)."))
    if b"macroEnabled" in content_types or any(
            i.filename.lower().endswith("vbaproject.bin") for i in infos):
        raise IntakeError("macro_workbook", Msg(
            "拡張子は .xlsx ですが、中身はマクロ付きブック（.xlsm）です。マクロなしの .xlsx で"
            "保存し直してください。",
            "The file is named .xlsx but is a macro-enabled workbook; save it as .xlsx "
            "without macros."))


def _not_a_zip(magic: bytes, path: Path) -> IntakeError:
    if magic == b"PK\x03\x04":
        return IntakeError("corrupt_xlsx", Msg(
            "Excel ファイルが途中で切れています（zip の末尾がありません）。ダウンロードや"
            "コピーが途中で止まった可能性があります。元のファイルを提出し直してください。",
            "The Excel workbook is truncated (the end of the zip is missing), e.g. an "
            "interrupted download or copy; submit the original file again."))
    with path.open("rb") as fh:
        head = fh.read(4096)
    try:
        head.decode("utf-8")
        is_text = b"\x00" not in head
    except UnicodeDecodeError as exc:
        is_text = exc.start > len(head) - 4  # a character cut at the end of the sample
    if is_text:
        return IntakeError("corrupt_xlsx", Msg(
            "拡張子は .xlsx ですが、中身はテキスト（CSV など）です。拡張子を .csv にするか、"
            "Excel ブックとして保存してください。",
            "The file is named .xlsx but holds text (CSV?); rename it to .csv or save it "
            "as an Excel workbook."))
    return IntakeError("corrupt_xlsx", Msg(
        "Excel ファイルとして開けません（破損しているか、拡張子と中身が違います）。",
        "Cannot open as an Excel workbook (corrupt, or not an xlsx despite its name)."))


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Decide from the sizes the zip declares; a member that lies about its size fails its
    CRC check when read (zipfile never inflates past the declared size)."""
    declared = sum(i.file_size for i in infos)
    compressed = max(1, sum(i.compress_size for i in infos))
    if declared > MAX_UNCOMPRESSED_BYTES or declared / compressed > MAX_COMPRESSION_RATIO:
        biggest = max(infos, key=lambda i: i.file_size).filename
        raise IntakeError("zip_bomb", Msg(
            f"展開後のサイズが異常に大きいため開きません（展開後 {declared:,} バイト、"
            f"圧縮率 {declared / compressed:,.0f} 倍、最大の部品 {biggest}）。",
            f"Refused before opening: it would inflate to {declared:,} bytes "
            f"({declared / compressed:,.0f}x compression; largest part {biggest})."))


_START_TAG = re.compile(rb"<[A-Za-z_]")


def _part_with_dtd(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """A DTD can only come before the root element, so reading each XML part's prolog is
    enough (expat would refuse an entity bomb too; this says why, before any parsing)."""
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as fh:
            head = fh.read(64 * 1024)
        root = _START_TAG.search(head)
        if b"<!DOCTYPE" in head[:root.start() if root else len(head)]:
            return info.filename
    return None


def _sheet_xml(archive, sheet_path: str) -> bytes:
    with archive.open(sheet_path) as fh:
        return fh.read()


def _check_cached_formulas(archive, sheet_path: str, title: str) -> None:
    """A formula saved without its computed value (e.g. written by a script) reads as empty."""
    _check_formula_cells(_sheet_xml(archive, sheet_path), title)


def _check_formula_cells(xml: bytes, title: str) -> None:
    # Substring tests first: they cost a millisecond where the regex costs tens.
    if not any(tag in xml for tag in (b"<f", b":f>", b":f ", b":f/")) or not _FORMULA.search(xml):
        return
    missing = []
    for match in _CELL.finditer(xml):
        body = match.group(3)
        if _FORMULA.search(body) and not _has_cached_value(match.group(2), body):
            ref = _CELL_REF.search(match.group(2))
            missing.append(ref.group(1).decode().upper() if ref else "?")
    if missing:
        cells = "、".join(missing[:10]) + (" ほか" if len(missing) > 10 else "")
        first = missing[0] if missing[0] != "?" else None
        raise _error(
            "formula_without_value",
            f"シート「{title}」のセル {cells} は数式ですが計算結果が保存されていません。"
            "Excel で開いて再計算・保存するか、値として貼り付けてください。",
            f"Cells {', '.join(missing[:10])} on sheet '{title}' hold formulas without a saved "
            "result; open in Excel, recalculate and save, or paste as values.",
            sheet=title, row=_split_ref(first)[1] if first else None,
            column=_split_ref(first)[0] if first else None)


def _has_cached_value(attrs: bytes, body: bytes) -> bool:
    value = _CACHED_VALUE.search(body)
    if value is None:
        return False
    if value.group(1) or not value.group(2):  # <v/> or <v></v>
        return bool(_STRING_CELL.search(attrs))
    return True


_MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    "http://purl.oclc.org/ooxml/spreadsheetml/main")


def _sheet_rows(xml: bytes, ws) -> Iterator[tuple[int, list[object]]]:
    """(row number, cell values) for each row the sheet XML holds, as openpyxl's read-only
    ``iter_rows(values_only=True)`` would give them with ``data_only=True``.

    Our own pass over the XML we already hold: two to three times faster than openpyxl's
    cell objects (inline strings especially), and it never trusts ``<dimension>`` (which, when wrong,
    makes openpyxl drop rows, or pad every row out to column XFD), never fills in missing
    rows, and ignores cells right of MAX_COLUMNS instead of allocating up to them."""
    from xml.etree.ElementTree import XMLPullParser

    from openpyxl.utils.datetime import from_excel, from_ISO8601

    ns = next((n for n in _MAIN_NAMESPACES if n.encode() in xml[:4096]), _MAIN_NAMESPACES[0])
    row_tag, cell_tag = f"{{{ns}}}row", f"{{{ns}}}c"
    v_tag, is_tag, t_tag, r_tag = f"{{{ns}}}v", f"{{{ns}}}is", f"{{{ns}}}t", f"{{{ns}}}r"
    shared, wb = ws._shared_strings, ws.parent
    date_styles, duration_styles, epoch = wb._date_formats, wb._timedelta_formats, wb.epoch

    def value(cell):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(is_tag)
            if inline is None:
                return None
            # Plain text plus rich-text runs; phonetic guides (<rPh>, furigana) are not text.
            return (inline.findtext(t_tag) or "") + "".join(
                run.findtext(t_tag) or "" for run in inline.iterfind(r_tag))
        raw = cell.findtext(v_tag) or None
        if raw is None:
            return None
        if kind == "n":
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            style = int(cell.get("s", 0))
            if style and style in date_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in duration_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # what openpyxl reports for an impossible date
            return number
        if kind == "s":
            return shared[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # str (a formula's text result) and e (#DIV/0! ...)

    parser = XMLPullParser(events=("end",))
    number = 0
    for start in range(0, len(xml), 1 << 16):
        parser.feed(xml[start:start + (1 << 16)])
        for _, element in parser.read_events():
            if element.tag != row_tag:
                continue
            number = int(element.get("r") or number + 1)
            cells: list[object] = []
            column = 0
            for cell in element.iterfind(cell_tag):
                ref = cell.get("r")
                column = _column_index(ref.rstrip("0123456789")) if ref else column + 1
                if column > MAX_COLUMNS:
                    continue
                if column > len(cells):
                    cells.extend([None] * (column - len(cells)))
                cells[column - 1] = value(cell)
            element.clear()  # an emptied row costs sheetData ~70 bytes: 7 MB per 100,000
            yield number, cells
    parser.close()


def _merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """(first column index, first row, last column index, last row) of each merged range."""
    ranges = []
    if b"mergeCell" not in xml:
        return ranges
    for match in _MERGE.finditer(xml):
        start = _split_ref(match.group(1).decode())
        end = _split_ref((match.group(2) or match.group(1)).decode())
        ranges.append((_column_index(start[0]), start[1], _column_index(end[0]), end[1]))
    return ranges


def _data_sheet(wb):
    if not wb.worksheets:
        raise IntakeError("empty_file", Msg(
            "ブックにワークシートがありません（グラフシートのみ）。",
            "The workbook has no worksheet (chart sheets only)."))
    for ws in wb.worksheets:
        if ws.title.strip().lower() not in INSTRUCTION_SHEETS:
            return ws
    return wb.worksheets[0]


# ---------------------------------------------------------------------- rows -> table


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _row_is_blank(cells) -> bool:
    # Most blank cells are None: count them in C before looking closer.
    return cells.count(None) == len(cells) or all(_is_blank(c) for c in cells)


def _to_table(sheet: str | None, numbered: Iterable[tuple[int, Iterable[object]]],
              merges: list[tuple[int, int, int, int]] | None = None) -> RawTable:
    """The header is the first non-blank row; blank rows are dropped as they stream by."""
    numbered = iter(numbered)
    header_row, header_cells = _first_non_blank(numbered)
    if header_row is None:
        raise IntakeError("empty_file", Msg(
            "データがありません（見出し行も見つかりません）。空白のセルと行だけです。",
            "No data: not even a header row (only blank cells and rows)."))
    headers = ["" if _is_blank(c) else str(c).strip() for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) >= MAX_COLUMNS:
        raise _error(
            "too_many_columns",
            f"見出し行（{header_row} 行目）の列が多すぎます（{len(headers)} 列以上）。見出し"
            "1 行とデータの表を 1 つだけ置いてください。",
            f"The header row (row {header_row}) has too many columns ({len(headers)}+); keep "
            "one table with one header row.", sheet=sheet, row=header_row)
    merges = [m for m in (merges or []) if m[3] >= header_row]
    _check_merged_cells(sheet, header_row, headers, merges)
    width = len(headers)
    unlabelled = [i for i, h in enumerate(headers) if not h]
    rows: list[tuple[int, list[object]]] = []
    for number, cells in numbered:
        if _row_is_blank(cells):
            continue
        cells = list(cells)
        tail = cells[width:]
        if (tail and not _row_is_blank(tail)) or any(
                not _is_blank(cells[i]) for i in unlabelled if i < len(cells)):
            _unlabelled(sheet, header_row, headers, merges, number, cells)
        if len(rows) >= MAX_DATA_ROWS:
            raise _error(
                "too_many_rows",
                f"データ行が多すぎます（{MAX_DATA_ROWS:,} 行を超えています）。ファイルを"
                "分けて提出してください。",
                f"Too many data rows (more than {MAX_DATA_ROWS:,}); split the file.",
                sheet=sheet, row=number)
        rows.append((number, cells[:width] + [None] * (width - len(cells))))
    return RawTable(sheet=sheet, header_row=header_row, headers=headers, rows=rows)


def _first_non_blank(numbered: Iterator) -> tuple[int | None, list[object]]:
    for number, cells in numbered:
        if not _row_is_blank(cells):
            return number, list(cells)
    return None, []


def _check_merged_cells(sheet, header_row: int, headers: list[str], merges) -> None:
    """A merged cell keeps its value in the top-left cell only; the others read as blank,
    which would surface as a puzzling 'empty' error. Say what really happened."""
    labelled = [i + 1 for i, h in enumerate(headers) if h]  # 1-based column numbers
    for first_col, first_row, last_col, last_row in merges:
        ref = _range_ref(first_col, first_row, last_col, last_row)
        if first_row <= header_row < last_row:
            raise _error(
                "merged_header",
                f"見出しのセル {ref} が下の行と結合されています。見出しは 1 行にし、結合を解除"
                "してください。",
                f"Header cells {ref} are merged with the rows below; use a single header row "
                "without merged cells.",
                sheet=sheet, row=header_row, column=_column_letter(first_col - 1), raw=ref)
        if first_row <= header_row:
            continue  # a merge within the header row matters only if data sits under it
        # Covered cells other than the top-left one, in a labelled column.
        hidden = [c for c in labelled if first_col <= c <= last_col
                  and (c != first_col or last_row > first_row)]
        if hidden:
            column = headers[hidden[0] - 1]
            raise _error(
                "merged_cells",
                f"セル {ref} が結合されています（列「{column}」）。結合したセルの値は左上の"
                "セルにしか入っていないため読み取れません。結合を解除し、各行・各列に値を入れて"
                "ください。",
                f"Cells {ref} are merged (column '{column}'); a merged cell holds its value in "
                "the top-left cell only. Unmerge and fill every row and column.",
                sheet=sheet, row=first_row, column=column, raw=ref)


def _unlabelled(sheet, header_row: int, headers: list[str], merges, number: int,
                cells: list[object]) -> None:
    """Data under an empty header is usually a merged header cell: never drop it silently."""
    for index, cell in enumerate(cells):
        if _is_blank(cell) or (index < len(headers) and headers[index]):
            continue
        column = _column_letter(index)
        for first_col, first_row, last_col, last_row in merges:
            if first_row <= header_row <= last_row and first_col <= index + 1 <= last_col:
                ref = _range_ref(first_col, first_row, last_col, last_row)
                raise _error(
                    "merged_header",
                    f"見出しのセル {ref} が結合されています。{column} 列（{number} 行目）のデータに"
                    "見出しがありません。結合を解除し、1 列に 1 つの見出しを入れてください。",
                    f"Header cells {ref} are merged, so column {column} (data in row {number}) "
                    "has no header; unmerge them so each column has its own header.",
                    sheet=sheet, row=header_row, column=column, raw=ref)
        raise _error(
            "unlabelled_column",
            f"{column} 列に見出しがないのにデータがあります（{number} 行目）。見出しのセル結合を"
            "解除し、1 列に 1 つの見出しを入れてください。",
            f"Column {column} has data (row {number}) but no header; unmerge header "
            "cells so each column has its own header.",
            sheet=sheet, row=number, column=column, raw=str(cell))


def _split_ref(ref: str) -> tuple[str, int]:
    letters = ref.rstrip("0123456789")
    return letters.upper(), int(ref[len(letters):])


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _range_ref(first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    return (f"{_column_letter(first_col - 1)}{first_row}:"
            f"{_column_letter(last_col - 1)}{last_row}")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
