-- One row per reporting member, year and counterpart area with in and out side by side,
-- classified by the counterpart's area group (member, 福岡市, 東京圏, ...).
{#- A table on PostgreSQL, a view on DuckDB: several marts and tests read the members' moves,
    and PostgreSQL evaluates a view again for each (at 1,741 members: 13 s for
    net_migration alone), where DuckDB scans it in a fraction of a second. -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
with moves as (
    select * from {{ ref('stg_population_moves') }}
)

select
    m.municipality_code,
    m.calendar_year,
    m.counterpart_area_code,
    a.name_ja as counterpart_name_ja,
    a.name_en as counterpart_name_en,
    a.area_group as counterpart_group,
    sum(case when m.direction = 'in' then m.persons else 0 end) as in_persons,
    sum(case when m.direction = 'out' then m.persons else 0 end) as out_persons,
    min(m.submission_id) as submission_id,
    min(m.source_sha256) as source_sha256,
    min(m.source_sheet) as source_sheet,
    min(m.source_row) as source_row
from moves as m
join {{ source('reference', 'counterpart_areas') }} as a on a.area_code = m.counterpart_area_code
group by m.municipality_code, m.calendar_year, m.counterpart_area_code, a.name_ja, a.name_en,
    a.area_group
