"""A release lists exactly the submissions its rows came from, and publishes nothing
personal or local: the municipality and the role, never a person's name, the OS user or the
home's path."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import signal
import time
from pathlib import Path

import pandas as pd

from tests.conftest import run_cli
from tests.integration.test_crash_recovery import (
    BOUND_SECONDS,
    PAUSED,
    _start_build,
    _text,
    _wait_until,
)

PERSON = "大刀洗町 総務課 佐藤花子"
SECRETARY = "事務局 山田太郎"


def _tourism_csv(path: Path, visitors_2025: str) -> Path:
    path.write_text("年,観光入込客数（人）,備考\n2024年,\"240,000\",\n"
                    f"2025年,\"{visitors_2025}\",改訂\n", encoding="utf-8")
    return path


def _submit(home: Path, path: Path, municipality: str, submitter: str | None = None) -> str:
    args = ["submit", str(path), "--municipality", municipality, "--json"]
    args += ["--submitter", submitter] if submitter else []
    result = run_cli(*args, home=home, check=True)
    return json.loads(result.stdout)["submission_id"]


def _published_files(home: Path, release_id: str) -> list[Path]:
    folders = [home / "releases" / release_id, home / "site"]
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def test_a_release_lists_exactly_the_submissions_its_rows_came_from(built_home: Path,
                                                                    tmp_path: Path):
    before = _submit(built_home, _tourism_csv(tmp_path / "a.csv", "251,000"), "40503", PERSON)
    log = tmp_path / "build.log"
    build = _start_build(built_home, log, "pause:during_intake")
    _wait_until(build, lambda: PAUSED in _text(built_home, log), "the intake pause")
    # Accepted while the build runs, after its intake took the ledger position.
    late = _submit(built_home, _tourism_csv(tmp_path / "b.csv", "253,000"), "40503")
    build.send_signal(signal.SIGUSR1)  # let the build go on
    deadline = time.monotonic() + BOUND_SECONDS
    while build.poll() is None and time.monotonic() < deadline:
        time.sleep(1)
    assert build.returncode == 0, _text(built_home, log)

    release = built_home / "releases" / os.readlink(built_home / "releases" / "latest")
    inputs = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))[
        "kurume:inputs"]
    listed = {i["submission_id"] for i in inputs}
    assert before in listed
    assert late not in listed
    indicators = pd.read_parquet(release / "data" / "municipal_indicators.parquet")
    rows = set(indicators["submission_id"])
    assert before in rows and late not in rows
    tachiarai_2025 = indicators[(indicators["municipality_code"] == "40503")
                                & (indicators["kpi_id"] == "tourist_visitors")
                                & (indicators["period"] == "CY2025")]
    assert list(tachiarai_2025["value"]) == [251_000]
    # every listed submission has rows in the release's sources, and the reverse
    import duckdb

    with duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True) as con:
        loaded = {sid for (sid,) in con.execute(
            "select distinct submission_id from raw.tourism_visitors").fetchall()}
    assert late not in loaded
    assert {i["submission_id"] for i in inputs if i["dataset"] == "tourism_visitors"} == loaded


def test_nothing_personal_or_local_is_published(built_home: Path, tmp_path: Path):
    _submit(built_home, _tourism_csv(tmp_path / "a.csv", "251,000"), "40503", PERSON)
    acks = built_home / "acknowledgements.jsonl"
    acks.write_text(acks.read_text(encoding="utf-8").replace('"sample-data"', f'"{SECRETARY}"'),
                    encoding="utf-8")
    result = run_cli("build", home=built_home, timeout=BOUND_SECONDS)
    assert result.returncode == 0, result.stdout + result.stderr
    release_id = os.readlink(built_home / "releases" / "latest")
    package = json.loads((built_home / "releases" / release_id / "datapackage.json")
                         .read_text(encoding="utf-8"))

    tachiarai = [i for i in package["kurume:inputs"] if i["municipality_code"] == "40503"
                 and i["dataset"] == "tourism_visitors"][-1]
    assert tachiarai["submitted_by"] == "member"
    assert tachiarai["municipality_name_ja"] == "大刀洗町"
    assert all("submitter" not in i for i in package["kurume:inputs"])
    assert package["kurume:acknowledgements"]
    assert {a["acknowledged_by"] for a in package["kurume:acknowledgements"]} == {"secretariat"}
    changes = (built_home / "releases" / release_id / "CHANGES.md").read_text(encoding="utf-8")
    assert "確認: 事務局、" in changes

    os_user = getpass.getuser()
    home_path = str(built_home.resolve()).encode()
    for path in _published_files(built_home, release_id):
        data = path.read_bytes()
        assert "佐藤花子".encode() not in data, path
        assert "山田太郎".encode() not in data, path
        if path.name == "report.pdf":
            continue  # compressed streams; its file:// link is the PDF change's own test
        assert home_path not in data, path
        if not path.name.startswith("plotly"):  # the vendored library's source mentions it
            assert b"file://" not in data, path
    for path in (built_home / "releases" / release_id).rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert f'"{os_user}"' not in text, path
    assert PERSON in (built_home / "submissions" / "ledger.jsonl").read_text(encoding="utf-8")


def test_full_width_formula_signs_are_neutralised_in_published_csvs():
    from orchestration.publication.catalog import PUBLISHED
    from orchestration.publication.files import csv_bytes, escape_text

    for text in ("＝1+2", "＋81-90", "－5", "＠SUM(A1)", "﹦1+2", "=1+2"):
        assert escape_text(text) == "'" + text
    assert escape_text("大刀洗町") == "大刀洗町"
    dataset = next(d for d in PUBLISHED if any(f.type == "string" and f.name.endswith("name_ja")
                                               for f in d.fields))
    name_field = next(f.name for f in dataset.fields
                      if f.type == "string" and f.name.endswith("name_ja"))
    row = {f.name: ("1" if f.type != "string" else "x") for f in dataset.fields}
    row[name_field] = "＝1+2"
    frame = pd.DataFrame([row])
    text = csv_bytes(frame, dataset).decode("utf-8-sig")
    (record,) = list(csv.DictReader(io.StringIO(text)))
    assert record[name_field] == "'＝1+2"
