-- One row per member and calendar year, as accepted at intake (latest submission wins).
select
    municipality_code,
    cast(calendar_year as integer) as calendar_year,
    cast(visitors as double precision) as visitors_persons,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'tourism_visitors') }}
