-- Kurume's central-district survey: one row per year, survey point and day type.
select
    municipality_code,
    cast(calendar_year as integer) as calendar_year,
    survey_point_code,
    survey_point_name,
    day_type,
    cast(pedestrians as double) as pedestrians_persons,
    note,
    submission_id,
    source_sha256,
    source_sheet,
    cast(source_row as integer) as source_row
from {{ source('raw', 'pedestrian_counts') }}
