"""Submitting and validating members' files through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tests.conftest import ROOT, run_cli


def _tourism_xlsx(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_text_in_visitors_is_rejected_naming_sheet_row_and_column(tmp_path: Path):
    bad = _tourism_xlsx(tmp_path / "ukiha.xlsx",
                        [[2022, 1_236_000, ""], [2023, "多数", ""], [2024, 1_575_000, ""]])
    home = tmp_path / "home"

    result = run_cli("submit", str(bad), "--municipality", "40225", home=home)

    assert result.returncode == 1
    assert "受付できません" in result.stdout
    line = next(x for x in result.stdout.splitlines() if "[エラー]" in x)
    assert "シート「データ」" in line and "3行目" in line and "列「観光入込客数（人）」" in line
    assert "「多数」" in line
    ledger = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8")
    assert json.loads(ledger.splitlines()[-1])["outcome"] == "rejected"
    assert not (home / "submissions" / "records").exists()


def test_english_json_report_lists_every_problem_at_once(tmp_path: Path):
    bad = _tourism_xlsx(tmp_path / "bad.xlsx", [[2023, -5, ""], [1990, 10, ""], [2023, 20, ""]])
    result = run_cli("validate", str(bad), "--municipality", "40225", "--json", "--lang", "en")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    codes = sorted(p["code"] for p in report["problems"] if p["severity"] == "error")
    assert codes == ["below_minimum", "year_out_of_range"]
    below = next(p for p in report["problems"] if p["code"] == "below_minimum")
    assert below["row"] == 2 and below["raw"] == "-5" and "minimum" in below["message"]


def test_same_file_twice_is_recognised_and_changes_nothing(tmp_path: Path):
    good = _tourism_xlsx(tmp_path / "okawa.xlsx", [[2023, 780_000, ""], [2024, 812_000, ""]])
    home = tmp_path / "home"
    first = run_cli("submit", str(good), "--municipality", "40212", home=home)
    assert first.returncode == 0, first.stdout + first.stderr
    ledger_before = (home / "submissions" / "ledger.jsonl").read_bytes()

    again = run_cli("submit", str(good), "--municipality", "40212", "--lang", "en", home=home)

    assert again.returncode == 0
    assert "already the current submission" in again.stdout and "nothing changed" in again.stdout
    assert (home / "submissions" / "ledger.jsonl").read_bytes() == ledger_before


def test_validate_does_not_import_dagster_dbt_or_great_expectations(tmp_path: Path):
    good = _tourism_xlsx(tmp_path / "ok.xlsx", [[2023, 780_000, ""]])
    probe = (
        "import sys\n"
        "from orchestration import cli\n"
        f"code = cli.main(['validate', {str(good)!r}, '--municipality', '40212'])\n"
        "heavy = [m for m in ('dagster', 'dbt', 'great_expectations', 'pandas')\n"
        "         if m in sys.modules]\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT)
    assert "HEAVY [] EXIT 0" in result.stdout, result.stdout + result.stderr


def test_template_has_japanese_headers_and_is_accepted_once_filled(tmp_path: Path):
    out = tmp_path / "tourism.xlsx"
    result = run_cli("template", "tourism_visitors", "--municipality", "40216",
                     "--output", str(out))
    assert result.returncode == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["データ", "記入方法"]
    assert [c.value for c in wb["データ"][1]] == ["年", "観光入込客数（人）", "備考"]
    assert any("40216 小郡市" in str(c.value) for row in wb["記入方法"].iter_rows()
               for c in row)
    wb["データ"].append([2023, "747千人", "実数"])
    wb.save(out)
    check = run_cli("validate", str(out), "--municipality", "40216")
    assert check.returncode == 0, check.stdout
    assert "747,000 人 に換算しました" in check.stdout


def test_unknown_municipality_is_a_rejection_and_missing_file_a_usage_error(tmp_path: Path):
    good = _tourism_xlsx(tmp_path / "ok.xlsx", [[2023, 780_000, ""]])
    result = run_cli("validate", str(good), "--municipality", "40130")
    assert result.returncode == 1 and "構成市町ではありません" in result.stdout
    missing = run_cli("validate", str(tmp_path / "nope.xlsx"), "--municipality", "40212")
    assert missing.returncode == 2 and "ファイルが見つかりません" in missing.stderr


def _kpi_csv(path: Path, rows: list[list[str]]) -> Path:
    header = ["KPI番号", "KPI名", "単位", "方向", "期間", "種別", "値", "備考"]
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_kpi_periods_written_as_year_ranges_are_read_as_cumulative(tmp_path: Path):
    good = _kpi_csv(tmp_path / "kpi.csv", [
        ["K1", "人口の社会増", "人", "higher", "2015年～2019年", "baseline", "1070人", ""],
        ["K1", "人口の社会増", "人", "higher", "R2年～R6年", "target", "740人", ""]])
    result = run_cli("validate", str(good), "--municipality", "40216", "--json")
    assert result.returncode == 0, result.stdout


def test_percent_saved_by_excel_as_a_fraction_is_flagged(tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.append(["KPI番号", "KPI名", "単位", "方向", "期間", "種別", "値", "備考"])
    ws.append(["K2", "就職率", "%", "higher", "FY2015", "actual", 0.129, ""])
    wb.save(tmp_path / "rate.xlsx")
    report = json.loads(run_cli("validate", str(tmp_path / "rate.xlsx"), "--municipality",
                                "40203", "--json").stdout)
    assert [p["code"] for p in report["problems"]] == ["percent_as_fraction"]


def test_a_member_cannot_name_itself_as_counterpart_of_its_moves(tmp_path: Path):
    moves = tmp_path / "moves.csv"
    moves.write_text("年,区分,相手地域コード,人数（人）\n2023,転入,40216,12\n", encoding="utf-8")
    report = json.loads(run_cli("validate", str(moves), "--municipality", "40216",
                                "--json").stdout)
    assert [p["code"] for p in report["problems"]] == ["own_code_as_counterpart"]


def test_oversized_file_is_recorded_but_not_stored(tmp_path: Path):
    big = _tourism_xlsx(tmp_path / "big.xlsx", [[2023, 780_000, "x" * 5000]])
    home = tmp_path / "home"
    result = run_cli("submit", str(big), "--municipality", "40212", "--max-bytes", "1000",
                     home=home)
    assert result.returncode == 1 and "大きすぎます" in result.stdout
    entry = json.loads((home / "submissions" / "ledger.jsonl").read_text().splitlines()[-1])
    assert entry["outcome"] == "rejected" and entry["stored_path"] == ""
    assert not any((home / "submissions" / "files").rglob("*.xlsx"))


def test_usage_errors_record_nothing(tmp_path: Path):
    good = _tourism_xlsx(tmp_path / "ok.xlsx", [[2023, 780_000, ""]])
    home = tmp_path / "home"
    for extra in (["--dataset", "foo"], ["--max-bytes", "0"]):
        result = run_cli("submit", str(good), "--municipality", "40212", *extra, home=home)
        assert result.returncode == 2, result.stdout + result.stderr
    assert not (home / "submissions" / "ledger.jsonl").exists()


def test_concurrent_submissions_of_one_file_land_once(tmp_path: Path):
    good = _tourism_xlsx(tmp_path / "same.xlsx", [[2023, 780_000, ""], [2024, 800_000, ""]])
    home = tmp_path / "home"
    run_cli("init", home=home, check=True)
    argv = [sys.executable, "-m", "orchestration.cli", "submit", str(good), "--municipality",
            "40212", "--home", str(home)]
    processes = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(4)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0, 0]
    lines = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
