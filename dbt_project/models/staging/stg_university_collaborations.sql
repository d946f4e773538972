-- One row per project run with a university or college, by fiscal year and member.
select
    municipality_code,
    cast(fiscal_year as integer) as fiscal_year,
    project_title,
    partner_institution,
    cast(collaboration_project_no as integer) as collaboration_project_no,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'university_collaborations') }}
