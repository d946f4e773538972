-- The published area value equals the sum of the published member components.
select r.kpi_id, r.period, r.value, sum(m.value) as members_total
from {{ ref('regional_kpis') }} as r
join {{ ref('municipal_indicators') }} as m using (kpi_id, period)
group by r.kpi_id, r.period, r.value
having abs(r.value - sum(m.value)) > 0.5
