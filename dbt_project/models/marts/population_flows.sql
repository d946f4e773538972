-- Published: moves by calendar year between each member and each counterpart area as the
-- member reported them (in, out, net), with the counterpart's area group.
select
    calendar_year,
    'CY' || calendar_year as period,
    municipality_code,
    counterpart_area_code,
    counterpart_name_ja,
    counterpart_name_en,
    counterpart_group,
    in_persons,
    out_persons,
    in_persons - out_persons as net_persons,
    submission_id,
    source_sha256,
    source_sheet,
    source_row
from {{ ref('int_population_moves__paired') }}
order by calendar_year, municipality_code, counterpart_area_code
