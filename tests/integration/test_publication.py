"""Write-Audit-Publish: what the public sees is complete, audited and explainable."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import ROOT, run_cli
from tests.integration.test_pipeline import _tree_digest

CRASH_HARNESS = """
import sys
from orchestration.home import Home
from orchestration.publication.release import clear_stale_candidates, promote, write_candidate
from orchestration.quality.gate import read_candidate_frames, run_gate
home = Home.resolve(sys.argv[1])
clear_stale_candidates(home)
frames = read_candidate_frames(home.latest.resolve())
candidate = write_candidate(home, frames, [])
run_gate(candidate.path)
promote(home, candidate)
"""


def _visible_releases(home: Path) -> set[str]:
    return {p.name for p in (home / "releases").iterdir() if not p.name.startswith(".")}


def test_datapackage_is_a_valid_frictionless_data_package(demo_home: Path):
    from frictionless import Package

    package_path = demo_home / "releases" / "latest" / "datapackage.json"
    report = Package(str(package_path)).validate()
    assert report.valid, report.flatten(["type", "message"])[:5]
    package = json.loads(package_path.read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert any("久留米市" in s["title"] for s in package["sources"])
    for resource in package["resources"]:
        assert re.search(r"[ぁ-んァ-ン一-龥]", resource["title"]) and " / " in resource["title"]
        for field in resource["schema"]["fields"]:
            assert field["title"] and field["kurume:title_en"], field["name"]
    assert package["kurume:code_version"]
    assert all(len(i["sha256"]) == 64 for i in package["kurume:inputs"])


def test_published_csvs_are_excel_safe_and_never_scientific(demo_home: Path):
    latest = demo_home / "releases" / "latest"
    data = latest / "data"
    package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    plain_number = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
    for resource in package["resources"]:
        raw = (latest / resource["path"]).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), resource["path"]
        numeric = {f["name"] for f in resource["schema"]["fields"]
                   if f["type"] in ("number", "integer")}
        rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
        assert rows, resource["path"]
        for row in rows:
            for name, cell in row.items():
                if name in numeric and cell:
                    assert plain_number.match(cell), f"{resource['path']} {name}={cell}"
                assert not cell.startswith(("=", "+", "@")), f"{resource['path']} {name}={cell}"
    gdp = [r for r in csv.DictReader(
        (data / "regional_kpis.csv").read_text(encoding="utf-8-sig").splitlines())
        if r["kpi_id"] == "regional_gross_product" and r["period"] == "FY2022"]
    assert gdp[0]["value"] == "1504800000000"


@pytest.mark.parametrize("point", ["after_data", "after_audit", "during_promotion"])
def test_a_crash_at_any_publication_step_leaves_latest_untouched(built_home: Path, point: str):
    latest = os.readlink(built_home / "releases" / "latest")
    before = _tree_digest(built_home / "releases" / latest)
    visible = _visible_releases(built_home)
    env = {**os.environ, "KURUME_HUB_FAULT": point}

    crashed = subprocess.run([sys.executable, "-c", CRASH_HARNESS, str(built_home)], env=env,
                             cwd=ROOT, capture_output=True, text=True)

    assert crashed.returncode == 70, crashed.stderr
    assert os.readlink(built_home / "releases" / "latest") == latest
    assert _tree_digest(built_home / "releases" / latest) == before
    new = _visible_releases(built_home) - visible
    if point == "during_promotion":
        # renamed into place complete and audited, but never pointed at
        (folder,) = [built_home / "releases" / n for n in new]
        assert (folder / "validation" / "results.json").exists()
        assert (folder / "datapackage.json").exists()
    else:
        assert not new
    # the same step without the fault finishes and moves latest
    again = subprocess.run([sys.executable, "-c", CRASH_HARNESS, str(built_home)], cwd=ROOT,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert os.readlink(built_home / "releases" / "latest") != latest
    assert not list((built_home / "releases" / ".candidates").iterdir())


def test_a_build_after_a_crash_succeeds(built_home: Path):
    env_crash = {**os.environ, "KURUME_HUB_FAULT": "after_data"}
    crashed = subprocess.run([sys.executable, "-c", CRASH_HARNESS, str(built_home)],
                             env=env_crash, cwd=ROOT, capture_output=True, text=True)
    assert crashed.returncode == 70
    assert list((built_home / "releases" / ".candidates").iterdir()), "leftover expected"
    result = run_cli("build", home=built_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list((built_home / "releases" / ".candidates").iterdir())


def _ogori_tourism(path: Path, cy2025: object) -> Path:
    """Ogori resends its two latest years; CY2025 typed in 千人 into the 人 column."""
    wb = Workbook()
    ws = wb.active
    ws.title = "データ"
    ws.append(["年", "観光入込客数（人）", "備考"])
    ws.append([2024, 790_000, ""])
    ws.append([2025, cy2025, "千人単位のまま入力"])
    wb.save(path)
    return path


def test_unacknowledged_thousandfold_change_blocks_until_acknowledged(built_home: Path,
                                                                      tmp_path: Path):
    latest = os.readlink(built_home / "releases" / "latest")
    before = _tree_digest(built_home / "releases" / latest)
    # 812 typed into the 人 column for 812千人: a thousandth of the year before.
    bad = _ogori_tourism(tmp_path / "ogori_2025.xlsx", 812)
    submitted = run_cli("submit", str(bad), "--municipality", "40216", home=built_home)
    assert submitted.returncode == 0  # intake only warns ...
    assert "前回 812,000 人 → 今回 812 人（1/1000）" in submitted.stdout

    blocked = run_cli("build", home=built_home)

    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    assert "小郡市" in blocked.stderr and "CY2025" in blocked.stderr
    assert "前年比が 1/3〜3 倍の範囲" in blocked.stderr
    assert os.readlink(built_home / "releases" / "latest") == latest
    assert _tree_digest(built_home / "releases" / latest) == before

    ack = run_cli("acknowledge", "--kpi", "tourist_visitors", "--municipality", "40216",
                  "--period", "CY2025", "--reason", "テスト: 値は事実として確認済み",
                  "--by", "事務局 テスト", home=built_home)
    assert ack.returncode == 0, ack.stderr
    published = run_cli("build", home=built_home)
    assert published.returncode == 0, published.stdout + published.stderr
    new_latest = built_home / "releases" / "latest"
    changes = (new_latest / "CHANGES.md").read_text(encoding="utf-8")
    assert "テスト: 値は事実として確認済み" in changes and "確認: 事務局、" in changes
    assert "事務局 テスト" not in changes  # the role is published, never the person (issue 11)
    assert "CY2025: 812,000 → 812（小郡市の再提出 ogori_2025.xlsx" in changes
    package = json.loads((new_latest / "datapackage.json").read_text(encoding="utf-8"))
    assert [a["period"] for a in package["kurume:acknowledgements"]
            if a["municipality_code"] == "40216"] == ["CY2020", "CY2025"]


def test_releases_lists_status_and_rollback_repoints_latest(built_home: Path, tmp_path: Path):
    first = os.readlink(built_home / "releases" / "latest")
    revised = _ogori_tourism(tmp_path / "ogori_2025.xlsx", 815_000)  # something new to publish
    run_cli("submit", str(revised), "--municipality", "40216", home=built_home, check=True)
    assert run_cli("build", home=built_home).returncode == 0
    second = os.readlink(built_home / "releases" / "latest")
    listing = json.loads(run_cli("releases", "--json", home=built_home).stdout)
    status = {r["release_id"]: r["status"] for r in listing}
    assert status[second] == "latest" and status[first] == "published"

    rolled = run_cli("rollback", first, home=built_home)

    assert rolled.returncode == 0, rolled.stderr
    assert os.readlink(built_home / "releases" / "latest") == first
    assert first in (built_home / "site" / "index.html").read_text(encoding="utf-8")
    unknown = run_cli("rollback", "../../etc", home=built_home)
    assert unknown.returncode == 2 and os.readlink(built_home / "releases" / "latest") == first
