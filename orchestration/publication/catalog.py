"""What is published: each dataset's warehouse relation, titles and field docs (ja/en).

The datapackage.json of every release is built from this catalogue. Which of these datasets
an area publishes is decided in one place, :func:`published_datasets`: the release, the gate
and the pages all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.area import Area, area_or_active


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # frictionless: string | integer | number | boolean
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
    # What the dataset is built from beyond the KPIs: submission datasets the area must
    # collect (area.yaml ``datasets``) and the optional table beside area.yaml it needs.
    submissions: tuple[str, ...] = ()
    area_table: str | None = None

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
    description_ja="連携中枢都市圏ビジョンの圏域 KPI。値は基本単位（人、円など）。",
    description_en="The regional vision's KPIs for the area, in base units (persons, yen, ...).",
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
              "値に含まれる構成市町の数（KPI の対象市町がすべてそろえば対象市町数）",
              "Members included in the value (all of the KPI's members when complete)"),
        Field("cumulative_value", "number", "累計値", "Cumulative value",
              "累計目標の KPI について累計期間の初年（度）からの累計",
              "For cumulative KPIs: total since the first year of the cumulative period"),
        Field("cumulative_period", "string", "累計期間", "Cumulative period"),
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

def _f(name: str, type_: str, ja: str, en: str, unit: str | None = None) -> Field:
    return Field(name, type_, ja, en, unit=unit)


_CY = (_f("calendar_year", "integer", "暦年", "Calendar year"),
       _f("period", "string", "期間", "Period (CY2023)"))
_FY = (_f("fiscal_year", "integer", "年度", "Fiscal year (April-March)"),
       _f("period", "string", "期間", "Period (FY2024)"))

KPI_SCORECARD = PublishedDataset(
    name="kpi_scorecard",
    relation="marts.kpi_scorecard",
    title_ja="KPI 評価表（進捗度・評価）",
    title_en="KPI scorecard (progress marks and outlook)",
    description_ja="圏域 KPI（scope_code=area）と各市町の KPI の年度別評価。進捗度 ○（100%以上）△（70〜100%）"
                   "×（70%未満）—（判断困難）、評価 A/B/C（提出値または推計）。",
    description_en="Evaluation of the area's KPIs (scope_code=area) and the members' KPIs by period: "
                   "progress ○ (>=100%) △ (70-100%) × (<70%) — (cannot judge), outlook A/B/C "
                   "(submitted or projected).",
    fields=(
        _f("kpi_id", "string", "KPI ID", "KPI id (area) or member's KPI code"),
        _f("kpi_name_ja", "string", "KPI 名", "KPI name (Japanese)"),
        _f("kpi_name_en", "string", "KPI 名（英語）", "KPI name (English)"),
        _f("scope_code", "string", "対象", "Scope: 'area' or a 5-digit member code"),
        _f("period", "string", "期間", "Period"),
        _f("period_year", "integer", "年", "Year"),
        _f("unit", "string", "単位", "Unit"),
        _f("direction", "string", "目標の方向", "Direction (higher, lower, maintain)"),
        _f("baseline_value", "number", "基準値", "Baseline"),
        _f("baseline_period", "string", "基準期間", "Baseline period"),
        _f("target_value", "number", "最終目標値", "Final target"),
        _f("target_period", "string", "目標期間", "Final target period"),
        _f("target_qualifier", "string", "目標の条件", "Target qualifier (at_least = 以上)"),
        _f("is_cumulative", "boolean", "累計目標", "Target is cumulative over years"),
        _f("period_target", "number", "当該期間の目標値", "Target of the period (given or interpolated)"),
        _f("actual_value", "number", "実績値", "Actual"),
        _f("actual_flags", "string", "実績値の注記（approximate = 約、preliminary = 速報値 等）",
           "What the actual is as submitted: approximate (約), preliminary, estimate, average"),
        _f("achievement_rate", "number", "達成率", "Achievement rate from the baseline (1 = 100%)"),
        _f("achievement_rate_note", "string", "達成率を示さない理由",
           "Why no rate is given (target equal to the baseline, or beyond ±1,000%)"),
        _f("progress_mark", "string", "進捗度", "Progress mark ○ △ × —"),
        _f("status_note", "string", "備考（—の理由）", "Why the mark is — (no actual, or no target)"),
        _f("outlook", "string", "評価（見込み）", "Outlook A/B/C"),
        _f("outlook_source", "string", "評価の根拠", "Outlook source: submitted, projected, none"),
        _f("projected_target_year_value", "number", "目標年の推計値", "Projected value in the target year"),
        _f("note", "string", "備考（提出時の注記）", "Member's note on the year"),
    ),
    primary_key=("scope_code", "kpi_id", "period_year"),
)

POPULATION_FLOWS = PublishedDataset(
    name="population_flows",
    relation="marts.population_flows",
    title_ja="人口移動（相手地域別）",
    title_en="Population moves by counterpart area",
    description_ja="各市町が報告した暦年の転入・転出者数（相手地域別）と純移動数。",
    description_en="Members' reported in- and out-moves by calendar year and counterpart area, and net.",
    fields=(
        *_CY,
        _f("municipality_code", "string", "団体コード", "Reporting member (5-digit code)"),
        _f("counterpart_area_code", "string", "相手地域コード", "Counterpart area code"),
        _f("counterpart_name_ja", "string", "相手地域名", "Counterpart (Japanese)"),
        _f("counterpart_name_en", "string", "相手地域名（英語）", "Counterpart (English)"),
        _f("counterpart_group", "string", "相手地域の区分", "Counterpart group"),
        _f("in_persons", "number", "転入者数（人）", "In-moves (persons)", "persons"),
        _f("out_persons", "number", "転出者数（人）", "Out-moves (persons)", "persons"),
        _f("net_persons", "number", "転入超過数（人）", "Net moves (persons)", "persons"),
        *_PROVENANCE,
    ),
    primary_key=("calendar_year", "municipality_code", "counterpart_area_code"),
    submissions=("population_moves",),
)

NET_MIGRATION = PublishedDataset(
    name="net_migration",
    relation="marts.net_migration",
    title_ja="社会動態（市町別・圏域）",
    title_en="Net social migration by member and for the area",
    description_ja="暦年の転入・転出・社会増減。scope_code=area は圏域外との移動のみ（圏域内の移動は相殺）。",
    description_en="In, out and net moves by calendar year; scope_code=area counts moves across the "
                   "area's boundary only.",
    fields=(
        *_CY,
        _f("scope_code", "string", "対象", "Member code or 'area'"),
        _f("in_persons", "number", "転入者数（人）", "In-moves", "persons"),
        _f("out_persons", "number", "転出者数（人）", "Out-moves", "persons"),
        _f("net_persons", "number", "社会増減（人）", "Net social change", "persons"),
        _f("members_reporting", "integer", "報告市町数", "Members reporting"),
    ),
    primary_key=("calendar_year", "scope_code"),
    submissions=("population_moves",),
)

AREA_NET_EXCHANGE = PublishedDataset(
    name="area_net_exchange",
    relation="marts.area_net_exchange",
    title_ja="圏域外との転出入",
    title_en="The area's exchange with outside areas",
    description_ja="圏域と圏域外の地域（相手地域の区分ごと）との暦年の転出入。",
    description_en="The area's moves with each outside area group by calendar year.",
    fields=(
        *_CY,
        _f("counterpart_group", "string", "相手地域の区分", "Outside area group"),
        _f("in_persons", "number", "転入者数（人）", "In-moves", "persons"),
        _f("out_persons", "number", "転出者数（人）", "Out-moves", "persons"),
        _f("net_persons", "number", "転入超過数（人）", "Net moves", "persons"),
    ),
    primary_key=("calendar_year", "counterpart_group"),
    submissions=("population_moves",),
)

POPULATION_FLOW_RECONCILIATION = PublishedDataset(
    name="population_flow_reconciliation",
    relation="marts.population_flow_reconciliation",
    title_ja="人口移動の突合（市町間）",
    title_en="Reconciliation of moves between members",
    description_ja="A 市町が報告した B への転出数と、B 市町が報告した A からの転入数の比較。",
    description_en="A's reported out-moves to B against B's reported in-moves from A.",
    fields=(
        *_CY,
        _f("origin_code", "string", "転出元", "Origin member"),
        _f("destination_code", "string", "転入先", "Destination member"),
        _f("reported_by_origin", "number", "転出元の報告値", "As reported by the origin", "persons"),
        _f("reported_by_destination", "number", "転入先の報告値", "As reported by the destination",
           "persons"),
        _f("difference_persons", "number", "差（人）", "Absolute difference", "persons"),
        _f("reconciliation_status", "string", "判定", "ok, warning, error or unmatched"),
    ),
    primary_key=("calendar_year", "origin_code", "destination_code"),
    submissions=("population_moves",),
)

PROJECT_BUDGETS = PublishedDataset(
    name="project_budgets",
    relation="marts.project_budgets",
    title_ja="連携事業の予算（事業 × 年度 × 市町）",
    title_en="Collaboration project budgets by project, fiscal year and member",
    description_ja="連携事業の市町別予算額と各市町合計額、分野・施策の方向性。",
    description_en="Budgets of the collaboration projects by member, the project total over "
                   "members (各市町合計額), policy field and direction.",
    fields=(
        *_FY,
        _f("project_no", "integer", "事業番号", "Project number"),
        _f("project_name_ja", "string", "事業名", "Project name (Japanese)"),
        _f("project_name_en", "string", "事業名（英語）", "Project name (English)"),
        _f("field_ja", "string", "分野", "Policy field"),
        _f("policy_direction_ja", "string", "施策の方向性", "Policy direction"),
        _f("municipality_code", "string", "団体コード", "Member (5-digit code)"),
        _f("budget_yen", "number", "予算額（円）", "Budget (yen)", "yen"),
        _f("project_total_yen", "number", "各市町合計額（円）", "Project total over members", "yen"),
        _f("member_share", "number", "市町の負担割合", "Member's share of the total"),
        *_PROVENANCE,
    ),
    primary_key=("fiscal_year", "project_no", "municipality_code"),
    submissions=("project_budgets",),
    area_table="projects",
)

SERVICE_USAGE = PublishedDataset(
    name="service_usage",
    relation="marts.service_usage",
    title_ja="生活関連機能サービスの利用者数",
    title_en="Shared service users",
    description_ja="サービス × 提供市町 × 利用者の居住市町 × 年度の利用者数と、圏域内広域利用かどうか。",
    description_en="Users by service, providing member, residents' member and fiscal year, and "
                   "whether the use crosses members.",
    fields=(
        *_FY,
        _f("service_code", "string", "サービスコード", "Service code"),
        _f("service_name_ja", "string", "サービス名", "Service name"),
        _f("provider_municipality_code", "string", "提供市町", "Providing member"),
        _f("resident_municipality_code", "string", "利用者の居住市町", "Residents' member"),
        _f("users_persons", "number", "利用者数（人）", "Users", "persons"),
        _f("is_cross_area", "boolean", "広域利用", "Provider and residents' member differ"),
        *_PROVENANCE,
    ),
    primary_key=("fiscal_year", "service_code", "provider_municipality_code",
                 "resident_municipality_code"),
    submissions=("service_usage",),
    area_table="shared_services",
)

SERVICE_COST_SHARING = PublishedDataset(
    name="service_cost_sharing",
    relation="marts.service_cost_sharing",
    title_ja="利用実績に応じた費用負担",
    title_en="Cost sharing by usage",
    description_ja="居住市町ごとの他市町サービスの利用者数、1回あたり費用（試算値）と負担額、サービスの広域利用率。",
    description_en="Per residents' member: uses of other members' services, the per-use cost "
                   "(illustrative) and the resulting cost share, and the service's cross-area share.",
    fields=(
        *_FY,
        _f("service_code", "string", "サービスコード", "Service code"),
        _f("service_name_ja", "string", "サービス名", "Service name"),
        _f("paying_municipality_code", "string", "負担する市町", "Member bearing the cost"),
        _f("cross_area_users", "number", "他市町サービスの利用者数", "Cross-area users", "persons"),
        _f("all_users", "number", "利用者数（全体）", "All users", "persons"),
        _f("service_cross_area_share", "number", "広域利用率", "Service's cross-area share"),
        _f("cost_per_use_yen", "number", "1回あたり費用（円）", "Cost per use (yen)", "yen"),
        _f("cost_share_yen", "number", "負担額（円）", "Cost share (yen)", "yen"),
    ),
    primary_key=("fiscal_year", "service_code", "paying_municipality_code"),
    submissions=("service_usage",),
    area_table="shared_services",
)

PUBLISHED = (REGIONAL_KPIS, MUNICIPAL_INDICATORS, KPI_SCORECARD, POPULATION_FLOWS, NET_MIGRATION,
             AREA_NET_EXCHANGE, POPULATION_FLOW_RECONCILIATION, PROJECT_BUDGETS, SERVICE_USAGE,
             SERVICE_COST_SHARING)


def publishes(area: Area, dataset: PublishedDataset) -> bool:
    """An area publishes a dataset when it collects the submissions the dataset is built
    from and has the table beside area.yaml it needs (no projects.csv: no project budgets)."""
    return (all(name in area.datasets for name in dataset.submissions)
            and (dataset.area_table is None or area.has_table(dataset.area_table)))


def published_datasets(area: Area | None = None) -> tuple[PublishedDataset, ...]:
    """The datasets ``area`` (default: the active area) publishes, in catalogue order."""
    area = area_or_active(area)
    return tuple(d for d in PUBLISHED if publishes(area, d))
