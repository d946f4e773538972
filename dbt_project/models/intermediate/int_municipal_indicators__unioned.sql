-- Each member's component of each regional KPI, one row per KPI x member x period.
-- New KPI components are added here as one more union branch.
select
    'tourist_visitors' as kpi_id,
    municipality_code,
    'CY' || calendar_year as period,
    'CY' as period_type,
    calendar_year as period_year,
    visitors_persons as value,
    'persons' as unit,
    submission_id,
    source_sha256,
    source_sheet,
    source_row
from {{ ref('stg_tourism_visitors') }}
