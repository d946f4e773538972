"""The ``validate`` fast path (issue 15): the shortcuts taken on long sheets find exactly
what the plain regexes find, and the command never loads numpy or the pipeline."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from orchestration.intake import readers
from tests.conftest import ROOT

PIECES = (b"<", b":", b"f", b"x", b" ", b">", b"o", b"/", b"_", b"-", b".", b"1")


def _regex_hidden_rows(xml: bytes) -> set[int]:
    """Every row tag, tried one by one: what _hidden_lines did before it looked for markers."""
    rows = set()
    for match in readers._ROW_TAG.finditer(xml):
        attrs = dict(readers._ATTR.findall(match.group(1)))
        if readers._is_hidden(attrs, b"ht") and attrs.get(b"r", b"").isdigit():
            rows.add(int(attrs[b"r"]))
    return rows


@pytest.mark.parametrize("xml", [
    b"<f>1</f>", b"<formula1>list</formula1>", b"<x:f>A1</x:f>", b"<x:formula>", b"<f:f>",
    b"<c><v>http:f/</v></c>", b"<a:b:f/>", b"<x y:f>", b"<<x:f>", b"<_a.b-c:f\t>", b"<f",
])
def test_formula_presence_agrees_with_the_formula_regex(xml: bytes):
    assert readers._has_formula(xml) is bool(readers._FORMULA.search(xml))


def test_formula_presence_agrees_on_every_short_string():
    for size in range(1, 6):
        for parts in itertools.product(PIECES[:8], repeat=size):
            xml = b"".join(parts)
            assert readers._has_formula(xml) is bool(readers._FORMULA.search(xml)), xml


ROW_PIECES = (b'<row r="1">', b'<row r="2" hidden="1">', b'<row r="3" ht="0">',
              b'<x:row r="4" ht="0.0" customHeight="1">', b'<row r="5" ht="15">',
              b'<t>ht="0"</t>', b'<c r="A1"><v>1</v></c>', b"</row>",
              b'<row r="6" hidden="true"/>', b'<rows r="7" hidden="1">',
              b'<row r="8" x:hidden="1">', b'<row r="9" data-ht="0">',
              b'<row r="10" hidden="0" ht="0">', b'<pageMargins right="0.75"/>')


def test_hidden_rows_found_from_markers_are_those_of_every_row_tag():
    for parts in itertools.product(ROW_PIECES, repeat=3):
        xml = b"".join(parts)
        assert readers._hidden_lines(xml)[0] == _regex_hidden_rows(xml), xml


def test_validate_loads_neither_numpy_nor_the_pipeline(tmp_path):
    """numpy is hidden while openpyxl loads (cli._import_openpyxl_without_numpy); dagster,
    dbt and great_expectations are never imported by ``validate``."""
    sample = next((ROOT / "sources" / "areas").glob("*/samples/*/*.xlsx"))
    probe = (
        "import sys\n"
        "from orchestration import cli\n"
        f"cli.main(['validate', {str(sample)!r}, '--municipality', "
        f"{sample.parent.name!r}, '--json', '--home', {str(tmp_path / 'none')!r}])\n"
        "import json\n"
        "heavy = ('numpy', 'pandas', 'duckdb', 'dagster', 'dbt', 'great_expectations')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []
