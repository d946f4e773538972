-- Published: users by fiscal year x service x providing member x residents' member, and
-- whether the use crosses a member's boundary (the cross-area use the vision counts).
select
    u.fiscal_year,
    'FY' || u.fiscal_year as period,
    u.service_code,
    s.name_ja as service_name_ja,
    u.provider_municipality_code,
    u.resident_municipality_code,
    u.users_persons,
    u.provider_municipality_code <> u.resident_municipality_code as is_cross_area,
    u.submission_id,
    u.source_sha256,
    u.source_sheet,
    u.source_row
from {{ ref('stg_service_usage') }} as u
join {{ source('reference', 'shared_services') }} as s using (service_code)
order by u.fiscal_year, u.service_code, u.provider_municipality_code, u.resident_municipality_code
