-- Published quality finding: A's reported out-moves to B against B's reported in-moves
-- from A, for every pair of members and year (status ok / warning / error / unmatched).
select
    calendar_year,
    'CY' || calendar_year as period,
    origin_code,
    destination_code,
    reported_by_origin,
    reported_by_destination,
    difference_persons,
    reconciliation_status
from {{ ref('int_population_flows__reconciled') }}
order by calendar_year, origin_code, destination_code
