"""Contracts are the single definition: dbt sources are generated from them."""

from __future__ import annotations

from orchestration.intake.contracts import load_contracts, normalize_header
from orchestration.intake.dbt_sources import SOURCES_YML, render_sources_yaml


def test_committed_dbt_sources_match_the_contracts():
    assert SOURCES_YML.read_text(encoding="utf-8") == render_sources_yaml(), (
        "run: python -m orchestration.intake.dbt_sources")


def test_header_matching_folds_width_case_and_spaces():
    assert normalize_header(" 観光入込客数（人） ") == normalize_header("観光入込客数(人)")
    assert normalize_header("ＶＩＳＩＴＯＲＳ") == "visitors"


def test_tourism_contract_declares_key_and_required_columns():
    contract = load_contracts()["tourism_visitors"]
    assert contract.key == ("calendar_year",)
    assert [c.name for c in contract.required_columns] == ["calendar_year", "visitors"]
    assert contract.column("visitors").unit == "人"


def test_stored_names_drop_paths_and_direction_overrides():
    from orchestration.intake.ledger import safe_original_name

    assert safe_original_name("../../etc/passwd") == "passwd"
    assert safe_original_name("C:\\Users\\x\\report\u202Excod.xlsx") == "reportxcod.xlsx"
    assert safe_original_name("\x00\x01") == "unnamed"


def test_dbt_manifest_is_prepared_safely_by_concurrent_loads():
    """dagster dev, the CLI and tests may all load the definitions at once."""
    import json
    import subprocess
    import sys

    from orchestration.dbt_manifest import MANIFEST
    from orchestration.home import PROJECT_ROOT

    MANIFEST.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "orchestration.dbt_manifest"]
    processes = [subprocess.Popen(argv, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
                 for _ in range(3)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0, 0]
    assert json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
