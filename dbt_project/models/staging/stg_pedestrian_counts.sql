-- A pedestrian survey: one row per year, survey point and day type.
select
    municipality_code,
    cast(calendar_year as integer) as calendar_year,
    survey_point_code,
    survey_point_name,
    day_type,
    cast(pedestrians as double precision) as pedestrians_persons,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'pedestrian_counts') }}
