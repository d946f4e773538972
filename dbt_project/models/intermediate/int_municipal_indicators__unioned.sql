-- Each member's component of each regional KPI, one row per KPI x member x period, with the
-- provenance of the value (for sums: the submission of the first contributing row).
with gross_product as (
    select
        'regional_gross_product' as kpi_id, municipality_code, 'FY' as period_type,
        fiscal_year as period_year, gross_product_yen as value, 'yen' as unit,
        submission_id, source_sha256, source_sheet, source_row
    from {{ ref('stg_municipal_gross_product') }}
),

tourism as (
    select
        'tourist_visitors', municipality_code, 'CY', calendar_year, visitors_persons, 'persons',
        submission_id, source_sha256, source_sheet, source_row
    from {{ ref('stg_tourism_visitors') }}
),

pedestrians as (
    -- Day-type rule: the KPI is the sum over survey points of the mean of the weekday and
    -- holiday counts (one survey day each), so neither day type dominates the figure.
    select
        'central_pedestrian_traffic', municipality_code, 'CY', calendar_year,
        sum(pedestrians_persons) / 2.0, 'persons',
        min(submission_id), min(source_sha256), min(source_sheet), min(source_row)
    from {{ ref('stg_pedestrian_counts') }}
    group by municipality_code, calendar_year
),

university as (
    select
        'university_collab_projects', municipality_code, 'FY', fiscal_year, count(*), 'projects',
        min(submission_id), min(source_sha256), min(source_sheet), min(source_row)
    from {{ ref('stg_university_collaborations') }}
    group by municipality_code, fiscal_year
),

services as (
    -- Users of a member's services who live in another member: the cross-area use the
    -- vision counts (生活関連機能サービスの広域利用).
    select
        'lifestyle_service_users', provider_municipality_code, 'FY', fiscal_year,
        sum(users_persons), 'persons',
        min(submission_id), min(source_sha256), min(source_sheet), min(source_row)
    from {{ ref('stg_service_usage') }}
    where provider_municipality_code <> resident_municipality_code
    group by provider_municipality_code, fiscal_year
),

migration as (
    select
        'net_social_migration', municipality_code, 'CY', calendar_year,
        sum(in_persons) - sum(out_persons), 'persons',
        min(submission_id), min(source_sha256), min(source_sheet), min(source_row)
    from {{ ref('int_population_moves__paired') }}
    group by municipality_code, calendar_year
),

unioned as (
    select * from gross_product
    union all select * from tourism
    union all select * from pedestrians
    union all select * from university
    union all select * from services
    union all select * from migration
)

select
    kpi_id,
    municipality_code,
    period_type || period_year as period,
    period_type,
    period_year,
    value,
    unit,
    submission_id,
    source_sha256,
    source_sheet,
    source_row
from unioned
