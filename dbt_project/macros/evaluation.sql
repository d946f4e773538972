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

{#- The rate is printed (and published) only within ±1,000 %. Beyond that the target differs
    from the baseline by a sliver of how far the actual moved (263,043 → 264,000 planned,
    191,138 actual gives −9,016 %): the figure says nothing a reader can use. The
    progress mark still comes from the rate itself, so the marks do not depend on this bound
    (a rate beyond +1,000 % is ○, beyond −1,000 % is ×). -#}
{% macro max_printed_rate() %}10.0{% endmacro %}

{% macro printed_rate(rate) -%}
    case when abs({{ rate }}) > {{ max_printed_rate() }} then null else {{ rate }} end
{%- endmacro %}

{#- Why a year with an actual and a target has no printed rate (published as
    achievement_rate_note; the pages print it beside —). -#}
{% macro achievement_rate_note(actual, baseline, target, rate) -%}
    case
        when {{ actual }} is null or {{ target }} is null then null
        when {{ target }} = coalesce({{ baseline }}, 0)
            then '目標値が基準値と同じため達成率は算出しません（目標に達すれば ○）'
        when abs({{ rate }}) > {{ max_printed_rate() }}
            then '目標値と基準値の差が小さく達成率は算出しません（±1,000% 超）'
    end
{%- endmacro %}

{#- Flags of a submitted value that change what the number means to a reader (約 = approximate,
    速報値 = preliminary, 推計値 = estimate, 平均 = average); the parser's bookkeeping flags
    (converted, unit_from_column, ...) stay in staging. Sorted, ';'-separated, null if none. -#}
{% macro meaning_flags(flags) -%}
    {{ sorted_list_items(flags, ['approximate', 'average', 'estimate', 'preliminary']) }}
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
