"""The secretariat's commands check what they record, and a build with nothing new
publishes nothing new."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

OGORI = "40216"


def _acks(home: Path) -> bytes:
    path = home / "acknowledgements.jsonl"
    return path.read_bytes() if path.exists() else b""


@pytest.mark.parametrize(("kpi", "member", "period", "expected"), [
    ("tourist_visitor", OGORI, "CY2024", "「tourist_visitors」ではありませんか"),
    ("tourist_visitors", "40999", "CY2024", "団体コード 40999 は構成市町ではありません"),
    ("tourist_visitors", OGORI, "FY2024", "CY2024 ではありませんか"),
    ("tourist_visitors", OGORI, "CY2031", "小郡市の観光入込客数に CY2031 のデータはありません"),
    ("regional_gross_product", OGORI, "2024", "FY2024 の形式で指定してください"),
])
def test_acknowledge_refuses_what_could_never_match_and_writes_nothing(
        built_home: Path, kpi: str, member: str, period: str, expected: str):
    before = _acks(built_home)

    result = run_cli("acknowledge", "--kpi", kpi, "--municipality", member, "--period", period,
                     "--reason", "新型コロナウイルス感染症の影響", home=built_home)

    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert _acks(built_home) == before


def test_acknowledge_records_a_period_the_data_has(built_home: Path):
    result = run_cli("acknowledge", "--kpi", "tourist_visitors", "--municipality", OGORI,
                     "--period", "CY2021", "--reason", "イベント再開による回復（実数）",
                     home=built_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert b'"period": "CY2021"' in _acks(built_home)


def test_acknowledge_before_any_build_says_to_build_first(tmp_path: Path):
    home = tmp_path / "home"
    run_cli("init", home=home, check=True)

    result = run_cli("acknowledge", "--kpi", "tourist_visitors", "--municipality", OGORI,
                     "--period", "CY2021", "--reason", "イベント再開による回復", home=home)

    assert result.returncode == 2
    assert "まだ build されたデータがありません" in result.stderr
    assert _acks(home) == b""


def _releases(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "releases").rglob("*"))


def test_a_build_with_nothing_new_publishes_nothing(built_home: Path):
    latest = os.readlink(built_home / "releases" / "latest")
    before = _releases(built_home)

    again = run_cli("build", home=built_home)

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"変更はありません（公開版 {latest} のまま）" in again.stdout
    assert _releases(built_home) == before
    assert os.readlink(built_home / "releases" / "latest") == latest


def test_a_new_acknowledgement_is_something_new(built_home: Path):
    latest = os.readlink(built_home / "releases" / "latest")
    run_cli("acknowledge", "--kpi", "tourist_visitors", "--municipality", OGORI, "--period",
            "CY2021", "--reason", "イベント再開による回復（実数）", home=built_home, check=True)

    again = run_cli("build", home=built_home)

    assert again.returncode == 0, again.stdout + again.stderr
    assert "変更はありません" not in again.stdout
    assert os.readlink(built_home / "releases" / "latest") != latest
