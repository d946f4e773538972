"""Read a member's file (xlsx or CSV) into rows of raw cell values.

Only the stdlib and openpyxl: this is the ``validate`` fast path. Every way a file can be
unreadable ends in an ``IntakeError`` with its own message; nothing else escapes.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.intake.messages import IntakeError, Msg, visible

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
# The workbook-level defined name by which a template says which member it was made for
# (a constant such as "12345"); Excel and LibreOffice keep defined names when saving.
TEMPLATE_MEMBER_NAME = "kurume_municipality"
# Templates issued before that name existed carry the member in the document keywords and
# a title ending with this (see templates.py).
TEMPLATE_TITLE_SUFFIX = "提出様式"
# The header is looked for among the first rows holding anything; rows above it are skipped
# only when they read as a title: one cell, or two cells neither of which is a header.
HEADER_SCAN_ROWS = 10
TITLE_MAX_CELLS = 2
# A sheet "holds a table" when one of its first rows has at least this many known headers
# (every contract has two required columns or more).
TABLE_MIN_HEADERS = 2
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# Parts of a workbook that run or embed programs: refused like a macro workbook.
_ACTIVE_PARTS = (("xl/embeddings/", "埋め込みオブジェクト（OLE）", "an embedded (OLE) object"),
                 ("xl/activex/", "ActiveX コントロール", "an ActiveX control"))
# <row r="5" hidden="1">, <col min="4" max="4" hidden="1"/>: what Excel writes when a row or
# a column is hidden (also by a filter or a collapsed outline); a zero height/width hides too.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?col\b([^>]*?)/?>")
_ATTR = re.compile(rb'\b([A-Za-z]+)="([^"]*)"')
_FORMULA_TEXT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*>([^<]*)<")
# [1]Sheet1!A1: a reference to the first external workbook (xl/externalLinks); Excel shows it
# as '\\server\share\[book.xlsx]Sheet1'!A1, and other writers may store that text as is.
_EXTERNAL_INDEX = re.compile(r"\[(\d+)\]([^!'\]]*)")
_EXTERNAL_LITERAL = re.compile(r"'([^']*\[(?!\d+\])[^\]]+\][^']*)'!"
                               r"|([^\s'!=(),;+\-*/&^<>]*\[(?!\d+\])[^\]#]+\][^!'\s]*)!")
_EXTERNAL_QUOTED_INDEX = re.compile(r"'\[(\d+)\]([^']*)'!")


@dataclass
class RawTable:
    """Cells as typed, with the 1-based row numbers the member sees in Excel."""

    sheet: str | None
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    # Rows above the header read as a title (「令和5年 観光入込客数」): (row number, text).
    title_rows: list[tuple[int, str]] = field(default_factory=list)
    # The member a template was made for (its defined name), None for any other file.
    template_member: str | None = None
    # What the reader noticed but did not refuse (a sheet skipped, a value from a link).
    notices: list[Notice] = field(default_factory=list)


@dataclass
class Notice:
    severity: str  # warning | info
    code: str
    message: Msg
    where: dict = field(default_factory=dict)


def _error(code: str, ja: str, en: str, **where) -> IntakeError:
    """An IntakeError that also says where (sheet/row/column/raw) when that is known."""
    exc = IntakeError(code, Msg(ja, en))
    exc.where = {k: v for k, v in where.items() if v is not None}
    return exc


def read_table(path: Path, max_bytes: int = DEFAULT_MAX_BYTES,
               is_header: Callable[[str], bool] | None = None) -> RawTable:
    """``is_header`` tells a known column header (any contract's) from other text; with it,
    title rows above the header row are recognised and skipped (see ``_find_header``).
    Without it the header is the first row that holds anything."""
    check_regular_file(path)
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
        return _read_xlsx(path, is_header)
    if suffix in (".csv", ".txt"):
        data = path.read_bytes()
        _refuse_binary_as_csv(data)
        return _read_csv(data, is_header)
    raise IntakeError("unsupported_format", Msg(
        f"対応していないファイル形式です（{suffix or '拡張子なし'}）。.xlsx または .csv で提出してください。",
        f"Unsupported file type ({suffix or 'no extension'}); submit .xlsx or .csv."))


def check_regular_file(path: Path) -> None:
    """Refuse what is not a plain file before anything opens it: a symbolic link (a link
    named report.csv pointing at /etc/passwd would be read and kept), a directory, a FIFO
    (opening it waits forever), a device or a socket. ``lstat``: the link itself is judged,
    never its target."""
    name = visible(path.name)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise IntakeError("file_not_found", Msg(
            f"ファイルが見つかりません: {visible(path)}", f"File not found: {visible(path)}")) from None
    if stat.S_ISREG(mode):
        return
    kinds = [(stat.S_ISLNK, "シンボリックリンク", "a symbolic link"),
             (stat.S_ISDIR, "フォルダ（ディレクトリ）", "a folder (directory)"),
             (stat.S_ISFIFO, "名前付きパイプ（FIFO）", "a named pipe (FIFO)"),
             (stat.S_ISSOCK, "ソケット", "a socket"),
             (lambda m: stat.S_ISCHR(m) or stat.S_ISBLK(m), "デバイスファイル", "a device file")]
    ja, en = next(((ja, en) for test, ja, en in kinds if test(mode)),
                  ("通常のファイル以外", "not a regular file"))
    raise IntakeError("not_a_regular_file", Msg(
        f"「{name}」は{ja}です。通常のファイルだけを受け付けます（リンクの先は読みません）。"
        "ファイルそのものを提出してください。",
        f"'{name}' is {en}; only regular files are accepted (a link is never followed). "
        "Submit the file itself."))


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
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        # A BOM twice (a UTF-8 file re-saved by a tool that adds one) is not text either.
        return body.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        if not body[:utf8_error.start].isascii():
            # Valid UTF-8 Japanese up to the bad byte: a UTF-8 file with one broken line.
            # Its line is where the UTF-8 reading stopped (CP932 stumbles on line 1).
            line = _line_of(data, utf8_error.start + len(data) - len(body))
            raise IntakeError("bad_encoding", Msg(
                f"{line} 行目に UTF-8 として読めないバイトがあります（それより前は UTF-8 で"
                "読めます）。その行を直すか、UTF-8 の CSV で保存し直してください。",
                f"Line {line} has bytes that are not UTF-8 (the lines before it are UTF-8); "
                "fix that line or save the CSV as UTF-8 again.")) from exc
        line = _line_of(data, max(exc.start, utf8_error.start + len(data) - len(body)))
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


def _line_of(data: bytes, offset: int) -> int:
    """The line a byte offset is on, counted as a member's editor counts lines."""
    return data[:offset].count(b"\n") + 1


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


def _read_csv(data: bytes, is_header: Callable[[str], bool] | None = None) -> RawTable:
    text = decode_csv_bytes(data)
    _refuse_other_delimiters(text)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _to_table(None, _csv_rows(reader), is_header=is_header)
    except csv.Error as exc:
        raise IntakeError("malformed_csv", Msg(
            f"CSV の形式が壊れています（{reader.line_num} 行目付近: {exc}）。引用符（\"）の"
            "対応やセルの長さを確認してください。",
            f"Malformed CSV near line {reader.line_num} ({exc}); check quotes and cell "
            "lengths.")) from exc


_DELIMITERS = ((";", "セミコロン（;）", "semicolons (;)"), ("\t", "タブ", "tabs"),
               ("|", "縦棒（|）", "vertical bars (|)"))


def _refuse_other_delimiters(text: str) -> None:
    """A header line without a comma but with ; or tabs is another separator (Excel in a
    European locale, a 'Text (tab delimited)' export): read as CSV it is one column, and
    the header would not be recognised. Say what it is."""
    for line in text.splitlines()[:HEADER_SCAN_ROWS]:
        if not line.strip():
            continue
        if "," in line:
            return
        for char, ja, en in _DELIMITERS:
            if line.count(char) >= 1:
                raise IntakeError("csv_delimiter", Msg(
                    f"区切り文字が{ja}のようです（1 行目: {visible(line[:60])}）。カンマ区切りの CSV"
                    "（Excel の「CSV UTF-8（コンマ区切り）」）で保存してください。",
                    f"The columns seem to be separated by {en} (first line: "
                    f"{visible(line[:60])}); save as comma-separated CSV ('CSV UTF-8 (Comma "
                    "delimited)' in Excel)."))
        return


# What the first bytes of a file say it is: (magic, name in Japanese, in English).
_MAGIC = ((b"%PDF", "PDF ファイル", "a PDF file"),
          (b"\x89PNG", "画像（PNG）", "an image (PNG)"),
          (b"\xff\xd8\xff", "画像（JPEG）", "an image (JPEG)"),
          (b"GIF8", "画像（GIF）", "an image (GIF)"),
          (b"II*\x00", "画像（TIFF）", "an image (TIFF)"),
          (b"MM\x00*", "画像（TIFF）", "an image (TIFF)"),
          (b"{\\rtf", "リッチテキスト（RTF）", "a rich text (RTF) document"))


def _magic_kind(head: bytes) -> tuple[str, str] | None:
    for magic, ja, en in _MAGIC:
        if head.startswith(magic):
            return ja, en
    return None


def _refuse_binary_as_csv(data: bytes) -> None:
    """A workbook, PDF or image named .csv: say what it is rather than 'NUL byte'."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind_of_bytes(data)
        ja, en = kind or ("zip ファイルまたは Excel ブック（.xlsx）", "a zip archive or an Excel workbook")
        raise IntakeError("wrong_file_type", Msg(
            f"拡張子は .csv ですが、中身は{ja}です。Excel ブックなら拡張子を .xlsx にして"
            "提出するか、CSV（カンマ区切り）で保存してください。",
            f"The file is named .csv but is {en}; if it is an Excel workbook name it .xlsx, "
            "or save it as comma-separated CSV."))
    if head.startswith(OLE_MAGIC):
        raise IntakeError("wrong_file_type", Msg(
            "拡張子は .csv ですが、中身は Excel ブック（.xls、またはパスワード付きの .xlsx）"
            "です。パスワードなしの .xlsx か、CSV（カンマ区切り）で保存してください。",
            "The file is named .csv but is an Excel workbook (.xls, or a password-protected "
            ".xlsx); save it as .xlsx without a password or as comma-separated CSV."))
    kind = _magic_kind(head)
    if kind is not None:
        raise IntakeError("wrong_file_type", Msg(
            f"拡張子は .csv ですが、中身は{kind[0]}です。CSV（カンマ区切り）で保存してください。",
            f"The file is named .csv but is {kind[1]}; save it as comma-separated CSV."))


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


def _read_xlsx(path: Path, is_header: Callable[[str], bool] | None = None) -> RawTable:
    _check_container(path)
    with warnings.catch_warnings():
        # openpyxl warns about features it skips (styles, extensions); members can't act on it.
        warnings.simplefilter("ignore")
        return _read_workbook(path, is_header)


def _read_workbook(path: Path, is_header: Callable[[str], bool] | None = None) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise _corrupt(exc) from exc
    try:
        ws, xml, notices = _data_sheet(wb, is_header)
        _check_formula_cells(xml, ws.title)
        table = _to_table(ws.title, _visible_rows(_sheet_rows(xml, ws), xml, ws.title),
                          merges=_merged_ranges(xml), is_header=is_header)
        table.template_member = template_member(wb)
        table.notices = notices + _external_links(wb._archive, xml, ws.title)
        return table
    except IntakeError:
        raise
    except Exception as exc:  # broken XML, bad zip member, impossible cell values ...
        raise _corrupt(exc) from exc
    finally:
        wb.close()


def _check_container(path: Path) -> None:
    """Refuse encrypted, macro, non-zip and zip-bomb workbooks before openpyxl sees them."""
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(OLE_MAGIC):
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
            kind = _zip_kind(archive)
            content_types = (archive.read("[Content_Types].xml")
                             if "[Content_Types].xml" in archive.NameToInfo else None)
            dtd_part = _part_with_dtd(archive, infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError,
            NotImplementedError, ValueError, EOFError) as exc:
        raise IntakeError("corrupt_xlsx", Msg(
            f"Excel ファイルが破損しています（{type(exc).__name__}）。",
            f"The Excel workbook is corrupt ({type(exc).__name__}).")) from exc
    if kind is not None:
        raise _wrong_type(kind)
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
    for prefix, ja, en in _ACTIVE_PARTS:
        part = next((i.filename for i in infos if i.filename.lower().startswith(prefix)), None)
        if part is not None:
            raise IntakeError("active_content", Msg(
                f"ブックに{ja}が含まれています（{visible(part)}）。プログラムを実行・埋め込みできる"
                "内容を含むブックは、マクロ付きブックと同じく受け付けません。オブジェクトを削除して "
                ".xlsx で保存し直してください。",
                f"The workbook contains {en} ({visible(part)}); like macro workbooks, "
                "workbooks with executable or embedded content are refused. Delete the object "
                "and save the workbook again as .xlsx."))


# OpenDocument files name their type in a first member called "mimetype".
_ODF_TYPES = {
    b"application/vnd.oasis.opendocument.spreadsheet":
        ("OpenDocument スプレッドシート（.ods）", "an OpenDocument spreadsheet (.ods)"),
    b"application/vnd.oasis.opendocument.text":
        ("OpenDocument テキスト（.odt）", "an OpenDocument text document (.odt)"),
    b"application/vnd.oasis.opendocument.presentation":
        ("OpenDocument プレゼンテーション（.odp）", "an OpenDocument presentation (.odp)"),
}
# Office Open XML documents other than a workbook, by their main part.
_OOXML_MAIN_PARTS = (
    ("word/document.xml", "Word 文書（.docx）", "a Word document (.docx)"),
    ("ppt/presentation.xml", "PowerPoint プレゼンテーション（.pptx）",
     "a PowerPoint presentation (.pptx)"),
)


def _zip_kind(archive: zipfile.ZipFile) -> tuple[str, str] | None:
    """What a zip holds when it is not an Excel workbook: (ja, en), or None (a workbook, or
    nothing recognisable). Names and one small member only: nothing is inflated here."""
    names = set(archive.NameToInfo)
    if "xl/workbook.xml" in names:
        return None
    for part, ja, en in _OOXML_MAIN_PARTS:
        if part in names:
            return ja, en
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
        kind = _ODF_TYPES.get(archive.read("mimetype").strip())
        if kind is not None:
            return kind
    files = [n for n in names if not n.endswith("/")]
    if files and all(n.lower().endswith(".csv") for n in files):
        return ("CSV ファイルを圧縮した zip", "a zip archive of CSV files")
    return None


def _zip_kind_of_bytes(data: bytes) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" in archive.NameToInfo:
                return "Excel ブック（.xlsx）", "an Excel workbook (.xlsx)"
            return _zip_kind(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _wrong_type(kind: tuple[str, str]) -> IntakeError:
    ja, en = kind
    if ja.startswith("CSV"):
        return IntakeError("wrong_file_type", Msg(
            "拡張子は .xlsx ですが、中身は CSV ファイルを圧縮した zip です。zip を展開し、"
            "CSV を 1 ファイルずつ提出してください。",
            "The file is named .xlsx but is a zip archive of CSV files; unzip it and submit "
            "each CSV file on its own."))
    return IntakeError("wrong_file_type", Msg(
        f"拡張子は .xlsx ですが、{ja}です。Excel ブック（.xlsx）で保存してください。",
        f"The file is named .xlsx but is {en}; save it as an Excel workbook (.xlsx)."))


def _not_a_zip(magic: bytes, path: Path) -> IntakeError:
    kind = _magic_kind(magic)
    if kind is not None:
        return _wrong_type(kind)
    if magic.startswith(b"PK\x03\x04"):
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


def _tag_starts(xml: bytes, marker: bytes) -> Iterator[tuple[int, int]]:
    """(where ``marker`` occurs, where the tag around it begins: the "<" at or before it), for
    each occurrence. Going from the few places a marker occurs keeps the regexes and Python
    away from the thousands of plain cells and rows of a long sheet (tens of milliseconds)."""
    at = xml.find(marker)
    while at >= 0:
        start = xml.rfind(b"<", 0, at + 1)
        if start >= 0:
            yield at, start
        at = xml.find(marker, at + 1)


def _has_formula(xml: bytes) -> bool:
    """Whether ``_FORMULA`` matches anywhere (a <f> or <x:f> element, not <formula1>)."""
    return any((found := _FORMULA.match(xml, start)) is not None and found.end() == at + 2
               for marker in (b"<f", b":f") for at, start in _tag_starts(xml, marker))


def _check_formula_cells(xml: bytes, title: str) -> None:
    if not _has_formula(xml):
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
            # (Children are walked directly: ``iterfind`` runs ElementPath's Python code.)
            text = inline.findtext(t_tag) or ""
            if text and len(inline) == 1:
                return text  # the one child is that <t>: no runs
            return text + "".join(
                run.findtext(t_tag) or "" for run in inline if run.tag == r_tag)
        raw = cell.findtext(v_tag) or None
        if raw is None:
            return None
        if kind == "n":
            if not raw.isascii():  # float() and int() would read ٢٠٢٣ as 2023
                raise ValueError(f"not a number: {raw!r}")
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
    columns: dict[str, int] = {}  # "AB" -> 28, computed once per sheet
    number = 0
    for start in range(0, len(xml), 1 << 16):
        parser.feed(xml[start:start + (1 << 16)])
        for _, element in parser.read_events():
            if element.tag != row_tag:
                continue
            number = int(element.get("r") or number + 1)
            cells: list[object] = []
            column = 0
            for cell in element:
                if cell.tag != cell_tag:
                    continue
                ref = cell.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    column = columns.get(letters) or columns.setdefault(
                        letters, _column_index(letters))
                else:
                    column += 1
                if column > MAX_COLUMNS:
                    continue
                if column == len(cells) + 1:  # the next column: the usual case
                    cells.append(value(cell))
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


def template_member(wb) -> str | None:
    """The member code a template was made for, or None (not a template, or a template for
    any member). Read from the workbook's defined names and properties, which openpyxl
    parses from workbook.xml and docProps/core.xml in read-only mode too."""
    defined = wb.defined_names.get(TEMPLATE_MEMBER_NAME)
    if defined is not None and defined.attr_text:
        # The name holds a constant: "12345" (quoted, as Excel writes a text constant).
        return defined.attr_text.strip().lstrip("=").strip('"').strip() or None
    props = wb.properties
    if (props.title or "").endswith(TEMPLATE_TITLE_SUFFIX) and (props.keywords or "").strip():
        return props.keywords.strip()
    return None


def _data_sheet(wb, is_header: Callable[[str], bool] | None = None):
    """The sheet to read, its XML, and what to tell the member about the others.

    What is loaded is what a person sees: hidden and very hidden sheets are never read
    (a hidden sheet of stale figures, the templates' hidden list sheet). Among the visible
    sheets other than the instructions, the one holding a table (a row of known headers)
    is read; a cover sheet before it is skipped and named. Two visible tables are refused:
    which one is meant cannot be known, and reading one would silently drop the other."""
    if not wb.worksheets:
        raise IntakeError("empty_file", Msg(
            "ブックにワークシートがありません（グラフシートのみ）。",
            "The workbook has no worksheet (chart sheets only)."))
    xmls: dict[str, bytes] = {}
    heads: dict[str, list] = {}

    def head(ws) -> list:
        if ws.title not in heads:
            xmls[ws.title] = _sheet_xml(wb._archive, ws._worksheet_path)
            heads[ws.title] = _first_non_blank_rows(_sheet_rows(xmls[ws.title], ws),
                                                    HEADER_SCAN_ROWS)
        return heads[ws.title]

    def chosen(ws, notices):
        head(ws)
        return ws, xmls[ws.title], notices

    candidates = [ws for ws in wb.worksheets if ws.title.strip().lower() not in INSTRUCTION_SHEETS]
    shown = [ws for ws in candidates if ws.sheet_state == "visible"]
    hidden = [ws for ws in candidates if ws.sheet_state != "visible"]
    tables = [ws for ws in shown if _holds_table(head(ws), is_header)]
    hidden_tables = [ws for ws in hidden if _holds_table(head(ws), is_header)]
    if len(tables) > 1:
        names = "".join(f"「{visible(ws.title)}」" for ws in tables)
        raise _error(
            "ambiguous_sheets",
            f"データの表があるシートが複数あります（{names}）。どのシートを提出するのか判断できない"
            "ため受け付けません。提出する表のシートだけを残して保存してください。",
            "More than one sheet holds a data table ("
            + ", ".join(f"'{visible(ws.title)}'" for ws in tables) + "); which one is meant "
            "cannot be told, so the file is refused. Keep only the sheet to submit.",
            sheet=visible(tables[1].title))
    if not tables and hidden_tables:
        ws = hidden_tables[0]
        raise _error(
            "hidden_sheet",
            f"データの表はシート「{visible(ws.title)}」にありますが、このシートは非表示です。表示"
            "されているシートだけを読みます。シートを再表示して内容を確認し、提出してください。",
            f"The data table is on sheet '{visible(ws.title)}', which is hidden; only visible "
            "sheets are read. Unhide the sheet, check it and submit again.",
            sheet=visible(ws.title))
    notices = [Notice("warning", "hidden_sheet_ignored", Msg(
        f"非表示のシート「{visible(ws.title)}」にも表がありますが、読んでいません（表示されて"
        "いるシートだけを読みます）。不要なシートは削除してください。",
        f"Hidden sheet '{visible(ws.title)}' holds a table too; it was not read (only visible "
        "sheets are). Delete sheets that are not meant to be submitted."),
        {"sheet": visible(ws.title)}) for ws in hidden_tables]
    if tables:
        table = tables[0]
        for ws in shown:
            if ws is not table and head(ws):
                notices.append(Notice("info", "sheet_skipped", Msg(
                    f"シート「{visible(ws.title)}」には見出し行がないため読み飛ばし、シート"
                    f"「{visible(table.title)}」を読みました。",
                    f"Sheet '{visible(ws.title)}' has no header row and was skipped; sheet "
                    f"'{visible(table.title)}' was read."), {"sheet": visible(ws.title)}))
        return chosen(table, notices)
    if shown:
        # No known header anywhere: the first sheet holding anything gets the precise errors
        # (unknown headers ...), as a single-sheet file would.
        return chosen(next((ws for ws in shown if head(ws)), shown[0]), notices)
    visible_sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    return chosen((visible_sheets or wb.worksheets)[0], notices)


def _holds_table(head: list[tuple[int, list[object]]],
                 is_header: Callable[[str], bool] | None) -> bool:
    """A row of known headers among the first rows (without ``is_header``: a row of two
    cells or more above another row)."""
    if is_header is None:
        return len(head) >= 2 and any(sum(not _is_blank(c) for c in cells) >= 2
                                      for _, cells in head)
    return any(sum(is_header(str(c).strip()) for c in cells if not _is_blank(c))
               >= TABLE_MIN_HEADERS for _, cells in head)


def _hidden_lines(xml: bytes) -> tuple[set[int], list[tuple[int, int]]]:
    """Rows and column ranges (1-based, inclusive) the sheet hides."""
    if b'hidden="' not in xml and b'ht="0' not in xml and b'width="0' not in xml:
        return set(), []
    rows: set[int] = set()
    cols: list[tuple[int, int]] = []
    data_start = xml.find(b"sheetData")
    for match in _COL_TAG.finditer(xml, 0, data_start if data_start >= 0 else len(xml)):
        attrs = dict(_ATTR.findall(match.group(1)))
        if _is_hidden(attrs, b"width") and attrs.get(b"min", b"").isdigit():
            cols.append((int(attrs[b"min"]), int(attrs.get(b"max") or attrs[b"min"])))
    for match in _row_tags_with(xml, (b'hidden="', b'ht="')):
        attrs = dict(_ATTR.findall(match.group(1)))
        if _is_hidden(attrs, b"ht") and attrs.get(b"r", b"").isdigit():
            rows.add(int(attrs[b"r"]))
    return rows, cols


def _row_tags_with(xml: bytes, markers: tuple[bytes, ...]) -> list[re.Match]:
    """The row tags holding one of ``markers``, in order (only a row tag with a hidden= or
    ht= attribute can hide its row)."""
    found: dict[int, re.Match] = {}
    for marker in markers:
        for at, start in _tag_starts(xml, marker):
            if start not in found and (match := _ROW_TAG.match(xml, start)) and match.end() > at:
                found[start] = match
    return [found[start] for start in sorted(found)]


def _is_hidden(attrs: dict[bytes, bytes], size: bytes) -> bool:
    if attrs.get(b"hidden") in (b"1", b"true"):
        return True
    try:
        return float(attrs.get(size, b"1")) == 0
    except ValueError:
        return False


def _visible_rows(numbered: Iterator[tuple[int, list[object]]], xml: bytes,
                  sheet: str) -> Iterator[tuple[int, list[object]]]:
    """The rows as they stream by, refusing any value in a hidden row or column.

    Refused rather than read or skipped: reading it would load a figure nobody checking the
    sheet can see (a draft 999,999 in a hidden row); skipping it would drop data a member
    hid for display only (a filter). One unhide settles which it is."""
    hidden_rows, hidden_cols = _hidden_lines(xml)
    if not hidden_rows and not hidden_cols:
        yield from numbered
        return
    for number, cells in numbered:
        if number in hidden_rows and not _row_is_blank(cells):
            index = next(i for i, c in enumerate(cells) if not _is_blank(c))
            ref, value = f"{_column_letter(index)}{number}", visible(cells[index])
            raise _error(
                "hidden_row",
                f"シート「{visible(sheet)}」の {number} 行目は非表示ですが、値があります（セル {ref}"
                f"「{value}」）。見えない行は受け付けません。行を再表示して確認し、提出しない"
                "内容なら行を削除してください。",
                f"Row {number} on sheet '{visible(sheet)}' is hidden but holds data (cell {ref}: "
                f"'{value}'); hidden rows are refused. Unhide the row, check it, and delete it "
                "if it is not meant to be submitted.",
                sheet=visible(sheet), row=number, column=_column_letter(index), raw=value)
        for first, last in hidden_cols:
            for index in range(first - 1, min(last, len(cells))):
                if _is_blank(cells[index]):
                    continue
                letter = _column_letter(index)
                ref, value = f"{letter}{number}", visible(cells[index])
                raise _error(
                    "hidden_column",
                    f"シート「{visible(sheet)}」の {letter} 列は非表示ですが、値があります（セル "
                    f"{ref}「{value}」）。見えない列は受け付けません。列を再表示して確認し、"
                    "提出しない内容なら列を削除してください。",
                    f"Column {letter} on sheet '{visible(sheet)}' is hidden but holds data (cell "
                    f"{ref}: '{value}'); hidden columns are refused. Unhide the column, check "
                    "it, and delete it if it is not meant to be submitted.",
                    sheet=visible(sheet), row=number, column=letter, raw=value)
        yield number, cells


MAX_LINK_NOTICES = 20


def _external_links(archive: zipfile.ZipFile, xml: bytes, sheet: str) -> list[Notice]:
    """A warning for each cell whose formula reads another workbook ([1]Sheet1!A1, or
    '\\\\server\\share\\[book.xlsx]Sheet1'!A1): its saved value is read, but it is a copy of a
    file the member may not have looked at. Shared formulas count for every cell they fill."""
    if not _has_formula(xml):
        return []  # no formula element (<formula1> of a drop-down list is not one)
    targets = _external_targets(archive)
    shared: dict[bytes, str | None] = {}
    notices: list[Notice] = []
    linked = 0
    for match in _CELL.finditer(xml):
        formula = _FORMULA_FULL.search(match.group(3))
        if formula is None:
            continue
        attrs = dict(_ATTR.findall(formula.group(1)))
        text = _xml_text(formula.group(2) or b"")
        target = _external_target(text, targets) if text else None
        if attrs.get(b"t") == b"shared" and b"si" in attrs:
            if text:
                shared[attrs[b"si"]] = target
            else:
                target = shared.get(attrs[b"si"])
        if target is None:
            continue
        linked += 1
        if linked > MAX_LINK_NOTICES:
            continue
        ref = _CELL_REF.search(match.group(2))
        letters, row = _split_ref(ref.group(1).decode()) if ref else ("?", None)
        cell = f"{letters}{row}" if ref else "?"
        notices.append(Notice("warning", "external_link", Msg(
            f"セル {cell} の値は外部ファイルへのリンク（{target}）から来ています。ブックに保存"
            "されている値を読みましたが、リンク先の最新の値とは限りません。値を確認し、"
            "「値として貼り付け」てから提出してください。",
            f"The value of cell {cell} comes from a link to another file ({target}); the value "
            "saved in the workbook was read, which may not be that file's current value. Check "
            "it, and paste it as a value before submitting."),
            {"sheet": visible(sheet), "row": row, "column": letters, "raw": target}))
    if linked > MAX_LINK_NOTICES:
        notices.append(Notice("warning", "external_link", Msg(
            f"ほかに {linked - MAX_LINK_NOTICES} 個のセルも外部ファイルへのリンクです。",
            f"{linked - MAX_LINK_NOTICES} more cells are links to other files."),
            {"sheet": visible(sheet)}))
    return notices


_FORMULA_FULL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f\b([^>]*?)(?:/>|>([^<]*)</)")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)>")
_EXTERNAL_REFERENCE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?externalReference\b[^>]*?\b(?:[A-Za-z_][\w.-]*:)?id=\"([^\"]+)\"")


def _xml_text(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", "replace"), {"&apos;": "'", "&quot;": '"'})


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Id -> Target of a part's relationships (empty when it has none)."""
    folder, _, name = part.rpartition("/")
    rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
    if rels not in archive.NameToInfo:
        return {}
    out = {}
    for match in _RELATIONSHIP.finditer(archive.read(rels)):
        attrs = dict(_ATTR.findall(match.group(1)))
        if b"Id" in attrs and b"Target" in attrs:
            out[attrs[b"Id"].decode()] = _xml_text(attrs[b"Target"])
    return out


def _external_targets(archive: zipfile.ZipFile) -> dict[int, str]:
    """[n] in a formula -> the file the workbook's n-th external reference points at."""
    names = archive.NameToInfo
    if not any(n.startswith("xl/externalLinks/") for n in names) or "xl/workbook.xml" not in names:
        return {}
    workbook_rels = _relationships(archive, "xl/workbook.xml")
    targets = {}
    for index, rid in enumerate(_EXTERNAL_REFERENCE.findall(archive.read("xl/workbook.xml")), 1):
        part = workbook_rels.get(rid.decode(), f"externalLinks/externalLink{index}.xml")
        part = part.lstrip("/") if part.startswith("/") else f"xl/{part}"
        link = next(iter(_relationships(archive, part).values()), None)
        if link:
            targets[index] = visible(link.removeprefix("file:///"))
    return targets


def _external_target(formula: str, targets: dict[int, str]) -> str | None:
    """The linked file a formula reads, shown as Excel shows it, or None."""
    literal = _EXTERNAL_LITERAL.search(formula)
    if literal:
        return visible(literal.group(1) or literal.group(2))
    indexed = _EXTERNAL_QUOTED_INDEX.search(formula) or _EXTERNAL_INDEX.search(formula)
    if indexed and int(indexed.group(1)) in targets:
        book = targets[int(indexed.group(1))]
        return f"{book} {visible(indexed.group(2))}".strip()
    if indexed and targets:
        return f"[{indexed.group(1)}]{visible(indexed.group(2))}"
    return None


# ---------------------------------------------------------------------- rows -> table


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _row_is_blank(cells) -> bool:
    # Most blank cells are None: count them in C before looking closer.
    return cells.count(None) == len(cells) or all(_is_blank(c) for c in cells)


def _to_table(sheet: str | None, numbered: Iterable[tuple[int, Iterable[object]]],
              merges: list[tuple[int, int, int, int]] | None = None,
              is_header: Callable[[str], bool] | None = None) -> RawTable:
    """The header is found among the first rows (``_find_header``); blank rows are dropped
    as they stream by."""
    numbered = iter(numbered)
    head = _first_non_blank_rows(numbered, HEADER_SCAN_ROWS)
    if not head:
        raise IntakeError("empty_file", Msg(
            "データがありません（見出し行も見つかりません）。空白のセルと行だけです。",
            "No data: not even a header row (only blank cells and rows)."))
    skip = _find_header(head, is_header)
    title_rows = [(number, "　".join(str(c).strip() for c in cells if not _is_blank(c)))
                  for number, cells in head[:skip]]
    header_row, header_cells = head[skip]
    numbered = itertools.chain(head[skip + 1:], numbered)
    # A zero-width space pasted in with a header is invisible and never part of it.
    headers = ["" if _is_blank(c) else str(c).translate(_ZERO_WIDTH).strip() for c in header_cells]
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
        if (tail and not _row_is_blank(tail)) or (unlabelled and any(
                not _is_blank(cells[i]) for i in unlabelled if i < len(cells))):
            _unlabelled(sheet, header_row, headers, merges, number, cells)
        if len(rows) >= MAX_DATA_ROWS:
            raise _error(
                "too_many_rows",
                f"データ行が多すぎます（{MAX_DATA_ROWS:,} 行を超えています）。ファイルを"
                "分けて提出してください。",
                f"Too many data rows (more than {MAX_DATA_ROWS:,}); split the file.",
                sheet=sheet, row=number)
        # ``cells`` is this row's own copy: kept as is when it has the header's width.
        rows.append((number, cells if len(cells) == width
                     else cells[:width] + [None] * (width - len(cells))))
    return RawTable(sheet=sheet, header_row=header_row, headers=headers, rows=rows,
                    title_rows=title_rows)


def _first_non_blank_rows(numbered: Iterator, count: int) -> list[tuple[int, list[object]]]:
    rows = []
    for number, cells in numbered:
        if not _row_is_blank(cells):
            rows.append((number, list(cells)))
            if len(rows) == count:
                break
    return rows


def _find_header(head: list[tuple[int, list[object]]],
                 is_header: Callable[[str], bool] | None) -> int:
    """Index in ``head`` of the header row: the first row with the most known headers,
    provided every row above it reads as a title (「令和5年 観光入込客数」 in A1). Otherwise
    the first row, as before: a header nobody recognises still gets its own precise errors
    (unknown header, merged cells ...) instead of a guess."""
    if is_header is None:
        return 0
    filled = [[str(c).strip() for c in cells if not _is_blank(c)] for _, cells in head]
    scores = [sum(map(is_header, texts)) for texts in filled]
    best = max(scores)
    index = scores.index(best)
    if best == 0 or index == 0:
        return 0
    # One cell is never a header (every contract has two required columns or more).
    if all(len(texts) == 1 or (len(texts) <= TITLE_MAX_CELLS and score == 0)
           for texts, score in zip(filled[:index], scores[:index])):
        return index
    return 0


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
