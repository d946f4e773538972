-- Between two members, A's reported out-moves to B should equal B's reported in-moves from
-- A. Tolerances (documented in _intermediate.yml): warning beyond max(5 persons, 2 %),
-- error beyond max(20 persons, 10 %) of the larger figure.
with pairs as (
    select * from {{ ref('int_population_moves__paired') }}
    where counterpart_group = 'member'
),

reported as (
    select
        o.calendar_year,
        o.municipality_code as origin_code,
        o.counterpart_area_code as destination_code,
        o.out_persons as reported_by_origin,
        d.in_persons as reported_by_destination
    from pairs as o
    left join pairs as d
        on d.calendar_year = o.calendar_year
        and d.municipality_code = o.counterpart_area_code
        and d.counterpart_area_code = o.municipality_code
),

measured as (
    select
        *,
        abs(coalesce(reported_by_origin, 0) - coalesce(reported_by_destination, 0)) as difference_persons,
        greatest(coalesce(reported_by_origin, 0), coalesce(reported_by_destination, 0)) as larger_persons
    from reported
)

select
    calendar_year,
    origin_code,
    destination_code,
    reported_by_origin,
    reported_by_destination,
    difference_persons,
    case
        when reported_by_destination is null then 'unmatched'
        when difference_persons > greatest(20, 0.10 * larger_persons) then 'error'
        when difference_persons > greatest(5, 0.02 * larger_persons) then 'warning'
        else 'ok'
    end as reconciliation_status
from measured
