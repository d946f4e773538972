"""What a person at the keyboard sees from `kurume-hub build` and `demo`: one line per stage,
the outcome, and where the full log is; no dbt lines, Dagster warnings or stack traces."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_cli
from tests.integration.test_publication import _ogori_tourism

STAGES_JA = ("取り込み", "dbt", "品質検査", "公開", "ダッシュボード")


def _submit(home: Path, path: Path) -> None:
    run_cli("submit", str(path), "--municipality", "40216", home=home, check=True)


def _log_file(output: str, label: str = "ログ") -> Path:
    match = re.search(rf"^{label}: (.+\.log)$", output, re.M)
    assert match, output
    return Path(match.group(1))


def test_build_prints_one_line_per_stage_and_names_the_log_file(built_home: Path,
                                                                 tmp_path: Path):
    _submit(built_home, _ogori_tourism(tmp_path / "ogori.xlsx", 815_000))

    result = run_cli("build", home=built_home)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) <= 15, result.stdout
    stage_lines = [line for line in lines if re.match(r"^  \[\d/5\] ", line)]
    assert [next(s for s in STAGES_JA if s in line) for line in stage_lines] == list(STAGES_JA)
    assert re.search(r"\[2/5\] dbt (\d+)/\1 … 完了", result.stdout), result.stdout
    assert "公開しました: releases/" in result.stdout
    assert "\r" not in result.stdout  # not a terminal: plain lines, no redrawing
    assert result.stderr == ""  # no Dagster warnings, no library notices
    assert " of 220 " not in result.stdout and "dagster - " not in result.stdout
    log = _log_file(result.stdout)
    assert log.parent == built_home.resolve() / "logs" and log.name.startswith("build-")
    text = log.read_text(encoding="utf-8")
    assert re.search(r"\d+ of \d+ OK created sql table model", text)  # dbt's own output
    assert "Completed successfully" in text
    assert "STEP_SUCCESS" in text  # Dagster's console logger (step events)


def test_blocked_build_prints_the_failures_in_japanese_and_no_traceback(built_home: Path,
                                                                        tmp_path: Path):
    _submit(built_home, _ogori_tourism(tmp_path / "ogori.xlsx", 812))  # 812 for 812 千人

    result = run_cli("build", home=built_home)

    assert result.returncode == 3, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "dagster._core" not in output
    assert len(output.splitlines()) <= 15, output
    assert "[3/5] 品質検査 … 不合格・公開停止" in result.stdout
    assert "団体：小郡市（40216）" in result.stderr and "期間：CY2025" in result.stderr
    assert "前回の値：812,000" in result.stderr
    report = Path(re.search(r"^検査レポート: (.+)$", result.stderr, re.M).group(1))
    assert _log_file(result.stderr).exists()

    page = report.read_text(encoding="utf-8")
    first_failure = page.index('<section class="finding error">')
    assert first_failure < page.index("合格した検査")  # failing expectations first
    failing = page[first_failure:page.index("合格した検査")]
    assert "<th>団体</th>" in failing and "<th>前回の値</th>" in failing
    assert "小郡市（40216）" in failing and "観光入込客数" in failing
    assert "812,000" in failing
    assert '"municipality_code"' not in page  # no raw JSON rows


def test_failed_build_names_the_step_and_the_log_without_traceback(built_home: Path,
                                                                    tmp_path: Path):
    _submit(built_home, _ogori_tourism(tmp_path / "ogori.xlsx", 815_000))
    # A damaged records file (the normalised rows of that submission): the intake step that
    # loads it fails mid-run. (A damaged warehouse is caught before the run starts.)
    records = max((built_home / "submissions" / "records").iterdir(),
                  key=lambda p: p.stat().st_mtime)
    records.write_text("[{not json", encoding="utf-8")

    result = run_cli("build", home=built_home)

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "[1/5] 取り込み … 失敗" in result.stdout
    failed = [line for line in result.stderr.splitlines() if "が失敗しました" in line]
    assert len(failed) == 1 and re.match(r"^ステップ raw__\w+ が失敗しました: \S", failed[0])
    assert "ビルドに失敗しました（公開は行っていません）" in result.stderr
    reason = failed[0].split("が失敗しました: ", 1)[1]
    log = _log_file(result.stderr).read_text(encoding="utf-8")
    assert reason.rstrip("…")[:80] in log and "Stack Trace:" in log  # details kept there


def test_demo_fresh_starts_from_the_samples_only_and_prints_compactly(built_home: Path,
                                                                      tmp_path: Path):
    _submit(built_home, _ogori_tourism(tmp_path / "ogori.xlsx", 815_000))
    ledger = built_home / "submissions" / "ledger.jsonl"
    assert len(ledger.read_text(encoding="utf-8").splitlines()) == 44

    result = run_cli("demo", "--fresh", home=built_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(ledger.read_text(encoding="utf-8").splitlines()) == 43
    assert "既存のホームを削除しました" in result.stdout
    assert "  小郡市（40216）: 受付 7 件" in result.stdout  # one line per member
    assert len(result.stdout.splitlines()) <= 22, result.stdout
    assert "ダッシュボード: " in result.stdout and result.stderr == ""


def test_demo_fresh_refuses_to_delete_a_folder_that_is_not_a_home(tmp_path: Path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "予算.xlsx").write_bytes(b"someone's file")

    result = run_cli("demo", "--fresh", home=folder)

    assert result.returncode == 2
    assert "kurume-hub のホームではないため削除しません" in result.stderr
    assert (folder / "予算.xlsx").read_bytes() == b"someone's file"


def test_loading_the_samples_again_does_not_undo_a_later_submission(built_home: Path,
                                                                    tmp_path: Path):
    """`demo`/`init --sample` on a used home: re-sending a sample would restore it."""
    _submit(built_home, _ogori_tourism(tmp_path / "ogori.xlsx", 815_000))
    ledger = built_home / "submissions" / "ledger.jsonl"
    before = ledger.read_text(encoding="utf-8")

    result = run_cli("init", "--sample", home=built_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert ledger.read_text(encoding="utf-8") == before
    assert "  小郡市（40216）: 受付 0 件、登録済み 7 件" in result.stdout
    assert "サンプル提出 43 件: 受付 0 件、登録済み 43 件、却下 0 件。" in result.stdout
