"""A made-up national-style area of N members (``kurume-hub init --synthetic --members N``).

The scale benchmark (issue 16) needs areas of 24, 200 and 1,741 members, far beyond any
real 連携中枢都市圏. This module writes such an area as an ordinary area folder
(``area.yaml`` + ``counterpart_areas.csv``) so that everything downstream runs the same
code as for a real area; :mod:`orchestration.synthetic` then fills it with submissions.

* Codes have the real format: the prefecture code (01-47) as the first two digits and a
  city number from 201 on, members spread round-robin over the 47 prefectures (every
  prefecture is used once N ≥ 47); the 6-digit code with its check digit comes from
  :func:`orchestration.area.lg_code6`, the one place that rule lives.
* Counterparts outside the area are the 47 prefectures, grouped by region.
* The KPIs are the demonstration area's (``sources/areas/bingo``), read from its
  ``area.yaml`` and scaled by the member count so that per-member figures stay plausible.

Pure functions build the definition; :func:`write_area` is the only one that writes.
"""

from __future__ import annotations

import copy
import csv
from functools import cache
from pathlib import Path

import yaml

from orchestration.area import AREA_FILE, AREAS_DIR, SAFE_YAML_LOADER, lg_code6

# The area whose KPI set (definitions, methods, baselines per member) the synthetic area uses.
KPI_TEMPLATE_AREA = AREAS_DIR / "bingo"
PREFECTURE_COUNT = 47
# City numbers (the last three digits): 201-299 are cities, 300 and above towns and
# villages; 100-199 are reserved for wards of designated cities, which are left out.
FIRST_NUMBER, LAST_NUMBER = 201, 999
_FIRST_TOWN_NUMBER = 300
MIN_MEMBERS = 2
MAX_MEMBERS = PREFECTURE_COUNT * (LAST_NUMBER - FIRST_NUMBER + 1)
COUNTERPART_FILE = "counterpart_areas.csv"
_COUNTERPART_COLUMNS = ("area_code", "name_ja", "name_en", "area_group", "note")

# (prefecture code, name_ja, name_en, region) in 全国地方公共団体コード order.
PREFECTURES: tuple[tuple[str, str, str, str], ...] = tuple(
    (f"{i:02d}", ja, en, region) for i, (ja, en, region) in enumerate((
        ("北海道", "Hokkaido", "hokkaido"), ("青森県", "Aomori", "tohoku"),
        ("岩手県", "Iwate", "tohoku"), ("宮城県", "Miyagi", "tohoku"),
        ("秋田県", "Akita", "tohoku"), ("山形県", "Yamagata", "tohoku"),
        ("福島県", "Fukushima", "tohoku"), ("茨城県", "Ibaraki", "kanto"),
        ("栃木県", "Tochigi", "kanto"), ("群馬県", "Gunma", "kanto"),
        ("埼玉県", "Saitama", "kanto"), ("千葉県", "Chiba", "kanto"),
        ("東京都", "Tokyo", "kanto"), ("神奈川県", "Kanagawa", "kanto"),
        ("新潟県", "Niigata", "chubu"), ("富山県", "Toyama", "chubu"),
        ("石川県", "Ishikawa", "chubu"), ("福井県", "Fukui", "chubu"),
        ("山梨県", "Yamanashi", "chubu"), ("長野県", "Nagano", "chubu"),
        ("岐阜県", "Gifu", "chubu"), ("静岡県", "Shizuoka", "chubu"),
        ("愛知県", "Aichi", "chubu"), ("三重県", "Mie", "kinki"),
        ("滋賀県", "Shiga", "kinki"), ("京都府", "Kyoto", "kinki"),
        ("大阪府", "Osaka", "kinki"), ("兵庫県", "Hyogo", "kinki"),
        ("奈良県", "Nara", "kinki"), ("和歌山県", "Wakayama", "kinki"),
        ("鳥取県", "Tottori", "chugoku"), ("島根県", "Shimane", "chugoku"),
        ("岡山県", "Okayama", "chugoku"), ("広島県", "Hiroshima", "chugoku"),
        ("山口県", "Yamaguchi", "chugoku"), ("徳島県", "Tokushima", "shikoku"),
        ("香川県", "Kagawa", "shikoku"), ("愛媛県", "Ehime", "shikoku"),
        ("高知県", "Kochi", "shikoku"), ("福岡県", "Fukuoka", "kyushu"),
        ("佐賀県", "Saga", "kyushu"), ("長崎県", "Nagasaki", "kyushu"),
        ("熊本県", "Kumamoto", "kyushu"), ("大分県", "Oita", "kyushu"),
        ("宮崎県", "Miyazaki", "kyushu"), ("鹿児島県", "Kagoshima", "kyushu"),
        ("沖縄県", "Okinawa", "kyushu")), start=1))
REGIONS = {"hokkaido": ("北海道地方", "Hokkaido region"), "tohoku": ("東北地方", "Tohoku"),
           "kanto": ("関東地方", "Kanto"), "chubu": ("中部地方", "Chubu"),
           "kinki": ("近畿地方", "Kinki"), "chugoku": ("中国地方", "Chugoku"),
           "shikoku": ("四国地方", "Shikoku"), "kyushu": ("九州・沖縄地方", "Kyushu and Okinawa")}


class MemberCountError(ValueError):
    """A member count outside what the generator can make (message in Japanese and English)."""

    def __init__(self, members: int):
        self.ja = (f"構成団体数 {members} は {MIN_MEMBERS} 以上 {MAX_MEMBERS} 以下で指定してください"
                   f"（5桁の団体コードは都道府県あたり {LAST_NUMBER - FIRST_NUMBER + 1} 個まで）")
        self.en = (f"the member count {members} must be between {MIN_MEMBERS} and {MAX_MEMBERS} "
                   f"(at most {LAST_NUMBER - FIRST_NUMBER + 1} five-digit codes per prefecture)")
        super().__init__(f"{self.ja} / {self.en}")


def check_member_count(members: int) -> None:
    if not MIN_MEMBERS <= members <= MAX_MEMBERS:
        raise MemberCountError(members)


def member_codes(members: int) -> list[str]:
    """N distinct 5-digit codes, round-robin over the prefectures, sorted (area order)."""
    check_member_count(members)
    return sorted(f"{PREFECTURES[i % PREFECTURE_COUNT][0]}"
                  f"{FIRST_NUMBER + i // PREFECTURE_COUNT:03d}" for i in range(members))


def area_id(members: int) -> str:
    # The member count is part of the id: the synthetic figures are seeded by the id, and a
    # home keeps one area, so areas of two sizes never share a home by mistake.
    return f"synthetic_national_{members}"


def _member(number: int, code: str, hub: bool) -> dict:
    town = int(code[2:]) >= _FIRST_TOWN_NUMBER
    kind_ja, kind_en, kind = ("町", "Town", "town") if town else ("市", "City", "city")
    return {"code": code, "lg_code": lg_code6(code), "name_ja": f"合成{kind_ja}{number:04d}",
            "name_en": f"Synthetic {kind_en} {number:04d}", "kind": kind,
            "role": "hub" if hub else "partner"}


@cache
def _template() -> dict:
    return yaml.load((KPI_TEMPLATE_AREA / AREA_FILE).read_text(encoding="utf-8"),
                     Loader=SAFE_YAML_LOADER)


def _scaled_kpis(members: int) -> list[dict]:
    """The template area's KPIs read from all members, baselines and targets scaled by the
    member count (a national sum of nine cities' baseline would be absurdly small)."""
    template = _template()
    factor = members / len(template["members"])
    kpis = copy.deepcopy(template["kpis"])
    for kpi in kpis:
        kpi["source"]["members"] = "all"
        for key in ("baseline", "target"):
            if kpi.get(key) and kpi[key].get("value") is not None:
                kpi[key]["value"] = round(kpi[key]["value"] * factor)
    return kpis


def area_definition(members: int) -> dict:
    """The ``area.yaml`` content of a synthetic area of N members (pure)."""
    template = _template()
    codes = member_codes(members)
    return {
        "id": area_id(members),
        "name_ja": f"合成全国圏域（{members}団体・試算用）",
        "name_en": f"Synthetic national area ({members} members, demonstration)",
        "publisher_ja": template["publisher_ja"],
        "publisher_en": template["publisher_en"],
        "license": template.get("license", "CC-BY-4.0"),
        "synthetic": True,
        "vision": {"name_ja": "合成全国ビジョン（試算）", "name_en": "Synthetic national vision",
                   "first_year": template["vision"]["first_year"],
                   "last_year": template["vision"]["last_year"]},
        "publication": {"approval": "auto"},
        "members": [_member(i, code, hub=i == 1) for i, code in enumerate(codes, 1)],
        "datasets": list(template["datasets"]),
        "counterpart_groups": {g: {"name_ja": ja, "name_en": en} for g, (ja, en) in REGIONS.items()},
        "kpis": _scaled_kpis(members),
    }


def counterpart_rows() -> list[dict[str, str]]:
    """The 47 prefectures as counterpart areas (code ``<pref>000``, as in the real areas)."""
    return [{"area_code": f"{code}000", "name_ja": ja, "name_en": en, "area_group": region,
             "note": f"都道府県コード {code} の5桁表記"} for code, ja, en, region in PREFECTURES]


def write_area(members: int, folder: str | Path) -> Path:
    """Write the synthetic area of N members as an area folder; returns the folder."""
    folder = Path(folder)
    definition = area_definition(members)
    folder.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    header = ("# Generated by orchestration/synthetic_area.py: made-up members and synthetic\n"
              "# figures for the scale benchmark; not official statistics.\n")
    text = yaml.dump(definition, Dumper=dumper, allow_unicode=True, sort_keys=False, width=200)
    (folder / AREA_FILE).write_text(header + text, encoding="utf-8")
    with (folder / COUNTERPART_FILE).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_COUNTERPART_COLUMNS)
        writer.writeheader()
        writer.writerows(counterpart_rows())
    return folder
