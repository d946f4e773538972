-- One row per reporting member, calendar year, direction (in/out) and counterpart area.
select
    municipality_code,
    cast(calendar_year as integer) as calendar_year,
    direction,
    counterpart_area_code,
    cast(persons as double precision) as persons,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'population_moves') }}
