{#- The official evaluation (DESIGN.md "Evaluation", reference/evaluation_rubrics.md).
    Progress from the baseline: (actual - baseline) / (target - baseline), mirrored for
    lower-is-better. Where the target equals the baseline (maintain, or "at least the
    baseline every year") there is no rate: the year is ○ when the target is reached. -#}

{% macro achievement_rate(actual, baseline, target, direction) -%}
    case
        when {{ actual }} is null or {{ target }} is null then null
        when {{ target }} = coalesce({{ baseline }}, 0) then null
        when {{ direction }} = 'lower'
            then (coalesce({{ baseline }}, 0) - {{ actual }}) / (coalesce({{ baseline }}, 0) - {{ target }})
        else ({{ actual }} - coalesce({{ baseline }}, 0)) / ({{ target }} - coalesce({{ baseline }}, 0))
    end
{%- endmacro %}

{% macro target_reached(actual, target, direction) -%}
    case when {{ direction }} = 'lower' then {{ actual }} <= {{ target }}
         else {{ actual }} >= {{ target }} end
{%- endmacro %}

{% macro progress_mark(actual, baseline, target, direction, rate) -%}
    case
        when {{ actual }} is null or {{ target }} is null then '—'
        when {{ target }} = coalesce({{ baseline }}, 0)
            then case when {{ target_reached(actual, target, direction) }} then '○' else '×' end
        when {{ rate }} >= 1.0 then '○'
        when {{ rate }} >= 0.7 then '△'
        else '×'
    end
{%- endmacro %}

{#- Outlook from a projection: A if the projected value reaches the final target, B if it
    makes 70 % of the way from the baseline, else C (same scale as the progress mark). -#}
{% macro projected_outlook(projected, baseline, target, direction) -%}
    case
        when {{ projected }} is null or {{ target }} is null then null
        when {{ target }} = coalesce({{ baseline }}, 0)
            then case when {{ target_reached(projected, target, direction) }} then 'A' else 'C' end
        when {{ achievement_rate(projected, baseline, target, direction) }} >= 1.0 then 'A'
        when {{ achievement_rate(projected, baseline, target, direction) }} >= 0.7 then 'B'
        else 'C'
    end
{%- endmacro %}

{#- Display unit of the reference table (億円, 千人, 人, 件) -> factor to base units. -#}
{% macro display_unit_factor(unit_text) -%}
    case
        when {{ unit_text }} like '億円%' then 100000000.0
        when {{ unit_text }} like '千人%' then 1000.0
        else 1.0
    end
{%- endmacro %}

{% macro base_unit(unit_text) -%}
    case
        when {{ unit_text }} like '%円%' then 'yen'
        when {{ unit_text }} like '件%' then 'projects'
        else 'persons'
    end
{%- endmacro %}
