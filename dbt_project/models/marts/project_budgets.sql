-- Published: the collaboration projects x fiscal year x member, each member's budget,
-- the project's total over members (各市町合計額) and each member's share of it.
with budgets as (
    select * from {{ ref('stg_project_budgets') }}
),

projects as (
    select * from {{ source('reference', 'collaboration_projects') }}
)

select
    b.fiscal_year,
    'FY' || b.fiscal_year as period,
    b.project_no,
    p.name_ja as project_name_ja,
    p.name_en as project_name_en,
    p.field_ja,
    p.policy_direction_ja,
    b.municipality_code,
    b.budget_yen,
    sum(b.budget_yen) over (partition by b.fiscal_year, b.project_no) as project_total_yen,
    b.budget_yen / nullif(sum(b.budget_yen) over (partition by b.fiscal_year, b.project_no), 0)
        as member_share,
    b.submission_id,
    b.source_sha256,
    b.source_sheet,
    b.source_row
from budgets as b
join projects as p on p."no" = b.project_no
order by b.fiscal_year, b.project_no, b.municipality_code
