-- Members' own KPIs (kpi_records) in the common evaluation shape: one row per KPI and year
-- that has a target or an actual after the baseline, up to the final target's year. A year
-- whose number equals the baseline's is evaluated when it has its own target in another
-- period (baseline CY2015, yearly targets from FY2015): that is a year to judge, not the
-- baseline itself.
-- A final target stated over a range (CY2020-CY2024, 累計) makes the KPI cumulative: yearly
-- actuals are added up from the range's first year and compared with a target that grows
-- from zero; the printed baseline of an earlier range is then context only.
with records as (
    select * from {{ ref('stg_kpi_records') }}
),

kpis as (
    select
        municipality_code,
        kpi_code,
        {{ first_value_by('kpi_name', 'source_row, submission_id') }} as kpi_name,
        {{ first_value_by('unit', 'source_row, submission_id') }} as unit,
        {{ first_value_by('direction', 'source_row, submission_id') }} as direction
    from records
    group by municipality_code, kpi_code
),

-- The latest baseline, final target and outlook of each KPI: the first row of each by
-- the order given (row_number in a subquery: PostgreSQL has no qualify). Rows equal in
-- that order are told apart by period, file row and submission, so that both engines
-- pick the same one.
baselines as (
    select municipality_code, kpi_code, baseline_value, baseline_period, baseline_year
    from (
        select municipality_code, kpi_code, value as baseline_value, period as baseline_period,
            period_end_year as baseline_year,
            row_number() over (
                partition by municipality_code, kpi_code
                order by period_end_year desc nulls last, period, source_row, submission_id)
                as rank_desc
        from records
        where kind = 'baseline' and value_status = 'ok'
    ) as ranked
    where rank_desc = 1
),

final_targets as (
    select municipality_code, kpi_code, target_value, target_period, period_start_year,
        target_year, target_qualifier, is_cumulative
    from (
        select municipality_code, kpi_code, value as target_value, period as target_period,
            period_start_year, period_end_year as target_year,
            value_qualifier as target_qualifier, is_period_range as is_cumulative,
            row_number() over (
                partition by municipality_code, kpi_code
                order by period_end_year desc nulls last, is_period_range desc nulls last,
                    period, source_row, submission_id) as rank_desc
        from records
        where kind = 'target' and value_status = 'ok'
    ) as ranked
    where rank_desc = 1
),

outlooks as (
    select municipality_code, kpi_code, submitted_outlook
    from (
        select municipality_code, kpi_code, value_raw as submitted_outlook,
            row_number() over (
                partition by municipality_code, kpi_code
                order by period_end_year desc nulls last, period, source_row, submission_id)
                as rank_desc
        from records
        where kind = 'outlook'
    ) as ranked
    where rank_desc = 1
),

yearly as (
    -- single-year targets and actuals (a range row is a cumulative target, handled above)
    select
        municipality_code,
        kpi_code,
        period_end_year as period_year,
        max(period) filter (where kind = 'actual') as actual_period,
        max(period) filter (where kind = 'target') as target_period,
        max(value) filter (where kind = 'target' and value_status = 'ok') as given_period_target,
        max(value) filter (where kind = 'actual' and value_status = 'ok') as actual_value,
        -- 約450人 stays "about 450" wherever the value is published
        {{ meaning_flags("max(value_flags) filter (where kind = 'actual' and value_status = 'ok')") }}
            as actual_flags,
        -- a real value wins over a status word typed for the same year in another notation
        coalesce(max(value_status) filter (where kind = 'actual' and value_status = 'ok'),
                 max(value_status) filter (where kind = 'actual')) as actual_status,
        -- the member's own words on the year (備考), for the report's commentary
        string_agg(distinct nullif(trim(note), ''), ' / ' order by nullif(trim(note), ''))
            as note
    from records
    where kind in ('target', 'actual') and not is_period_range
    group by municipality_code, kpi_code, period_end_year
),

target_end_rows as (
    -- a cumulative target's last year gets a row even before anything is reported for it
    -- (typed nulls: PostgreSQL reads a bare null in a union as text)
    select t.municipality_code, t.kpi_code, t.target_year as period_year,
        cast(null as varchar) as actual_period, cast(null as varchar) as target_period,
        cast(null as double precision) as given_period_target,
        cast(null as double precision) as actual_value, cast(null as varchar) as actual_flags,
        cast(null as varchar) as actual_status, cast(null as varchar) as note
    from final_targets as t
    where t.is_cumulative
        and not exists (
            select 1 from yearly as y
            where y.municipality_code = t.municipality_code and y.kpi_code = t.kpi_code
                and y.period_year = t.target_year)
),

years as (
    select * from yearly
    union all
    select * from target_end_rows
),

joined as (
    select
        y.*,
        k.kpi_name,
        k.unit,
        k.direction,
        b.baseline_value,
        b.baseline_period,
        b.baseline_year,
        t.target_value,
        t.target_period as final_target_period,
        t.target_year,
        t.target_qualifier,
        coalesce(t.is_cumulative, false) as is_cumulative,
        t.period_start_year as cumulative_start_year,
        o.submitted_outlook
    from years as y
    join kpis as k using (municipality_code, kpi_code)
    left join baselines as b using (municipality_code, kpi_code)
    left join final_targets as t using (municipality_code, kpi_code)
    left join outlooks as o using (municipality_code, kpi_code)
),

in_scope as (
    select * from joined
    where period_year <= coalesce(target_year, period_year)
      and case when is_cumulative then period_year >= cumulative_start_year
               when period_year = baseline_year
                   then given_period_target is not null and target_period <> baseline_period
               else period_year > coalesce(baseline_year, period_year - 1) end
),

cumulated as (
    select
        *,
        case when is_cumulative then
            sum(actual_value) over w
        end as cumulative_actual,
        count(actual_value) over w as years_reported,
        -- a total with an approximate year in it is approximate too
        string_agg(actual_flags, ';') over w as cumulative_flags
    from in_scope
    window w as (partition by municipality_code, kpi_code order by period_year
                 rows between unbounded preceding and current row)
)

select
    kpi_code as kpi_id,
    kpi_name as kpi_name_ja,
    cast(null as varchar) as kpi_name_en,
    municipality_code as scope_code,
    unit,
    direction,
    case when is_cumulative then null else baseline_value end as baseline_value,
    case when is_cumulative then null else baseline_period end as baseline_period,
    case when is_cumulative then cumulative_start_year - 1 else baseline_year end as baseline_year,
    target_value,
    final_target_period as target_period,
    target_year,
    target_qualifier,
    is_cumulative,
    coalesce(actual_period, target_period,
             left(final_target_period, 2) || period_year) as period,
    period_year,
    case when is_cumulative then null else given_period_target end as given_period_target,
    case
        when not is_cumulative then actual_value
        -- a cumulative actual needs every year since the start
        when years_reported = period_year - cumulative_start_year + 1 then cumulative_actual
    end as actual_value,
    case
        when not is_cumulative then actual_flags
        when years_reported = period_year - cumulative_start_year + 1
            then {{ meaning_flags('cumulative_flags') }}
    end as actual_flags,
    coalesce(actual_status, 'missing') as actual_status,
    submitted_outlook,
    note
from cumulated
