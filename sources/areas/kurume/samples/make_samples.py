"""Regenerate the bundled sample submissions (synthetic but calibrated; see sources/README.md).

    .venv/bin/python sources/areas/kurume/samples/make_samples.py

Every member gets one file per dataset it would submit, FY/CY2019-2025. The xlsx files are
made FROM the templates (``write_template`` then the データ sheet is filled), so "a template
filled with the sample data is accepted" holds by construction. Files use the formats
members really send: xlsx typed by staff, a few CSV saved by Excel in CP932, values typed
with units (千人, 千円, 億円, 円), Japanese labels instead of codes.

Real figures (from shared/reference) are marked REAL below; everything else is synthetic,
calibrated so the published regional KPIs hit the vision's baselines exactly:

* municipal_gross_product FY2022, six members: 1,504,800 百万円 = 15,048億円;
* tourism_visitors CY2023, six members: 9,028,000 人;
* pedestrian_counts CY2025, sum over points of (weekday + holiday) / 2: 32,260 人;
* service_usage FY2024, users living outside the providing member: 16,443 人;
* population_moves: A's out-moves to B equal B's in-moves from A (every pair and year), and
  Ogori's net social change is REAL for CY2020-2023 (+210, -69, +665, -236).

The xlsx files are written with fixed zip timestamps, so regenerating unchanged data gives
byte-identical files (no spurious diffs, stable hashes in the ledger).
"""

from __future__ import annotations

import csv
import io
import random
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]  # sources/areas/kurume/samples -> the repository
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from orchestration.intake.contracts import participation  # noqa: E402
from orchestration.intake.templates import fill_template, write_template  # noqa: E402
from orchestration.intake.values import ValueParseError, parse_quantity  # noqa: E402

YEARS = list(range(2019, 2026))
KURUME, OKAWA, OGORI, UKIHA, TACHIARAI, OKI = "40203", "40212", "40216", "40225", "40503", "40522"
MEMBERS = [KURUME, OKAWA, OGORI, UKIHA, TACHIARAI, OKI]
NAMES = {KURUME: "久留米市", OKAWA: "大川市", OGORI: "小郡市", UKIHA: "うきは市",
         TACHIARAI: "大刀洗町", OKI: "大木町"}
# A verbatim copy of shared/reference/municipal_kpi_records.csv (named .csv.txt so that
# `kurume-hub init --sample` does not take it for a submission).
KPI_REFERENCE = HERE / "_reference" / "municipal_kpi_records.csv.txt"
FIXED_ZIP_TIME = (2025, 4, 1, 0, 0, 0)


def _rng(*key: object) -> random.Random:
    """A generator per cell: the same key gives the same figures on every run."""
    return random.Random("|".join(map(str, key)))


def _jitter(value: float, spread: float, *key: object) -> int:
    return max(0, round(value * (1 + _rng(*key).uniform(-spread, spread))))


# ================================================================ tourism_visitors
# Tourist arrivals (persons) by calendar year. CY2023 sums to 9,028,000, the vision's
# baseline (9,028千人, R5年). Ogori 2020-2023 are REAL (003: 年間観光入込調査人数 240/344/
# 608/747千人); the reference does not say 年 or 年度 for that series, we file it as 年.
TOURISM = {
    "40203": [5_380_000, 2_050_000, 2_480_000, 4_410_000, 5_450_000, 5_690_000, 5_820_000],
    "40212": [801_000, 296_000, 352_000, 640_000, 780_000, 812_000, 836_000],
    "40216": [760_000, 240_000, 344_000, 608_000, 747_000, 790_000, 812_000],
    "40225": [1_490_000, 611_000, 702_000, 1_236_000, 1_520_000, 1_575_000, 1_602_000],
    "40503": [226_000, 88_000, 101_000, 187_000, 231_000, 240_000, 246_000],
    "40522": [296_000, 118_000, 131_000, 243_000, 300_000, 309_000, 318_000],
}
REAL_TOURISM = {("40216", y) for y in (2020, 2021, 2022, 2023)}


def _note(code: str, year: int) -> str:
    return "実数（小郡市 第3期総合戦略 調査表）" if (code, year) in REAL_TOURISM else ""


def tourism_rows(code: str, in_thousands: bool = False, csv_style: bool = False) -> list[list]:
    rows = []
    for year, persons in zip(YEARS, TOURISM[code]):
        if csv_style:
            rows.append([f"{year}年", f"{persons:,}", _note(code, year)])
        else:
            # Staff often type 千人 figures as text with the unit; intake converts them.
            value = f"{persons // 1000:,}千人" if in_thousands else persons
            rows.append([year, value, _note(code, year)])
    return rows


# ================================================================ municipal_gross_product
# 百万円 (nominal). FY2022 sums to 1,504,800 百万円 = 15,048億円 (the vision's baseline,
# R4年度). Kurume is about 1.08兆円. Other years follow a COVID dip in FY2020.
GROSS_PRODUCT_FY2022 = {KURUME: 1_081_236, OKAWA: 102_418, OGORI: 141_652, UKIHA: 84_200,
                        TACHIARAI: 55_931, OKI: 39_363}
GROSS_PRODUCT_TREND = {2019: 1.006, 2020: 0.962, 2021: 0.981, 2022: 1.0, 2023: 1.017,
                       2024: 1.029, 2025: 1.038}


def gross_product_millions(code: str, year: int) -> int:
    base = GROSS_PRODUCT_FY2022[code]
    if year == 2022:
        return base
    value = _jitter(base * GROSS_PRODUCT_TREND[year], 0.006, "gdp", code, year)
    return round(value, -2) if code == UKIHA else value  # Ukiha types 億円


def gross_product_rows(code: str) -> list[list]:
    rows = []
    for year in YEARS:
        millions = gross_product_millions(code, year)
        note = "見込値（県の市町村民経済計算の公表前）" if year >= 2023 else ""
        year_cell: object = year
        value: object = millions
        if code == UKIHA:
            value = f"{millions // 100:,}億円"
        elif code == OKAWA:
            year_cell, value = f"{year}年度", f"{millions:,}"
        elif code == TACHIARAI:
            year_cell = f"R{year - 2018}年度" if year > 2019 else "R元年度"
        elif code == OKI:
            year_cell = f"{year}年度"
        rows.append([year_cell, value, note])
    return rows


# ================================================================ pedestrian_counts
# Kurume's central-district survey (one survey day each: weekday and holiday). CY2025 sums
# over points of (weekday + holiday) / 2 to exactly 32,260 (R7年, the vision's baseline).
PEDESTRIAN_POINTS = {
    "P01": ("西鉄久留米駅東口", 7_240, 7_960),
    "P02": ("西鉄久留米駅西口（一番街入口）", 5_380, 5_120),
    "P03": ("六ツ門交差点", 3_610, 3_940),
    "P04": ("明治通り（日吉町）", 3_120, 2_680),
    "P05": ("あけぼの商店街", 2_090, 2_330),
    "P06": ("JR久留米駅前", 3_480, 2_870),
    "P07": ("久留米シティプラザ前", 2_910, 3_820),
    "P08": ("文化街", 1_790, None),  # holiday count balances the CY2025 total
}
PEDESTRIAN_CY2025_TOTAL = 64_520  # weekday + holiday over all points = 2 x 32,260
PEDESTRIAN_TREND = {2019: 1.07, 2020: 0.70, 2021: 0.75, 2022: 0.87, 2023: 0.94, 2024: 0.98,
                    2025: 1.0}


def pedestrian_counts() -> dict[tuple[int, str, str], int]:
    base = {}
    for point, (_, weekday, holiday) in PEDESTRIAN_POINTS.items():
        base[(point, "weekday")] = weekday
        base[(point, "holiday")] = holiday
    base[("P08", "holiday")] = PEDESTRIAN_CY2025_TOTAL - sum(v for v in base.values() if v)
    counts = {}
    for year in YEARS:
        for (point, day), value in base.items():
            counts[(year, point, day)] = (value if year == 2025 else
                                          _jitter(value * PEDESTRIAN_TREND[year], 0.04,
                                                  "ped", point, day, year))
    return counts


def pedestrian_rows() -> list[list]:
    counts = pedestrian_counts()
    rows = []
    for year in YEARS:
        for point, (name, _, _) in PEDESTRIAN_POINTS.items():
            for day, label in (("weekday", "平日"), ("holiday", "休日")):
                note = "新型コロナの影響で調査日を変更" if year == 2020 and point == "P01" else ""
                rows.append([year, point, name, label, counts[(year, point, day)], note])
    return rows


# ================================================================ service_usage
# Users by fiscal year, service, provider (the submitter) and residents' member. FY2024
# users living outside the provider sum to exactly 16,443 (R6年度, the vision's baseline).
# Providers: Kurume runs most services, pediatric_emergency and the jointly operated
# e_library (started FY2023); sick-child care facilities are in 久留米市(4), 大川市(1),
# 小郡市(2), 大刀洗町(1); family_support (project 19) only for its four participants;
# temporary care and childcare support centres are run by every member.
SERVICE_FY2024 = {
    ("pediatric_emergency", KURUME): {KURUME: 7_950, OKAWA: 820, OGORI: None, UKIHA: 640,
                                      TACHIARAI: 590, OKI: 510},
    ("e_library", KURUME): {KURUME: 11_800, OKAWA: 1_400, OGORI: 2_650, UKIHA: 1_180,
                            TACHIARAI: 800, OKI: 700},
    ("sick_child_care", KURUME): {KURUME: 1_850, OKAWA: 45, OGORI: 130, UKIHA: 60,
                                  TACHIARAI: 85, OKI: 70},
    ("sick_child_care", OKAWA): {OKAWA: 210, OKI: 38, KURUME: 25},
    ("sick_child_care", OGORI): {OGORI: 640, KURUME: 95, TACHIARAI: 60},
    ("sick_child_care", TACHIARAI): {TACHIARAI: 180, OGORI: 52, KURUME: 40},
    ("family_support", KURUME): {KURUME: 3_600, UKIHA: 85, TACHIARAI: 120, OKI: 95},
    ("temporary_care", KURUME): {KURUME: 9_800, OGORI: 160, OKAWA: 70, TACHIARAI: 110,
                                 OKI: 60, UKIHA: 50},
    ("temporary_care", OKAWA): {OKAWA: 1_100, OKI: 45, KURUME: 30},
    ("temporary_care", OGORI): {OGORI: 2_300, KURUME: 140, TACHIARAI: 90},
    ("temporary_care", UKIHA): {UKIHA: 780, KURUME: 35},
    ("temporary_care", TACHIARAI): {TACHIARAI: 620, OGORI: 55, KURUME: 48},
    ("temporary_care", OKI): {OKI: 540, OKAWA: 40, KURUME: 25},
    ("childcare_support_center", KURUME): {KURUME: 38_000, OGORI: 620, TACHIARAI: 430,
                                           OKI: 250, OKAWA: 300, UKIHA: 280},
    ("childcare_support_center", OKAWA): {OKAWA: 5_200, OKI: 180, KURUME: 90},
    ("childcare_support_center", OGORI): {OGORI: 9_400, KURUME: 310, TACHIARAI: 170},
    ("childcare_support_center", UKIHA): {UKIHA: 4_100, KURUME: 75},
    ("childcare_support_center", TACHIARAI): {TACHIARAI: 3_300, OGORI: 140, KURUME: 120},
    ("childcare_support_center", OKI): {OKI: 3_000, OKAWA: 130, KURUME: 60},
    ("development_support", KURUME): {KURUME: 2_600, OKAWA: 85, OGORI: 140, UKIHA: 70,
                                      TACHIARAI: 75, OKI: 60},
}
SERVICE_CROSS_AREA_FY2024 = 16_443
# The cell that balances the FY2024 cross-area total (Ogori children at the paediatric centre).
SERVICE_BALANCING_CELL = ("pediatric_emergency", KURUME, OGORI)
SERVICE_PROJECT = {"sick_child_care": "18", "family_support": "19", "temporary_care": "20",
                   "childcare_support_center": "21", "development_support": "22",
                   "e_library": "25", "pediatric_emergency": "17"}
SERVICE_TREND = {  # relative to FY2024; None: the service did not run that year
    "pediatric_emergency": [1.14, 0.56, 0.71, 0.92, 1.02, 1.0, 0.99],
    "e_library": [None, None, None, None, 0.55, 1.0, 1.24],
    "sick_child_care": [1.08, 0.52, 0.68, 0.86, 0.97, 1.0, 1.02],
    "family_support": [1.12, 0.70, 0.79, 0.90, 0.97, 1.0, 1.0],
    "temporary_care": [1.06, 0.61, 0.73, 0.87, 0.95, 1.0, 1.02],
    "childcare_support_center": [1.05, 0.58, 0.72, 0.86, 0.95, 1.0, 1.02],
    "development_support": [0.86, 0.80, 0.88, 0.93, 0.97, 1.0, 1.04],
}


def service_users() -> dict[tuple[int, str, str, str], int]:
    """(fiscal year, service, provider, resident) -> users."""
    fy2024 = {}
    for (service, provider), residents in SERVICE_FY2024.items():
        for resident, users in residents.items():
            fy2024[(service, provider, resident)] = users
    known = sum(v for (s, p, r), v in fy2024.items() if p != r and v is not None)
    fy2024[SERVICE_BALANCING_CELL] = SERVICE_CROSS_AREA_FY2024 - known
    members_of = participation()
    users = {}
    for (service, provider, resident), value in fy2024.items():
        project = members_of[SERVICE_PROJECT[service]]
        assert provider in project and resident in project, (service, provider, resident)
        for year, factor in zip(YEARS, SERVICE_TREND[service]):
            if factor is None:
                continue
            users[(year, service, provider, resident)] = (
                value if year == 2024 else
                _jitter(value * factor, 0.05, "svc", service, provider, resident, year))
    return users


SERVICE_LABELS = {"sick_child_care": "病児保育", "family_support": "ファミリー・サポート・センター",
                  "temporary_care": "一時預かり", "childcare_support_center": "地域子育て支援センター",
                  "development_support": "発達支援", "e_library": "電子図書館",
                  "pediatric_emergency": "小児救急"}


def service_rows(provider: str) -> list[list]:
    rows = []
    for (year, service, prov, resident), users in sorted(service_users().items()):
        if prov != provider:
            continue
        note = "R5年度から共同運用（貸出者数）" if service == "e_library" and year == 2023 else ""
        if provider == KURUME:  # the dropdown values: labels and "code name"
            cells = [year, SERVICE_LABELS[service], f"{prov} {NAMES[prov]}",
                     f"{resident} {NAMES[resident]}", users]
        elif provider == OKAWA:  # codes typed as numbers
            cells = [year, service, int(prov), int(resident), users]
        elif provider == TACHIARAI:  # CSV: labels, years as 年度, figures with commas
            cells = [f"{year}年度", SERVICE_LABELS[service], NAMES[prov], NAMES[resident],
                     f"{users:,}"]
        else:
            cells = [year, SERVICE_LABELS[service], prov, NAMES[resident], users]
        rows.append([*cells, note])
    return rows


# ================================================================ population_moves
# Moves between members, persons per calendar year (origin -> destination), CY2023 level.
MEMBER_FLOWS = {
    (KURUME, OGORI): 720, (OGORI, KURUME): 690, (KURUME, OKAWA): 260, (OKAWA, KURUME): 380,
    (KURUME, UKIHA): 230, (UKIHA, KURUME): 310, (KURUME, TACHIARAI): 280,
    (TACHIARAI, KURUME): 240, (KURUME, OKI): 210, (OKI, KURUME): 230,
    (OGORI, TACHIARAI): 160, (TACHIARAI, OGORI): 140, (OKAWA, OKI): 95, (OKI, OKAWA): 85,
    (OGORI, OKAWA): 20, (OKAWA, OGORI): 25, (OGORI, UKIHA): 30, (UKIHA, OGORI): 28,
    (OGORI, OKI): 18, (OKI, OGORI): 15, (OKAWA, UKIHA): 12, (UKIHA, OKAWA): 10,
    (OKAWA, TACHIARAI): 14, (TACHIARAI, OKAWA): 12, (UKIHA, TACHIARAI): 40,
    (TACHIARAI, UKIHA): 35, (UKIHA, OKI): 9, (OKI, UKIHA): 8, (TACHIARAI, OKI): 16,
    (OKI, TACHIARAI): 14,
}
EXTERNAL_AREAS = ["40130", "40000", "13000", "14000", "11000", "12000", "41000", "42000",
                  "43000", "44000", "27000", "00000"]
AREA_NAMES = {"40130": "福岡市", "40000": "福岡県（福岡市・圏域市町を除く）", "13000": "東京都",
              "14000": "神奈川県", "11000": "埼玉県", "12000": "千葉県", "41000": "佐賀県",
              "42000": "長崎県", "43000": "熊本県", "44000": "大分県", "27000": "大阪府",
              "00000": "国外", **NAMES}
# (in, out) per external area, CY2023 level, in EXTERNAL_AREAS order.
EXTERNAL_MOVES = {
    KURUME: [(1750, 2450), (2800, 2500), (520, 780), (190, 260), (120, 160), (110, 150),
             (480, 420), (210, 170), (450, 430), (160, 140), (260, 330), (1400, 600)],
    OKAWA: [(110, 190), (260, 330), (30, 55), (10, 18), (6, 10), (5, 9), (120, 110),
            (15, 14), (20, 24), (8, 9), (12, 20), (90, 60)],
    OGORI: [(520, 430), (650, 600), (90, 120), (35, 45), (20, 25), (20, 22), (110, 90),
            (40, 35), (70, 65), (30, 28), (45, 55), (120, 90)],
    UKIHA: [(80, 150), (210, 260), (25, 45), (8, 14), (5, 8), (5, 7), (20, 18), (6, 6),
            (18, 20), (90, 85), (10, 16), (45, 30)],
    TACHIARAI: [(120, 110), (220, 210), (20, 28), (8, 10), (4, 5), (4, 5), (30, 26), (8, 7),
                (20, 18), (8, 7), (8, 10), (25, 18)],
    OKI: [(60, 90), (170, 190), (12, 22), (5, 8), (3, 4), (3, 4), (50, 45), (5, 4), (10, 12),
          (4, 4), (6, 9), (20, 15)],
}
MOVES_TREND = {2019: 1.02, 2020: 0.96, 2021: 0.95, 2022: 0.98, 2023: 1.0, 2024: 1.0,
               2025: 0.99}
# Moves from abroad (mostly foreign residents) fell in 2020-21 and recovered strongly.
ABROAD_TREND = {2019: 0.80, 2020: 0.45, 2021: 0.40, 2022: 0.75, 2023: 1.0, 2024: 1.15,
                2025: 1.2}
# REAL: Ogori's 人口の社会増 (003): 210人 (R2), △69人 (R3), 665人 (R4), △236人 (R5).
# CY2019 and CY2024 are synthetic, chosen to agree with 003's cumulative figures
# (1,070人 over H27-R1; +1,080人 over R2-R6 with R6 estimated: 1,080 - 570 = 510).
OGORI_NET = {2019: 228, 2020: 210, 2021: -69, 2022: 665, 2023: -236, 2024: 510, 2025: 320}
REAL_OGORI_NET = (2020, 2021, 2022, 2023)


def population_moves() -> dict[tuple[int, str, str, str], int]:
    """(calendar year, reporting member, direction, counterpart) -> persons."""
    moves = {}
    for year in YEARS:
        for (origin, dest), base in MEMBER_FLOWS.items():
            persons = _jitter(base * MOVES_TREND[year], 0.06, "flow", origin, dest, year)
            # One flow, reported twice: the origin's out-move is the destination's in-move.
            moves[(year, origin, "out", dest)] = persons
            moves[(year, dest, "in", origin)] = persons
        for member, pairs in EXTERNAL_MOVES.items():
            for area, (in_base, out_base) in zip(EXTERNAL_AREAS, pairs):
                trend = (ABROAD_TREND if area == "00000" else MOVES_TREND)[year]
                for direction, base in (("in", in_base), ("out", out_base)):
                    moves[(year, member, direction, area)] = max(1, _jitter(
                        base * trend, 0.07, "ext", member, direction, area, year))
        _balance_ogori(moves, year)
    return moves


def _ogori_net(moves: dict, year: int) -> int:
    return sum(v if d == "in" else -v for (y, m, d, _), v in moves.items()
               if y == year and m == OGORI)


def _balance_ogori(moves: dict, year: int) -> None:
    """Spread the gap to Ogori's net over its moves with 福岡市 and the rest of the prefecture
    (never with another member, whose figures would then disagree): a third each on the two
    in-moves, a sixth each off the two out-moves."""
    gap = OGORI_NET[year] - _ogori_net(moves, year)
    in_step = round(gap / 3)
    out_step = round(gap / 6)
    moves[(year, OGORI, "in", "40130")] += in_step
    moves[(year, OGORI, "in", "40000")] += in_step
    moves[(year, OGORI, "out", "40130")] -= out_step
    moves[(year, OGORI, "out", "40000")] -= gap - 2 * in_step - out_step
    assert _ogori_net(moves, year) == OGORI_NET[year], year
    assert all(v > 0 for (y, m, _, _), v in moves.items() if y == year and m == OGORI)


def population_rows(member: str) -> list[list]:
    moves = population_moves()
    areas = [m for m in MEMBERS if m != member] + EXTERNAL_AREAS
    rows = []
    for year in YEARS:
        for direction, label in (("in", "転入"), ("out", "転出")):
            for area in areas:
                persons = moves[(year, member, direction, area)]
                note = "実数（社会増減は小郡市 第3期総合戦略 調査表）" if (
                    member == OGORI and year in REAL_OGORI_NET and area == "40130"
                    and direction == "in") else ""
                name = AREA_NAMES[area]
                if member == KURUME:  # dropdown values
                    cells = [year, label, f"{area} {name}", "", persons]
                elif member == OKAWA:  # CSV: codes as text with the name beside them
                    cells = [f"{year}年", label, area, name, f"{persons:,}"]
                elif member == OGORI:  # names only, no codes
                    cells = [year, label, name, "", persons]
                elif member == UKIHA:  # codes typed as numbers (00000 kept as text)
                    cells = [year, "in" if direction == "in" else "out",
                             area if area == "00000" else int(area), name, persons]
                else:
                    cells = [year, label, area, name, persons]
                rows.append([*cells, note])
    return rows


# ================================================================ university_collaborations
# (title, institution, collaboration project no or None, fiscal years). Synthetic.
UNIVERSITY_PROJECTS = {
    KURUME: [
        ("久留米大学との地域医療連携推進事業", "久留米大学", "15", range(2019, 2026)),
        ("オープンラボ機器を活用した地域企業との共同研究", "久留米工業高等専門学校", "7",
         range(2019, 2026)),
        ("AIオンデマンド交通の実証運行", "久留米工業大学", "30", range(2021, 2026)),
        ("子育て世代の健康づくり講座", "聖マリア学院大学", "21", [2019, 2023, 2024, 2025]),
        ("圏域学生まちづくりプロジェクト", "久留米大学", "15", range(2022, 2026)),
        ("地元企業の人材確保に関する共同調査", "福岡県立大学", "4", [2020]),
        ("市民公開講座「くるめ学」", "久留米大学", None, [2019, 2020]),
    ],
    OKAWA: [
        ("大川家具デザイン産学連携プロジェクト", "久留米工業大学", "15", range(2019, 2026)),
        ("有明海沿岸の防災学習プログラム", "佐賀大学", None, [2024]),
    ],
    OGORI: [
        ("小郡市まちづくり講座", "久留米大学", "15", [2019, 2021, 2022, 2023, 2024, 2025]),
        ("おごおり日本語教室の運営支援", "久留米大学", "32", [2020, 2025]),
    ],
    UKIHA: [
        ("うきはフルーツのブランド化研究", "久留米大学", "15", range(2019, 2026)),
        ("移住者の定着に関する調査", "福岡県立大学", "31", [2021]),
    ],
    TACHIARAI: [
        ("大刀洗平和記念館 平和学習プログラム", "久留米大学", None, [2019, 2020]),
        ("住民健康づくり事業の効果検証", "聖マリア学院大学", "15", range(2021, 2026)),
    ],
    OKI: [
        ("おおき循環センターくるるん 環境学習", "久留米工業高等専門学校", "15",
         [2019, 2021, 2022, 2023, 2024, 2025]),
        ("田んぼの生きもの調査", "九州大学", None, [2020, 2021]),
    ],
}


def university_rows(member: str) -> list[list]:
    rows = []
    for year in YEARS:
        for title, institution, project, years in UNIVERSITY_PROJECTS[member]:
            if year not in years:
                continue
            if project is None:
                number = None
            elif member == OKI:  # typed the project's name instead of its number
                number = "大学連携事業" if project == "15" else project
            elif member == KURUME:
                number = f"{project} " + {"15": "大学連携事業", "7": "地域産業基盤強化事業",
                                          "30": "地域公共交通の維持確保事業",
                                          "21": "地域子育て支援センター事業",
                                          "4": "地元企業採用支援事業"}[project]
            else:
                number = int(project)
            note = "オンライン開催" if year in (2020, 2021) else ""
            rows.append([year, title, institution, number, note])
    return rows


# ================================================================ project_budgets
# Kurume's budget per project (千円, FY2024 level); partners carry a share scaled by size.
# Synthetic. A member budgets only the projects it takes part in (collaboration_projects).
KURUME_BUDGET = {
    1: 1_200, 2: 3_000, 3: 2_400, 4: 4_500, 5: 6_000, 6: 8_000, 7: 25_000, 8: 1_500,
    9: 5_000, 10: 12_000, 11: 40_000, 12: 2_000, 13: 350_000, 14: 30_000, 15: 6_000,
    16: 55_000, 17: 80_000, 18: 70_000, 19: 15_000, 20: 25_000, 21: 90_000, 22: 30_000,
    23: 3_000, 24: 2_500, 25: 12_000, 26: 1_000, 27: 6_000, 28: 1_800, 29: 2_000,
    30: 45_000, 31: 8_000, 32: 3_000, 33: 500, 34: 2_000, 35: 5_000, 36: 1_000, 37: 800,
    38: 3_000, 39: 500,
}
PARTNER_SHARE = {OKAWA: 0.06, OGORI: 0.10, UKIHA: 0.05, TACHIARAI: 0.035, OKI: 0.035}
# Partners pay by use for the shared services and the medical system; elsewhere they carry
# a small share of their own costs; the station redevelopment (13) is Kurume's alone.
PARTNER_ROLE = {13: 0.0, 14: 0.8, 16: 1.0, 17: 1.0, 18: 0.8, 25: 1.0}
# First fiscal year with a budget (projects added during the second vision).
PROJECT_START = {25: 2023, 36: 2023, 37: 2022, 38: 2022, 39: 2024}
BUDGET_TREND = {2019: 0.92, 2020: 0.88, 2021: 0.93, 2022: 0.96, 2023: 0.98, 2024: 1.0,
                2025: 1.03}


def budget_thousand_yen(member: str, project: int, year: int) -> int:
    if year < PROJECT_START.get(project, 2019):
        return 0
    base = KURUME_BUDGET[project]
    if member != KURUME:
        base = base * PARTNER_SHARE[member] * PARTNER_ROLE.get(project, 0.3) * 2
    return _jitter(base * BUDGET_TREND[year], 0.05, "budget", member, project, year)


def budget_rows(member: str) -> list[list]:
    from orchestration.intake.contracts import get_contract
    from orchestration.intake.templates import choice_label

    column = get_contract("project_budgets").column("project_no")
    names = {no: label.split(" ", 1)[1] for no in map(str, KURUME_BUDGET)
             for label in [choice_label(column, no)]}
    members_of = participation()
    rows = []
    for year in YEARS:
        for project in KURUME_BUDGET:
            if member not in members_of[str(project)]:
                continue
            amount = budget_thousand_yen(member, project, year)
            note = "事業開始前" if year < PROJECT_START.get(project, 2019) else ""
            name = names[str(project)]
            if member == KURUME:
                cells = [year, f"{project} {name}", None, amount]
            elif member == OKAWA:  # 千円 typed with the unit
                cells = [year, project, name, f"{amount:,}千円"]
            elif member == UKIHA:  # typed in yen
                cells = [year, project, name, f"{amount * 1000:,}円"]
            elif member == TACHIARAI:  # CSV
                cells = [f"{year}年度", str(project), name, f"{amount:,}"]
            else:
                cells = [year, project, name, amount]
            rows.append([*cells, note])
    return rows


# ================================================================ kpi_records
# Kurume (40203) and Ogori (40216): REAL rows of shared/reference/municipal_kpi_records.csv
# that fit the contract. Judgement calls (see sources/README.md):
# * the period column takes FY/CY periods or closed ranges; rows whose period the source
#   does not print (or prints without 年/年度), averages over years, point-in-time dates and
#   open-start ranges (～R1, ～R11) are left out;
# * Kurume's 就職率 baseline has no printed period: filed as FY2014 (the other table's
#   baseline year) with a note;
# * a printed value the parser refuses (arrows, ranges, labels) is submitted as its number
#   (and unit), with the printed string kept in the note; a closed range in the value moves
#   to the period column (1,070人 (H27～R1) -> CY2015-CY2019, 1,070人);
# * ○/△/× in the reference are progress marks the platform computes, not submitted; A/B/C
#   and A+/A-/B/C grades are submitted as kind=outlook rows at the target's period.
KPI_LOWER = ("待機児童数", "一般廃棄物", "空き店舗率", "窓口利用者満足度")
KPI_MAINTAIN = ("居住誘導区域内の人口密度", "地域公共交通の乗降客数", "滞在人口",
                "ドクターカー運行")
RANGE_IN_VALUE = {  # printed closed ranges -> the period they cover
    "1,070人 (H27～R1)": "CY2015-CY2019",
    "78,627件 (H27～R1)": "FY2015-FY2019",
    "45件(R3～累計)": "FY2021-FY2023",
    "+1,080人(R2～R6(推計値)の累計)": "CY2020-CY2024",
}
OPEN_START_RANGES = ("4,854人 (～R1)", "438件(～R11)")
UNIT_FOR_KPI = {"(rate)": "—"}
KURUME_FIRST_STRATEGY_BASELINE_NOTE = (
    "基準値の年度は検証報告書に記載がないため、新規雇用者数と同じ H26年度（FY2014）として提出")


def _reference_rows() -> list[dict]:
    with KPI_REFERENCE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _period(row: dict) -> str | None:
    if row["raw_string"] in RANGE_IN_VALUE:
        return RANGE_IN_VALUE[row["raw_string"]]
    m = re.match(r"^((?:FY|CY)\d{4}(?:-(?:FY|CY)\d{4})?)(?: \((?:survey|cumulative.*)\))?$",
                 row["period"])
    return m.group(1) if m else None


def _value_cell(row: dict, unit: str) -> tuple[str, str]:
    """(value as typed, note): the printed string when the intake reads it, else its number."""
    # <u>…</u> is the source conversion's trace of an underline, not something staff type.
    raw = re.sub(r"</?u>", "", row["raw_string"])
    try:
        parse_quantity(raw, expected_unit=unit)
        return raw, ""
    except ValueParseError:
        pass
    digits = row["value"].lstrip("-")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    text = f"{abs(float(row['value'])):,.{decimals}f}"
    if row["value"].startswith("-"):
        text = ("▲" if "▲" in raw else "△") + text
    elif raw.startswith("+"):
        text = "+" + text
    # Keep the unit only when the printed string had it (18,305件 in a 人 series: no unit).
    candidates = (f"{text}{unit}", text) if unit and unit in raw else (text,)
    for candidate in candidates:
        try:
            parse_quantity(candidate, expected_unit=unit)
            return candidate, f"原文「{raw}」"
        except ValueParseError:
            continue
    raise AssertionError(raw)


def _direction(name: str, strategy: str) -> str:
    if any(word in name for word in KPI_LOWER):
        return "lower"
    if any(word in name for word in KPI_MAINTAIN):
        return "maintain"
    # Ogori's 3rd strategy sets 80.6% against a baseline of 81.7%: keep the level.
    if strategy == "3" and "住み続けたい" in name:
        return "maintain"
    return "higher"


def real_kpi_rows(member: str) -> list[list]:
    """Group the reference rows into KPIs (a new KPI starts when the name or strategy changes
    or a period/kind repeats) and turn each row into a contract row."""
    prefix = {KURUME: "KRM", OGORI: "OGR"}[member]
    groups: list[list[dict]] = []
    for row in _reference_rows():
        if row["municipality"] != member:
            continue
        strategy = ("1" if row["source_seed"].startswith("001") else
                    "3" if "3rd-period" in row["notes"] else "2")
        row = {**row, "strategy": strategy}
        current = groups[-1] if groups else None
        if (current is None or current[0]["kpi_name_ja"] != row["kpi_name_ja"]
                or current[0]["strategy"] != strategy
                or any((r["period"], r["value_kind"]) == (row["period"], row["value_kind"])
                       for r in current)):
            groups.append([row])
        else:
            current.append(row)
    rows = []
    counters: dict[str, int] = {}
    for group in groups:
        strategy = group[0]["strategy"]
        counters[strategy] = counters.get(strategy, 0) + 1
        code = f"{prefix}{strategy}-{counters[strategy]:02d}"
        name = group[0]["kpi_name_ja"]
        unit = next((r["unit"] for r in group if r["unit"]), "")
        unit = UNIT_FOR_KPI.get(unit, unit)
        direction = _direction(name, strategy)
        for r in group:
            period = _period(r)
            note = ""
            if r["municipality"] == KURUME and strategy == "1" and not r["period"]:
                period, note = "FY2014", KURUME_FIRST_STRATEGY_BASELINE_NOTE
            if period is None or r["raw_string"] in OPEN_START_RANGES:
                continue
            if not r["value"] and not _is_status(r["raw_string"]):
                continue  # OCR debris such as 二 where a dash was printed
            value, value_note = _value_cell(r, unit)
            note = "；".join(n for n in (note, value_note) if n)
            rows.append([code, name, unit, direction, period, r["value_kind"], value, note])
            if r["evaluation"] in ("A", "B", "C", "A+", "A-"):
                rows.append([code, name, unit, direction, period, "outlook", r["evaluation"],
                             "評価（目標年度の達成見込み）"])
    return rows


def _is_status(raw: str) -> bool:
    try:
        return parse_quantity(raw).status != "ok"
    except ValueParseError:
        return False


# Synthetic KPIs of the four other members: (code, name, unit, direction, [(period, kind,
# value), ...]). Periods and values are typed the ways staff type them.
SYNTHETIC_KPIS = {
    OKAWA: [
        ("OKW-01", "移住相談件数", "件", "higher", [
            ("FY2019", "baseline", "85件"), ("FY2024", "target", "120件"),
            ("R2年度", "actual", "78件"), ("R3年度", "actual", "96件"),
            ("R4年度", "actual", "104件"), ("R5年度", "actual", "111件"),
            ("R6年度", "actual", "集計中"), ("FY2024", "outlook", "B")]),
        ("OKW-02", "家具・建具製造品出荷額等", "億円", "higher", [
            ("FY2018", "baseline", "512"), ("FY2024", "target", "540"),
            ("FY2021", "actual", "468"), ("FY2022", "actual", "(速報値) 489")]),
    ],
    UKIHA: [
        ("UKH-01", "観光入込客数", "千人", "higher", [
            ("CY2019", "baseline", "1,490千人"), ("CY2024", "target", "1,600千人"),
            ("CY2022", "actual", "1,236"), ("CY2023", "actual", "1,520"),
            ("CY2024", "actual", "1,575"), ("CY2024", "outlook", "A")]),
        ("UKH-02", "移住者数", "人", "higher", [
            ("令和元年度", "baseline", "52人"), ("令和6年度", "target", "80人"),
            ("令和4年度", "actual", "約70人"), ("令和5年度", "actual", "74人")]),
    ],
    TACHIARAI: [
        ("TCH-01", "転入者数", "人", "higher", [
            ("CY2019", "baseline", "702人"), ("CY2024", "target", "750人以上"),
            ("CY2022", "actual", "718人"), ("CY2023", "actual", "731人"),
            ("CY2024", "outlook", "A")]),
        ("TCH-02", "子育て支援センター利用者数", "人", "higher", [
            ("FY2019", "baseline", "3,520"), ("FY2024", "target", "3,600"),
            ("FY2020", "actual", "2,050"), ("FY2023", "actual", "3,310")]),
    ],
    OKI: [
        ("OKI-01", "家庭ごみのリサイクル率", "%", "higher", [
            ("FY2018", "baseline", "64.2%"), ("FY2024", "target", "70.0%"),
            ("2022年度", "actual", "66.1%"), ("2023年度", "actual", "66.8%")]),
        ("OKI-02", "町民1人1日あたりのごみ排出量", "g/人・日", "lower", [
            ("FY2018", "baseline", "512g/人・日"), ("FY2024", "target", "480g/人・日以下"),
            ("FY2023", "actual", "497"), ("FY2024", "actual", "未公表"),
            ("FY2024", "outlook", "B")]),
    ],
}


def kpi_rows(member: str) -> list[list]:
    if member in (KURUME, OGORI):
        return real_kpi_rows(member)
    rows = []
    for code, name, unit, direction, values in SYNTHETIC_KPIS[member]:
        for period, kind, value in values:
            rows.append([code, name, unit, direction, period, kind, value, ""])
    return rows


# ================================================================ writing files


def write_xlsx(dataset: str, member: str, rows: list[list], folder: Path) -> Path:
    path = folder / f"{dataset}.xlsx"
    write_template(dataset, path, "xlsx", member)
    fill_template(path, rows, dataset)
    _freeze_zip(path)
    return path


def write_csv_cp932(dataset: str, rows: list[list], folder: Path) -> Path:
    """As Excel's 「CSV (コンマ区切り)」 saves on a Japanese PC: CP932, CRLF, no BOM."""
    from orchestration.intake.contracts import get_contract

    path = folder / f"{dataset}.csv"
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.ja for c in get_contract(dataset).columns])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buffer.getvalue().encode("cp932"))
    return path


def _freeze_zip(path: Path) -> None:
    """Fixed timestamps (zip entries and docProps) so unchanged data gives identical bytes."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2025-04-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


# Which members send which dataset as CSV (CP932); everything else is xlsx.
CSV_FILES = {
    ("tourism_visitors", OKAWA), ("tourism_visitors", TACHIARAI),
    ("municipal_gross_product", OKAWA), ("population_moves", OKAWA),
    ("service_usage", TACHIARAI), ("project_budgets", TACHIARAI),
    ("university_collaborations", OKI),
}


def member_files(member: str) -> dict[str, list[list]]:
    files = {
        "tourism_visitors": tourism_rows(member, in_thousands=member == OGORI,
                                         csv_style=("tourism_visitors", member) in CSV_FILES),
        "municipal_gross_product": gross_product_rows(member),
        "population_moves": population_rows(member),
        "service_usage": service_rows(member),
        "university_collaborations": university_rows(member),
        "project_budgets": budget_rows(member),
        "kpi_records": kpi_rows(member),
    }
    if member == KURUME:
        files["pedestrian_counts"] = pedestrian_rows()
    return {dataset: rows for dataset, rows in files.items() if rows}


def check_calibration() -> None:
    tourism = sum(series[YEARS.index(2023)] for series in TOURISM.values())
    assert tourism == 9_028_000, tourism
    gdp = sum(gross_product_millions(m, 2022) for m in MEMBERS)
    assert gdp == 1_504_800, gdp
    ped = pedestrian_counts()
    assert sum(v for (y, _, _), v in ped.items() if y == 2025) == 2 * 32_260
    users = service_users()
    cross = sum(v for (y, _, p, r), v in users.items() if y == 2024 and p != r)
    assert cross == SERVICE_CROSS_AREA_FY2024, cross
    moves = population_moves()
    for (year, member, direction, area), persons in moves.items():
        if area in MEMBERS:
            mirror = "in" if direction == "out" else "out"
            assert moves[(year, area, mirror, member)] == persons


def main() -> None:
    check_calibration()
    for member in MEMBERS:
        folder = HERE / member
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*"):
            if old.suffix in (".xlsx", ".csv"):
                old.unlink()
        for dataset, rows in member_files(member).items():
            if (dataset, member) in CSV_FILES:
                write_csv_cp932(dataset, rows, folder)
            else:
                write_xlsx(dataset, member, rows, folder)


if __name__ == "__main__":
    main()
