"""Templates a member's staff fill in, and the bundled sample submissions made from them.

Real files only: templates written by ``write_template``, filled with openpyxl the way a
member's spreadsheet would be, checked by ``kurume-hub validate`` in a fresh process; the
samples are read through the intake's own ``validate_file``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orchestration.intake.contracts import (
    code_lookup,
    get_contract,
    load_contracts,
    municipalities,
    normalize_header,
    participation,
)
from orchestration.intake.readers import INSTRUCTION_SHEETS, read_table
from orchestration.intake.templates import DATA_SHEET, INSTRUCTIONS_SHEET, write_template
from orchestration.intake.validate import validate_file
from tests.conftest import ROOT, run_cli

SAMPLES = ROOT / "sources" / "areas" / "kurume" / "samples"
DATASETS = sorted(load_contracts())
MEMBERS = sorted(municipalities())
KURUME, OKAWA, OGORI = "40203", "40212", "40216"
# The member whose sample refills a template in the CLI check: the CSV senders where there
# is one (their cells are text such as "2019年" and "1,234"), else the richest file.
CLI_REFILL_MEMBER = {
    "kpi_records": OGORI, "municipal_gross_product": OKAWA, "pedestrian_counts": KURUME,
    "population_moves": OKAWA, "project_budgets": "40503", "service_usage": "40503",
    "tourism_visitors": OKAWA, "university_collaborations": "40522",
}


def _submitter(dataset: str) -> str:
    return get_contract(dataset).submitters[0] if get_contract(dataset).submitters else OGORI


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("[0-9]*/*") if p.suffix in (".xlsx", ".csv"))


def _dropdowns(workbook) -> dict[str, list[str]]:
    """Data-sheet column letter -> the values its list validation offers."""
    ws = workbook[DATA_SHEET]
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        formula = dv.formula1
        if formula.startswith('"'):
            values = formula.strip('"').split(",")
        else:  # a defined name pointing at the list sheet
            sheet, cells = workbook.defined_names[formula].attr_text.split("!")
            rows = workbook[sheet.strip("'")][cells.replace("$", "")]
            values = [row[0].value for row in rows]
        for ref in str(dv.sqref).split():
            out[ref.split(":")[0].rstrip("0123456789")] = values
    return out


def _letter(dataset: str, column: str) -> str:
    names = [c.name for c in get_contract(dataset).columns]
    return "ABCDEFGHIJ"[names.index(column)]


def _refill(sample: Path, member: str, dataset: str, out: Path) -> Path:
    """The member's sample rows typed into a fresh template (cells as the sample holds them)."""
    table = read_table(sample)
    write_template(dataset, out, "xlsx", member)
    wb = load_workbook(out)
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]] == table.headers
    for offset, (_, cells) in enumerate(table.rows, start=2):
        for index, value in enumerate(cells):
            if value not in (None, ""):
                ws.cell(row=offset, column=index + 1, value=value)
    wb.save(out)
    return out


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("dataset", DATASETS)
def test_xlsx_template_puts_japanese_headers_on_the_first_sheet_with_instructions(
        dataset: str, tmp_path: Path):
    contract = get_contract(dataset)
    path = write_template(dataset, tmp_path / f"{dataset}.xlsx", "xlsx", _submitter(dataset))

    wb = load_workbook(path)
    assert wb.sheetnames[0] == DATA_SHEET
    assert all(name in INSTRUCTION_SHEETS for name in wb.sheetnames[1:])
    assert [c.value for c in wb[DATA_SHEET][1]] == [c.ja for c in contract.columns]
    # 記入方法 lists every column: header, 必須/任意, unit, how to write it, description, name.
    listed = {row[5]: row for row in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True)
              if len(row) > 5 and row[1] in ("必須", "任意")}
    for col in contract.columns:
        row = listed[col.name]
        assert row[0] == col.ja and row[1] == ("必須" if col.required else "任意")
        assert (row[2] or None) == col.unit and row[3] and row[4]
    # A blank template reads as the right headers and no rows: nothing is pre-filled.
    table = read_table(path)
    assert table.sheet == DATA_SHEET and table.headers == [c.ja for c in contract.columns]
    assert table.rows == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_xlsx_template_offers_dropdowns_the_validator_accepts_on_every_code_column(
        dataset: str, tmp_path: Path):
    contract = get_contract(dataset)
    path = write_template(dataset, tmp_path / f"{dataset}.xlsx", "xlsx")
    wb = load_workbook(path)
    dropdowns = _dropdowns(wb)
    instructions = list(wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True))
    for col in contract.columns:
        letter = _letter(dataset, col.name)
        fmt = wb[DATA_SHEET].column_dimensions[letter].number_format
        assert fmt == {"year": "0", "quantity": "#,##0"}.get(col.type, "@"), col.name
        if col.type != "code":
            assert letter not in dropdowns
            continue
        values = dropdowns[letter]
        assert values, col.name
        lookup = code_lookup(col)
        assert {lookup[normalize_header(v)] for v in values} == set(lookup.values())
        # Every allowed code is listed in 記入方法 with its Japanese label.
        listed = {(row[0], row[2]): row[3] for row in instructions if row[0] == col.ja
                  and len(row) > 3 and row[2]}
        assert {code for (_, code) in listed} == set(lookup.values())


def test_long_code_lists_live_on_the_hidden_list_sheet_not_inline(tmp_path: Path):
    path = write_template("population_moves", tmp_path / "moves.xlsx", "xlsx", OGORI)
    wb = load_workbook(path)
    counterpart = next(dv for dv in wb[DATA_SHEET].data_validations.dataValidation
                       if str(dv.sqref).startswith(_letter("population_moves",
                                                           "counterpart_area_code")))
    assert not counterpart.formula1.startswith('"')
    assert wb["リスト"].sheet_state == "hidden"
    values = _dropdowns(wb)[_letter("population_moves", "counterpart_area_code")]
    assert len(values) == 55 and "40130 福岡市" in values and "01000 北海道" in values
    assert _dropdowns(wb)[_letter("population_moves", "direction")] == ["転入", "転出"]


def test_own_code_columns_offer_only_the_member_and_no_row_is_prefilled(tmp_path: Path):
    path = write_template("service_usage", tmp_path / "usage.xlsx", "xlsx", OGORI)
    wb = load_workbook(path)
    dropdowns = _dropdowns(wb)
    assert dropdowns[_letter("service_usage", "provider_municipality")] == ["40216 小郡市"]
    assert len(dropdowns[_letter("service_usage", "resident_municipality")]) == 6
    provider = next(dv for dv in wb[DATA_SHEET].data_validations.dataValidation
                    if str(dv.sqref).startswith(_letter("service_usage",
                                                        "provider_municipality")))
    assert "40216 小郡市" in provider.prompt
    text = " ".join(str(v) for row in wb[INSTRUCTIONS_SHEET].iter_rows(values_only=True)
                    for v in row if v)
    assert "提出団体 40216 小郡市" in text
    assert wb[DATA_SHEET].max_row == 1  # header only: the code is offered, not typed in

    budgets = load_workbook(write_template("project_budgets", tmp_path / "b.xlsx", "xlsx", OKAWA))
    offered = _dropdowns(budgets)[_letter("project_budgets", "project_no")]
    numbers = {v.split(" ", 1)[0] for v in offered}
    assert numbers == {no for no, members in participation().items() if OKAWA in members}
    assert "19" not in numbers and "38" not in numbers  # 大川市 is not in these projects


@pytest.mark.parametrize("dataset", DATASETS)
def test_csv_template_is_the_japanese_header_row_only_in_utf8_with_bom(
        dataset: str, tmp_path: Path):
    path = write_template(dataset, tmp_path / f"{dataset}.csv", "csv", OGORI)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").splitlines()
    assert lines == [",".join(c.ja for c in get_contract(dataset).columns)]


def test_template_command_writes_the_members_workbook(tmp_path: Path):
    out = tmp_path / "usage.xlsx"
    result = run_cli("template", "service_usage", "--format", "xlsx", "--municipality", OGORI,
                     "--output", str(out), home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _dropdowns(load_workbook(out))["C"] == ["40216 小郡市"]


# ---------------------------------------------------------------- filled templates


@pytest.mark.parametrize("dataset", DATASETS)
def test_template_filled_with_a_members_sample_rows_passes_kurume_hub_validate(
        dataset: str, tmp_path: Path):
    member = CLI_REFILL_MEMBER[dataset]
    sample = next((SAMPLES / member).glob(f"{dataset}.*"))
    filled = _refill(sample, member, dataset, tmp_path / f"{dataset}.xlsx")

    result = run_cli("validate", str(filled), "--municipality", member, "--json",
                     home=tmp_path / "no-home")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"] == dataset
    assert report["rows_accepted"] == len(read_table(sample).rows)


def test_every_sample_refilled_into_its_members_template_is_accepted(tmp_path: Path):
    for sample in _sample_files():
        member, dataset = sample.parent.name, sample.stem
        filled = _refill(sample, member, dataset, tmp_path / f"{member}_{dataset}.xlsx")
        report = validate_file(filled, member)
        assert report.accepted, (sample, [p.to_dict() for p in report.errors][:3])
        assert report.dataset == dataset

        def values(records):
            return [{k: v for k, v in r.items() if k != "source_sheet"} for r in records]

        assert values(report.records) == values(validate_file(sample, member).records), sample


def test_template_round_trip_reads_text_numbers_typed_years_and_japanese_labels(
        tmp_path: Path):
    path = write_template("population_moves", tmp_path / "moves.xlsx", "xlsx", OGORI)
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    rows = [
        ["2023年", "転入", "福岡市", None, "1,234", None],       # label, number as text
        ["2023年", "転出", "40130 福岡市", None, "1,050", None],  # the dropdown's value
        ["R5年", "転入", "01000", "北海道", 12, None],           # code keeps its zero
        ["2023", "転出", "国外", None, "30人", None],
    ]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)

    result = run_cli("validate", str(path), "--municipality", OGORI, "--json",
                     home=tmp_path / "no-home")

    assert result.returncode == 0, result.stdout + result.stderr
    records = validate_file(path, OGORI).records
    assert [(r["calendar_year"], r["direction"], r["counterpart_area_code"], r["persons"])
            for r in records] == [(2023, "in", "40130", 1234.0), (2023, "out", "40130", 1050.0),
                                  (2023, "in", "01000", 12.0), (2023, "out", "00000", 30.0)]


# ---------------------------------------------------------------- sample calibration


@pytest.fixture(scope="module")
def samples() -> dict[str, dict[str, list[dict]]]:
    """dataset -> member -> parsed records, read by the intake itself."""
    out: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for path in _sample_files():
        report = validate_file(path, path.parent.name)
        assert report.accepted, (path, [p.to_dict() for p in report.errors][:3])
        assert report.dataset == path.stem, path
        out[report.dataset][path.parent.name] = report.records
    return out


def test_every_member_sends_a_sample_for_every_dataset_it_submits(samples):
    for dataset in DATASETS:
        expected = set(get_contract(dataset).submitters or MEMBERS)
        assert set(samples[dataset]) == expected, dataset
        for rows in samples[dataset].values():
            years = {r.get("fiscal_year") or r.get("calendar_year") for r in rows}
            assert dataset == "kpi_records" or years == set(range(2019, 2026)), dataset


def test_sample_gross_product_fy2022_sums_to_15048_oku_yen(samples):
    total = sum(r["gross_product_yen"] for rows in samples["municipal_gross_product"].values()
                for r in rows if r["fiscal_year"] == 2022)
    assert total == 1_504_800_000_000
    kurume = next(r["gross_product_yen"] for r in samples["municipal_gross_product"][KURUME]
                  if r["fiscal_year"] == 2022)
    assert kurume > total / 2


def test_sample_tourism_cy2023_sums_to_9028000_with_ogoris_real_747000(samples):
    rows = samples["tourism_visitors"]
    assert sum(r["visitors"] for m in rows.values() for r in m if r["calendar_year"] == 2023) \
        == 9_028_000
    assert [r["visitors"] for r in rows[OGORI] if 2020 <= r["calendar_year"] <= 2023] == [
        240_000, 344_000, 608_000, 747_000]


def _pedestrian_kpi(samples, year: int) -> float:
    points: dict[str, dict[str, float]] = defaultdict(dict)
    for r in samples["pedestrian_counts"][KURUME]:
        if r["calendar_year"] == year:
            points[r["survey_point_code"]][r["day_type"]] = r["pedestrians"]
    assert all(set(days) == {"weekday", "holiday"} for days in points.values())
    return sum((d["weekday"] + d["holiday"]) / 2 for d in points.values())


def test_sample_pedestrian_counts_give_32260_for_cy2025_by_the_kpi_rule(samples):
    assert _pedestrian_kpi(samples, 2025) == 32_260
    codes = {r["survey_point_code"] for r in samples["pedestrian_counts"][KURUME]}
    assert codes == {f"P0{i}" for i in range(1, 9)}
    assert _pedestrian_kpi(samples, 2020) < _pedestrian_kpi(samples, 2019)  # COVID dip


def test_sample_cross_area_service_users_fy2024_sum_to_16443(samples):
    usage = [r for rows in samples["service_usage"].values() for r in rows]
    cross = sum(r["users"] for r in usage if r["fiscal_year"] == 2024
                and r["resident_municipality"] != r["provider_municipality"])
    assert cross == 16_443
    own = sum(r["users"] for r in usage if r["fiscal_year"] == 2024
              and r["resident_municipality"] == r["provider_municipality"])
    assert own > 0  # the cross-area share has a denominator


def test_sample_service_usage_respects_project_participation(samples):
    project_of = {"sick_child_care": "18", "family_support": "19", "temporary_care": "20",
                  "childcare_support_center": "21", "development_support": "22",
                  "e_library": "25", "pediatric_emergency": "17"}
    for member, rows in samples["service_usage"].items():
        for r in rows:
            taking_part = participation()[project_of[r["service_code"]]]
            assert r["provider_municipality"] == member
            assert {member, r["resident_municipality"]} <= taking_part, r
    sick_child_providers = {m for m, rows in samples["service_usage"].items()
                            for r in rows if r["service_code"] == "sick_child_care"}
    assert sick_child_providers == {KURUME, OKAWA, OGORI, "40503"}


def test_sample_population_moves_agree_between_members_for_every_pair_and_year(samples):
    moves = {(r["calendar_year"], member, r["direction"], r["counterpart_area_code"]):
             r["persons"] for member, rows in samples["population_moves"].items() for r in rows}
    pairs = 0
    for (year, member, direction, area), persons in moves.items():
        if area in MEMBERS:
            mirror = "in" if direction == "out" else "out"
            assert moves[(year, area, mirror, member)] == persons, (year, member, area)
            pairs += 1
    assert pairs == 7 * 6 * 5 * 2


def test_sample_ogori_net_social_change_is_the_real_cy2020_to_2023_series(samples):
    net: dict[int, float] = defaultdict(float)
    for r in samples["population_moves"][OGORI]:
        net[r["calendar_year"]] += r["persons"] if r["direction"] == "in" else -r["persons"]
    assert [net[y] for y in (2020, 2021, 2022, 2023)] == [210, -69, 665, -236]


def test_sample_budgets_cover_every_project_a_member_takes_part_in_and_no_other(samples):
    for member, rows in samples["project_budgets"].items():
        mine = {no for no, members in participation().items() if member in members}
        for year in range(2019, 2026):
            assert {r["project_no"] for r in rows if r["fiscal_year"] == year} == mine


def test_kurume_submits_its_verification_report_tables_exactly(samples):
    rows = {(r["kpi_name"], r["period"], r["kind"]): r for r in samples["kpi_records"][KURUME]}
    hires = "基準年を上回る年間新規雇用者数を毎年創出する"
    rate = "市内の大学等の新卒者の市内企業への就職率"
    got = {key: (r["value"], r["value_qualifier"], r["value_raw"]) for key, r in rows.items()
           if key[0] in (hires, rate)}
    expected = {(hires, "FY2014", "baseline"): (16507, None, "16,507人")}
    for year in range(2015, 2020):
        expected[(hires, f"FY{year}", "target")] = (16507, "at_least", "16,507人以上")
        expected[(rate, f"FY{year}", "target")] = (year - 2002.0, None, f"{year - 2002}.0%")
    for year, hired, share in ((2015, 16639, "12.9"), (2016, 17375, "11.2"),
                               (2017, 17861, "9.6")):
        expected[(hires, f"FY{year}", "actual")] = (hired, None, f"{hired:,}人")
        expected[(rate, f"FY{year}", "actual")] = (float(share), None, f"{share}%")
    expected[(rate, "FY2014", "baseline")] = (12, None, "12%")
    expected[(hires, "FY2019", "outlook")] = (None, None, "A")
    expected[(rate, "FY2019", "outlook")] = (None, None, "B")
    assert got == expected
    assert "FY2014" in rows[(rate, "FY2014", "baseline")]["note"]
