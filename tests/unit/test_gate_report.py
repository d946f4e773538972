"""The gate's HTML report and the terminal lines: failures first, in Japanese, rows by name."""

from __future__ import annotations

from orchestration.quality.gate import Finding, GateResult, render_html
from orchestration.quality.report import row_text


def _finding(dataset, success, severity="error", rows=(), ja="検査", en="check"):
    return Finding(dataset=dataset, expectation="expect_column_values_to_be_between",
                   severity=severity, description_ja=ja, description_en=en, success=success,
                   unexpected=list(rows))


REVISION = {"suspicious": "True", "kpi_id": "tourist_visitors", "municipality_code": "40216",
            "period": "CY2025", "value": 812.0, "previous_value": 812000.0,
            "likely_unit_slip": "1/1000"}


def _page(findings) -> str:
    return render_html(GateResult(findings), release_id="20260101T000000Z-abc")


def test_failing_expectations_come_first_as_a_table_with_member_names():
    findings = [_finding("regional_kpis", True, ja=f"合格した検査 {i}") for i in range(60)]
    findings.append(_finding("member_revisions", False, rows=[REVISION],
                             ja="公開済みの値からの修正が 1/3〜3 倍の範囲"))

    page = _page(findings)

    failure = page.index("公開済みの値からの修正が 1/3〜3 倍の範囲")
    assert failure < page.index("合格した検査 0") and failure < page.index("<details>")
    table = page[failure:page.index("</table>", failure)]
    headers = ["KPI", "団体", "期間", "値", "前回の値", "単位の誤りの疑い"]
    assert [table.index(f"<th>{h}</th>") for h in headers] == sorted(
        table.index(f"<th>{h}</th>") for h in headers)
    assert "小郡市（40216）" in table and "観光入込客数（tourist_visitors）" in table
    assert ">812<" in table and ">812,000<" in table and "1/1000" in table
    assert "suspicious" not in table and "要確認" not in table  # implied by the heading
    assert "合格した検査（60 件）" in page and "20260101T000000Z-abc" in page


def test_warnings_follow_blocking_failures_and_a_passed_gate_says_so():
    page = _page([_finding("kpi_scorecard", False, severity="warning", ja="警告の検査"),
                  _finding("regional_kpis", False, ja="止めた検査"),
                  _finding("regional_kpis", True)])
    assert page.index("止めた検査") < page.index("警告の検査") < page.index("<details>")
    assert "不合格：公開を停止しました" in page

    passed = _page([_finding("kpi_scorecard", False, severity="warning", ja="警告の検査"),
                    _finding("regional_kpis", True)])
    assert "合格：公開できます" in passed and "公開を止めた検査（" not in passed


def test_report_escapes_what_the_data_contains():
    row = {"kpi_id": "<script>alert(1)</script>", "period": "CY2025", "value": 1.0}
    page = _page([_finding("regional_kpis", False, rows=[row], ja="<b>説明</b>")])
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>説明</b>" not in page


def test_rows_without_column_names_are_listed_as_values():
    page = _page([_finding("regional_kpis", False, rows=["CY20x5", None])])
    assert "<th>該当値</th>" in page and "CY20x5" in page


def test_terminal_line_names_the_member_and_the_previous_value():
    assert row_text(REVISION) == ("KPI：観光入込客数（tourist_visitors）、団体：小郡市（40216）、"
                                  "期間：CY2025、値：812、前回の値：812,000、単位の誤りの疑い：1/1000")
    assert "Member: Ogori City (40216)" in row_text(REVISION, "en")
