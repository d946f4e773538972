-- Published: cost sharing by usage (利用実績に応じた費用負担). For each fiscal year and
-- service, a member bears the per-use cost (seed shared_services, illustrative until the
-- agreed prices replace it) of its residents' uses of services provided by other members;
-- also the share of cross-area use per service.
with usage as (
    select * from {{ ref('service_usage') }}
),

costs as (
    select service_code, cost_per_use_yen from {{ source('reference', 'shared_services') }}
)

select
    u.fiscal_year,
    u.period,
    u.service_code,
    u.service_name_ja,
    u.resident_municipality_code as paying_municipality_code,
    sum(u.users_persons) filter (where u.is_cross_area) as cross_area_users,
    sum(u.users_persons) as all_users,
    sum(sum(u.users_persons) filter (where u.is_cross_area)) over (partition by u.fiscal_year, u.service_code)
        / nullif(sum(sum(u.users_persons)) over (partition by u.fiscal_year, u.service_code), 0)
        as service_cross_area_share,
    c.cost_per_use_yen,
    coalesce(sum(u.users_persons) filter (where u.is_cross_area), 0) * c.cost_per_use_yen
        as cost_share_yen
from usage as u
join costs as c using (service_code)
group by u.fiscal_year, u.period, u.service_code, u.service_name_ja,
    u.resident_municipality_code, c.cost_per_use_yen
order by u.fiscal_year, u.service_code, paying_municipality_code
