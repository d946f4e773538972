-- One row per reporting member, calendar year, direction (in/out) and counterpart area.
select
    municipality_code,
    cast(calendar_year as integer) as calendar_year,
    direction,
    counterpart_area_code,
    cast(persons as double) as persons,
    note,
    submission_id,
    source_sha256,
    source_sheet,
    cast(source_row as integer) as source_row
from {{ source('raw', 'population_moves') }}
