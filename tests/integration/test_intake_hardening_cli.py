"""Issue 11 items 5 and 6 through the real command line: links and non-regular files end
with exit 2 and leave nothing behind; escape sequences from cells and file names are shown,
never sent to the terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fixtures.make_bad_corpus import csv_bytes, tourism_rows

ESC = "\x1b"


def _home_files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*") if p.is_file()) if home.exists() else []


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_links_and_non_regular_files_exit_2_and_store_nothing(tmp_path: Path, kind: str):
    home = tmp_path / "home"
    run_cli("init", home=home, check=True)
    before = _home_files(home)
    path = tmp_path / "tourism.csv"
    if kind == "symlink":
        path.symlink_to("/etc/passwd")
    elif kind == "fifo":
        os.mkfifo(path)  # opening it to hash it would wait forever
    else:
        path.mkdir()

    result = run_cli("submit", str(path), "--municipality", "40216", home=home, timeout=60)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "通常のファイルだけを受け付けます" in result.stderr
    assert _home_files(home) == before
    assert "root:" not in result.stdout + result.stderr


def test_escape_sequences_in_a_cell_and_a_file_name_are_shown_not_executed(tmp_path: Path):
    path = tmp_path / f"evil{ESC}]0;pwned\a{ESC}[31m.csv"
    path.write_bytes(csv_bytes(tourism_rows([2023, f"{ESC}[2J{ESC}]0;title\a", "\x9b31m"])))

    text = run_cli("validate", str(path), "--municipality", "40216")
    as_json = run_cli("validate", str(path), "--municipality", "40216", "--json")

    assert text.returncode == as_json.returncode == 1
    for output in (text.stdout, text.stderr, as_json.stdout):
        assert ESC not in output and "\a" not in output and "\x9b" not in output
    assert "evil\\x1b]0;pwned\\x07\\x1b[31m.csv" in text.stdout
    assert "「\\x1b[2J\\x1b]0;title\\x07」を数値として読めません" in text.stdout
    report = json.loads(as_json.stdout)
    assert report["file"] == "evil\\x1b]0;pwned\\x07\\x1b[31m.csv"
    assert report["problems"][0]["raw"] == "\\x1b[2J\\x1b]0;title\\x07"
