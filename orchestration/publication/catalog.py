"""What is published: each dataset's warehouse relation, titles and field docs (ja/en).

The datapackage.json of every release is built from this catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # frictionless: string | integer | number
    title_ja: str
    title_en: str
    description_ja: str = ""
    description_en: str = ""
    unit: str | None = None


@dataclass(frozen=True)
class PublishedDataset:
    name: str
    relation: str
    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]


_PROVENANCE = (
    Field("submission_id", "string", "提出ID", "Submission id",
          "値の根拠となった提出（台帳）", "Ledger submission behind the value"),
    Field("source_sha256", "string", "提出ファイルの SHA-256", "SHA-256 of the submitted file"),
    Field("source_sheet", "string", "シート名", "Sheet name"),
    Field("source_row", "integer", "行番号", "Row number in the submitted file"),
)

REGIONAL_KPIS = PublishedDataset(
    name="regional_kpis",
    relation="marts.regional_kpis",
    title_ja="圏域 KPI（期間別）",
    title_en="Regional KPIs by period",
    description_ja="久留米広域連携中枢都市圏ビジョンの圏域 KPI。値は基本単位（人、円）。",
    description_en="The regional vision's KPIs for the Kurume area, in base units (persons, yen).",
    fields=(
        Field("kpi_id", "string", "KPI ID", "KPI id"),
        Field("kpi_name_ja", "string", "KPI 名", "KPI name (Japanese)"),
        Field("kpi_name_en", "string", "KPI 名（英語）", "KPI name (English)"),
        Field("period", "string", "期間", "Period",
              "CY2023 = 2023年（暦年）、FY2022 = 2022年度（4月〜3月）",
              "CY2023 = calendar year 2023; FY2022 = fiscal year April 2022 - March 2023"),
        Field("period_type", "string", "期間の種類", "Period type", "CY（暦年）/ FY（年度）",
              "CY (calendar year) or FY (fiscal year)"),
        Field("period_year", "integer", "年", "Year"),
        Field("value", "number", "値", "Value", "基本単位の値", "Value in the base unit"),
        Field("unit", "string", "単位", "Unit", "persons（人）、yen（円）など",
              "persons, yen, ..."),
        Field("members_reporting", "integer", "集計市町数", "Members reporting",
              "値に含まれる市町の数（6 で全市町）", "Members included in the value (6 = all)"),
    ),
    primary_key=("kpi_id", "period"),
)

MUNICIPAL_INDICATORS = PublishedDataset(
    name="municipal_indicators",
    relation="marts.municipal_indicators",
    title_ja="市町別の KPI 構成値",
    title_en="Members' components of the regional KPIs",
    description_ja="各市町の圏域 KPI 構成値と、その根拠となった提出ファイル・行。",
    description_en="Each member's component of each regional KPI, with the submission, file "
                   "hash, sheet and row behind it.",
    fields=(
        Field("kpi_id", "string", "KPI ID", "KPI id"),
        Field("municipality_code", "string", "団体コード", "Municipality code",
              "5桁の全国地方公共団体コード", "5-digit local government code"),
        Field("municipality_name_ja", "string", "市町名", "Municipality (Japanese)"),
        Field("municipality_name_en", "string", "市町名（英語）", "Municipality (English)"),
        Field("period", "string", "期間", "Period"),
        Field("period_type", "string", "期間の種類", "Period type"),
        Field("period_year", "integer", "年", "Year"),
        Field("value", "number", "値", "Value"),
        Field("unit", "string", "単位", "Unit"),
        *_PROVENANCE,
    ),
    primary_key=("kpi_id", "municipality_code", "period"),
)

PUBLISHED = (REGIONAL_KPIS, MUNICIPAL_INDICATORS)
