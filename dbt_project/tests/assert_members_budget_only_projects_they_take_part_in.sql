-- A member may budget only collaboration projects it takes part in
-- (participating_lg_code5 of the area's projects.csv, in reference.collaboration_projects).
-- Rows returned fail.
select b.municipality_code, b.fiscal_year, b.project_no
from {{ ref('stg_project_budgets') }} as b
join {{ source('reference', 'collaboration_projects') }} as p on p."no" = b.project_no
-- (participating_lg_code5 is ';'-separated: a code is in it when ;code; is in ;list;)
where position(';' || b.municipality_code || ';' in ';' || p.participating_lg_code5 || ';') = 0
