-- Published: each member's component of each regional KPI, with its provenance.
select
    i.kpi_id,
    i.municipality_code,
    m.name_ja as municipality_name_ja,
    m.name_en as municipality_name_en,
    i.period,
    i.period_type,
    i.period_year,
    i.value,
    i.unit,
    i.submission_id,
    i.source_sha256,
    i.source_sheet,
    i.source_row
from {{ ref('int_municipal_indicators__unioned') }} as i
join {{ source('reference', 'municipalities') }} as m on m.lg_code5 = i.municipality_code
order by i.kpi_id, i.period, i.municipality_code
