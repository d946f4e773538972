-- Published: the official evaluation of every KPI and period, for the area's KPIs and each
-- member's own KPIs: yearly target (given, else linear from baseline to the final
-- target), achievement rate, progress mark ○ △ × —, and the outlook A/B/C (submitted, or
-- projected: see _marts.yml for the rule). The mark comes from the rate as computed; the
-- published rate leaves out figures beyond ±1,000 % and says why (macros/evaluation.sql).
{%- set evaluation_columns = [
    'kpi_id', 'kpi_name_ja', 'kpi_name_en', 'scope_code', 'unit', 'direction',
    'baseline_value', 'baseline_period', 'baseline_year', 'target_value', 'target_period',
    'target_year', 'target_qualifier', 'is_cumulative', 'period', 'period_year',
    'given_period_target', 'actual_value', 'actual_flags', 'actual_status',
    'submitted_outlook', 'note'] %}
with inputs as (
    -- the two evaluation shapes, column by column (a union matches columns by position)
    select {{ evaluation_columns | join(', ') }} from {{ ref('int_kpi_evaluation__area') }}
    union all
    select {{ evaluation_columns | join(', ') }} from {{ ref('int_kpi_evaluation__members') }}
),

targeted as (
    select
        *,
        coalesce(
            given_period_target,
            case
                when target_value is null then null
                when period_year = target_year then target_value
                when baseline_year is null or target_year = baseline_year then null
                else coalesce(baseline_value, 0)
                     + (target_value - coalesce(baseline_value, 0))
                       * (period_year - baseline_year) / (target_year - baseline_year)
            end
        ) as period_target
    from inputs
),

rated as (
    select
        *,
        {{ achievement_rate('actual_value', 'baseline_value', 'period_target', 'direction') }}
            as achievement_rate
    from targeted
),

-- Projection for the outlook: the straight line through the last two known points
-- (the baseline counts as a point) carried to the target year. A KPI has one row per
-- scope and year, so the latest year's row (rank 1) and the one before (rank 2) are those
-- points.
last_points as (
    select
        kpi_id,
        scope_code,
        max(actual_value) filter (where rank_desc = 1) as last_actual,
        max(period_year) as last_year,
        max(actual_value) filter (where rank_desc = 2) as previous_actual,
        max(period_year) filter (where rank_desc = 2) as previous_year
    from (
        select *, row_number() over (partition by kpi_id, scope_code order by period_year desc)
            as rank_desc
        from rated
        where actual_value is not null
    ) as reported
    group by kpi_id, scope_code
),

-- The KPI's definition is the same on every row of a KPI and scope: min() (bool_or() for
-- a flag) takes that one value.
projected as (
    select
        r.kpi_id,
        r.scope_code,
        min(r.target_value) as target_value,
        min(r.target_year) as target_year,
        min(r.baseline_value) as baseline_value,
        min(r.direction) as direction,
        bool_or(r.is_cumulative) as is_cumulative,
        min(r.baseline_year) as baseline_year,
        min(p.last_actual) as last_actual,
        min(p.last_year) as last_year,
        min(coalesce(p.previous_actual, r.baseline_value,
                     case when r.is_cumulative then 0 end)) as anchor_value,
        min(coalesce(p.previous_year, r.baseline_year)) as anchor_year
    from rated as r
    left join last_points as p using (kpi_id, scope_code)
    group by r.kpi_id, r.scope_code
),

outlooks as (
    select
        kpi_id,
        scope_code,
        case
            when last_actual is null then null
            when anchor_year is null or anchor_year = last_year or last_year >= target_year
                then last_actual
            else last_actual + (last_actual - anchor_value) * (target_year - last_year)
                               / (last_year - anchor_year)
        end as projected_value
    from projected
)

select
    r.kpi_id,
    r.kpi_name_ja,
    r.kpi_name_en,
    r.scope_code,
    r.period,
    r.period_year,
    r.unit,
    r.direction,
    r.baseline_value,
    r.baseline_period,
    r.target_value,
    r.target_period,
    r.target_qualifier,
    r.is_cumulative,
    r.period_target,
    r.actual_value,
    r.actual_flags,
    {{ round_double(printed_rate('r.achievement_rate'), 6) }} as achievement_rate,
    {{ achievement_rate_note('r.actual_value', 'r.baseline_value', 'r.period_target',
                             'r.achievement_rate') }} as achievement_rate_note,
    {{ progress_mark('r.actual_value', 'r.baseline_value', 'r.period_target', 'r.direction',
                     'r.achievement_rate') }} as progress_mark,
    -- why the mark is —: no actual (and why), or an actual without a target for the year
    case
        when r.actual_value is null then case r.actual_status
            when 'pending' then '集計中'
            when 'not_measured' then '未把握'
            when 'deleted' then 'KPI 削除'
            else '実績なし' end
        when r.period_target is null then '目標値なし'
    end as status_note,
    coalesce(r.submitted_outlook,
             {{ projected_outlook('o.projected_value', 'p.baseline_value', 'p.target_value',
                                  'p.direction') }}) as outlook,
    case
        when r.submitted_outlook is not null then 'submitted'
        when o.projected_value is not null then 'projected'
        else 'none'
    end as outlook_source,
    o.projected_value as projected_target_year_value,
    r.note
from rated as r
left join outlooks as o using (kpi_id, scope_code)
left join projected as p using (kpi_id, scope_code)
order by r.scope_code = 'area' desc, r.scope_code, r.kpi_id, r.period_year
