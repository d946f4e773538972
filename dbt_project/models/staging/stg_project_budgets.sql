-- Each member's budget per collaboration project and fiscal year, in yen (千円 converted at intake).
select
    municipality_code,
    cast(fiscal_year as integer) as fiscal_year,
    cast(project_no as integer) as project_no,
    cast(budget_yen as double precision) as budget_yen,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'project_budgets') }}
