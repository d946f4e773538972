"""The whole path, as a user runs it: sample submissions -> release -> dashboard."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from pathlib import Path

from tests.conftest import run_cli


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_demo_publishes_tourist_visitors_cy2023_as_9028000(demo_home: Path):
    latest = demo_home / "releases" / "latest"
    assert latest.is_symlink()
    data = latest / "data" / "regional_kpis.csv"
    assert data.read_bytes().startswith(b"\xef\xbb\xbf"), "CSV must carry a BOM for Excel"
    rows = {(r["kpi_id"], r["period"]): r for r in _rows(data)}
    assert rows[("tourist_visitors", "CY2023")]["value"] == "9028000"
    assert rows[("tourist_visitors", "CY2023")]["unit"] == "persons"
    assert (latest / "data" / "regional_kpis.parquet").stat().st_size > 0
    package = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "regional_kpis")
    assert resource["path"] == "data/regional_kpis.csv"
    assert resource["kurume:parquet"]["path"] == "data/regional_kpis.parquet"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert {i["dataset"] for i in package["kurume:inputs"]} >= {"tourism_visitors"}


def test_published_member_values_trace_back_to_their_submission(demo_home: Path):
    latest = demo_home / "releases" / "latest"
    members = _rows(latest / "data" / "municipal_indicators.csv")
    ogori = next(r for r in members if r["municipality_code"] == "40216"
                 and r["period"] == "CY2023" and r["kpi_id"] == "tourist_visitors")
    # 小郡市 typed "747千人"; intake converted it to persons.
    assert ogori["value"] == "747000"
    ledger = [json.loads(line) for line in
              (demo_home / "submissions" / "ledger.jsonl").read_text().splitlines()]
    entry = next(e for e in ledger if e["submission_id"] == ogori["submission_id"])
    stored = demo_home / entry["stored_path"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == ogori["source_sha256"]
    assert ogori["source_sheet"] == "データ" and int(ogori["source_row"]) == 6


def test_code_columns_stay_text_in_csv_and_parquet(demo_home: Path):
    import pandas as pd

    latest = demo_home / "releases" / "latest" / "data"
    text = (latest / "municipal_indicators.csv").read_text(encoding="utf-8-sig")
    assert ",40203," in text and "40203.0" not in text
    frame = pd.read_parquet(latest / "municipal_indicators.parquet")
    assert set(frame["municipality_code"]) == {"40203", "40212", "40216", "40225", "40503", "40522"}


def test_dashboard_embeds_plotly_and_loads_nothing_from_the_network(demo_home: Path):
    index = demo_home / "site" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert '<script src="assets/plotly.min.js"></script>' in page
    assert (demo_home / "site" / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", page)
    assert "観光入込客数" in page and "目標経路" in page


def test_gate_blocks_a_negative_count_and_leaves_latest_untouched(built_home: Path):
    latest_target = os.readlink(built_home / "releases" / "latest")
    before = _tree_digest(built_home / "releases" / latest_target)
    # A value that bypassed intake (e.g. a damaged record) reaches the audit negative.
    records_file = next((built_home / "submissions" / "records").glob(
        "40225-tourism_visitors-*.json"))
    records = json.loads(records_file.read_text(encoding="utf-8"))
    records[0]["visitors"] = -1500.0
    records_file.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")

    result = run_cli("build", home=built_home)

    assert result.returncode == 3, result.stdout + result.stderr
    assert "品質検査で公開を停止しました" in result.stderr
    assert "値が負でない" in result.stderr
    assert os.readlink(built_home / "releases" / "latest") == latest_target
    assert _tree_digest(built_home / "releases" / latest_target) == before
    rejected = list((built_home / "releases" / "rejected").iterdir())
    assert len(rejected) == 1
    report = json.loads((rejected[0] / "validation" / "results.json").read_text())
    assert report["passed"] is False
    assert (rejected[0] / "validation" / "index.html").exists()
    assert (rejected[0] / "data" / "regional_kpis.csv").exists()
    assert not [p for p in (built_home / "releases" / ".candidates").iterdir()]


def test_a_rebuild_from_the_ledger_publishes_identical_data_files(built_home: Path):
    first = os.readlink(built_home / "releases" / "latest")
    result = run_cli("build", "--rebuild-warehouse", "--lang", "en", home=built_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Published release" in result.stdout
    second = os.readlink(built_home / "releases" / "latest")
    assert second != first  # a new release id (new timestamp) ...
    assert second.split("-")[-1] == first.split("-")[-1]  # ... with the same content hash
    assert (_tree_digest(built_home / "releases" / first / "data")
            == _tree_digest(built_home / "releases" / second / "data"))
