"""A template belongs to its member (issue 10, item 3).

Real files through the real command line: a template written by ``kurume-hub template``,
filled with openpyxl as a member's staff would, sent as another member. The refusal names
both members and leaves no trace: no ledger line, no stored file, accepted data unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook

from orchestration.intake.readers import TEMPLATE_MEMBER_NAME
from tests.conftest import run_cli

OKAWA, OGORI = "40212", "40216"
REFUSAL_JA = ("この様式は大川市（40212）用です。小郡市（40216）として提出することはできません。"
              "自団体の様式をダウンロードして入力してください。")


def _template(tmp_path: Path, name: str, *member: str, dataset: str = "tourism_visitors") -> Path:
    out = tmp_path / name
    args = ["template", dataset, "--format", "xlsx", "--output", str(out)]
    if member:
        args += ["--municipality", member[0]]
    run_cli(*args, home=tmp_path / "template-home", check=True)
    return out


def _fill(path: Path, rows: list[list]) -> Path:
    wb = load_workbook(path)
    for row in rows:
        wb["データ"].append(row)
    wb.save(path)
    return path


def _home_with_ogori_data(tmp_path: Path) -> Path:
    """小郡市 has accepted tourism figures already: the refusal must leave them alone."""
    home = tmp_path / "home"
    own = _fill(_template(tmp_path, "ogori.xlsx", OGORI), [[2022, 608_000, ""]])
    run_cli("submit", str(own), "--municipality", OGORI, home=home, check=True)
    return home


def _trace(home: Path) -> tuple[bytes, list[str], list[str]]:
    submissions = home / "submissions"
    return ((submissions / "ledger.jsonl").read_bytes(),
            sorted(str(p.relative_to(submissions)) for p in (submissions / "files").rglob("*")),
            sorted(str(p.relative_to(submissions)) for p in (submissions / "records").rglob("*")))


def test_okawas_template_sent_as_ogori_is_refused_naming_both_and_nothing_is_recorded(
        tmp_path: Path):
    filled = _fill(_template(tmp_path, "okawa.xlsx", OKAWA),
                   [[2022, 640_000, ""], [2023, "780千人", ""]])
    home = _home_with_ogori_data(tmp_path)
    before = _trace(home)

    checked = run_cli("validate", str(filled), "--municipality", OGORI, home=home)
    submitted = run_cli("submit", str(filled), "--municipality", OGORI, "--json", home=home)
    english = run_cli("validate", str(filled), "--municipality", OGORI, "--lang", "en")

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert REFUSAL_JA in checked.stdout
    assert submitted.returncode == 1, submitted.stdout + submitted.stderr
    report = json.loads(submitted.stdout)
    assert not report["accepted"] and report["submission_id"] is None and not report["recorded"]
    assert [(p["code"], p["message"]) for p in report["problems"]] == [
        ("template_other_member", REFUSAL_JA)]
    assert _trace(home) == before  # no ledger line, no stored file, records unchanged
    assert english.returncode == 1
    assert ("This template was made for Okawa City (40212); it cannot be submitted as "
            "Ogori City (40216)") in english.stdout


def test_the_template_is_accepted_for_its_own_member_and_a_general_one_for_anyone(
        tmp_path: Path):
    rows = [[2022, 640_000, ""], [2023, "780千人", ""]]
    own = _fill(_template(tmp_path, "okawa.xlsx", OKAWA), rows)
    general = _fill(_template(tmp_path, "general.xlsx"), rows)

    assert run_cli("validate", str(own), "--municipality", OKAWA).returncode == 0
    for member in (OKAWA, OGORI):
        result = run_cli("validate", str(general), "--municipality", member)
        assert result.returncode == 0, result.stdout


def test_a_template_issued_before_the_defined_name_is_still_bound_by_its_keywords(
        tmp_path: Path):
    """Templates already downloaded carry the member only in the document keywords."""
    path = _template(tmp_path, "old.xlsx", OKAWA)
    wb = load_workbook(path)
    del wb.defined_names[TEMPLATE_MEMBER_NAME]
    wb["データ"].append([2023, 780_000, ""])
    wb.save(path)

    result = run_cli("validate", str(path), "--municipality", OGORI, "--json")

    assert result.returncode == 1
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["template_other_member"]


def test_a_csv_whose_rows_all_name_another_member_is_refused_and_not_recorded(
        tmp_path: Path):
    home = _home_with_ogori_data(tmp_path)
    before = _trace(home)
    path = tmp_path / "okawa.csv"
    path.write_text("年,観光入込客数（人）,団体コード\r\n2022,640000,40212\r\n2023,780000,大川市\r\n",
                    encoding="utf-8-sig")

    result = run_cli("submit", str(path), "--municipality", OGORI, "--json", home=home)

    assert result.returncode == 1, result.stdout + result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert [(p["code"], p["message"]) for p in problems] == [(
        "file_other_member",
        "このファイルの行はすべて大川市（40212）のものです。小郡市（40216）として提出することは"
        "できません。自団体のデータを自団体の様式で提出してください。")]
    assert _trace(home) == before


def test_a_csv_naming_its_own_member_is_accepted_and_the_code_is_not_stored(tmp_path: Path):
    home = tmp_path / "home"
    path = tmp_path / "ogori.csv"
    path.write_text("団体コード,年,観光入込客数（人）\r\n40216,2022,608000\r\n小郡市,2023,747000\r\n",
                    encoding="utf-8-sig")

    result = run_cli("submit", str(path), "--municipality", OGORI, home=home)

    assert result.returncode == 0, result.stdout + result.stderr
    (records,) = (home / "submissions" / "records").iterdir()
    rows = json.loads(records.read_text(encoding="utf-8"))
    assert [(r["calendar_year"], r["visitors"]) for r in rows] == [(2022, 608000), (2023, 747000)]
    assert all("municipality_code" not in r for r in rows)


def test_service_usage_whose_every_provider_is_another_member_is_one_clear_refusal(
        tmp_path: Path):
    """The contract's own must-be-submitter column, whole file: one error, not one per row."""
    path = tmp_path / "usage.csv"
    path.write_text("年度,サービス,提供市町コード,利用者の居住市町コード,利用者数（人）\r\n"
                    "R5年度,病児保育,40212,40216,120\r\nR5年度,病児保育,40212,40203,98\r\n",
                    encoding="utf-8-sig")
    home = tmp_path / "home"

    result = run_cli("submit", str(path), "--municipality", OGORI, "--json", home=home)

    assert result.returncode == 1
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["file_other_member"]
    ledger = home / "submissions" / "ledger.jsonl"
    assert not ledger.exists() or ledger.read_bytes() == b""
