"""Revisions are checked, and re-sending an earlier file restores it (issue: numbers the
area can trust). A member re-sends its tourism series typed in 千人 without the unit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from tests.conftest import ROOT, run_cli

OGORI = "40216"
SAMPLE = ROOT / "sources" / "areas" / "kurume" / "samples" / OGORI / "tourism_visitors.xlsx"
# Ogori's sample series in thousands, as the sample file prints them ("747千人").
THOUSANDS = {2019: 760, 2020: 240, 2021: 344, 2022: 608, 2023: 747, 2024: 790, 2025: 812}


def _tourism(path: Path, values: dict[int, object]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    for year, value in values.items():
        ws.append([year, value, None])
    wb.save(path)
    return path


def _ledger(home: Path) -> list[dict]:
    text = (home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_unit_slip_in_a_resubmission_is_a_warning_naming_the_likely_unit(tmp_path: Path):
    home = tmp_path / "home"
    persons = _tourism(tmp_path / "persons.xlsx", {y: v * 1000 for y, v in THOUSANDS.items()})
    run_cli("submit", str(persons), "--municipality", OGORI, home=home, check=True)
    slip = _tourism(tmp_path / "slip.xlsx", THOUSANDS)

    result = run_cli("validate", str(slip), "--municipality", OGORI, "--json", home=home)

    report = json.loads(result.stdout)
    revisions = [p for p in report["problems"] if p["code"] == "suspicious_revision"]
    assert len(revisions) == len(THOUSANDS)
    assert all(p["severity"] == "warning" for p in revisions)
    by_row = {p["row"]: p["message"] for p in revisions}
    assert by_row[6] == ("2023年: 前回 747,000 人 → 今回 747 人（1/1000）。"
                         "単位「千人」の書き忘れではありませんか。")
    plain = run_cli("submit", str(slip), "--municipality", OGORI, home=home)
    assert plain.returncode == 0  # a warning: the gate decides, the member is told at once
    assert "単位「千人」の書き忘れではありませんか" in plain.stdout
    assert "[警告]" in plain.stdout


def test_a_slipped_year_next_to_accepted_years_names_the_likely_unit(tmp_path: Path):
    home = tmp_path / "home"
    history = _tourism(tmp_path / "history.xlsx", {2022: 608_000, 2023: 747_000})
    run_cli("submit", str(history), "--municipality", OGORI, home=home, check=True)
    new_year = _tourism(tmp_path / "2024.xlsx", {2024: 790})

    result = run_cli("validate", str(new_year), "--municipality", OGORI, "--json", home=home)

    problems = json.loads(result.stdout)["problems"]
    change = next(p for p in problems if p["code"] == "suspicious_change")
    assert change["message"] == ("2024年: 790 人 は前年（2023年: 747,000 人）の 1/1000 です。"
                                 "単位「千人」の書き忘れではありませんか。")


def test_resending_an_earlier_file_restores_it_and_the_current_file_is_a_no_op(tmp_path: Path):
    home = tmp_path / "home"
    good = _tourism(tmp_path / "good.xlsx", {y: v * 1000 for y, v in THOUSANDS.items()})
    slip = _tourism(tmp_path / "slip.xlsx", THOUSANDS)
    first = run_cli("submit", str(good), "--municipality", OGORI, "--json", home=home)
    run_cli("submit", str(slip), "--municipality", OGORI, home=home, check=True)

    again = run_cli("submit", str(good), "--municipality", OGORI, home=home)

    assert again.returncode == 0, again.stdout + again.stderr
    first_id = json.loads(first.stdout)["submission_id"]
    assert f"以前の提出（{first_id}）と同じ内容です" in again.stdout
    assert "復元しました" in again.stdout
    entries = _ledger(home)
    assert len(entries) == 3
    assert entries[-1]["restores"] == first_id
    assert entries[-1]["submission_id"] != first_id  # a new submission, same stored file
    assert entries[-1]["sha256"] == entries[0]["sha256"]
    records = json.loads((home / "submissions" / "records"
                          / f"{entries[-1]['submission_id']}.json").read_text(encoding="utf-8"))
    assert {r["calendar_year"]: r["visitors"] for r in records} == {
        y: v * 1000 for y, v in THOUSANDS.items()}

    current = run_cli("submit", str(good), "--municipality", OGORI, home=home)

    assert current.returncode == 0
    assert "現在の提出内容" in current.stdout and "変更はありません" in current.stdout
    assert len(_ledger(home)) == 3


def test_a_unit_slip_is_stopped_at_the_gate_and_resending_the_earlier_file_restores_it(
        built_home: Path, tmp_path: Path):
    home = built_home
    latest_before = os.readlink(home / "releases" / "latest")
    published = pd.read_csv(home / "releases" / "latest" / "data" / "regional_kpis.csv",
                            dtype={"period": str})
    area_2023 = published.query("kpi_id == 'tourist_visitors' and period == 'CY2023'")["value"]
    slip = _tourism(tmp_path / "slip.xlsx", THOUSANDS)
    run_cli("submit", str(slip), "--municipality", OGORI, home=home, check=True)

    blocked = run_cli("build", home=home)

    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert os.readlink(home / "releases" / "latest") == latest_before
    rejected = sorted((home / "releases" / "rejected").iterdir())[-1]
    results = json.loads((rejected / "validation" / "results.json").read_text(encoding="utf-8"))
    failed = [f for f in results["findings"] if f["dataset"] == "member_revisions"
              and not f["success"]]
    assert failed and failed[0]["severity"] == "error"
    row_2023 = next(r for r in failed[0]["unexpected"] if r["period"] == "CY2023")
    assert (row_2023["kpi_id"], row_2023["municipality_code"]) == ("tourist_visitors", OGORI)
    assert (float(row_2023["value"]), float(row_2023["previous_value"])) == (747, 747_000)
    assert row_2023["likely_unit_slip"] == "1/1000"

    restore = run_cli("submit", str(SAMPLE), "--municipality", OGORI, home=home)
    assert restore.returncode == 0 and "復元しました" in restore.stdout
    published_again = run_cli("build", home=home)

    assert published_again.returncode == 0, published_again.stdout + published_again.stderr
    latest = home / "releases" / "latest"
    assert os.readlink(latest) != latest_before
    after = pd.read_csv(latest / "data" / "regional_kpis.csv", dtype={"period": str})
    assert after.query("kpi_id == 'tourist_visitors' and period == 'CY2023'")["value"].tolist() \
        == area_2023.tolist()
