{#- The vocabulary of KPI methods (DESIGN.md "Area definition"). A regional KPI names its
    method in the area's definition (source.method); int_municipal_indicators__unioned calls
    the macro of that name once per KPI. Each method returns one row per member and period:
    the member's component of the KPI, in the KPI's base unit, with the provenance of the
    first contributing row.

    The KPI reaches a macro as a mapping from the var `area_kpis` (built in Python from the
    area, orchestration/dbt_manifest.py): id, method, dataset, measure, period_type (CY|FY),
    unit and members (the member codes the method reads).

    A new method is one macro here, named as the method (and the name in
    orchestration/area.py METHODS), with its unit test method_<name> in
    models/intermediate/_intermediate.yml (tests/integration/test_dbt_models.py asks for it).
    A method reads the staging model of the KPI's dataset (stg_<dataset>), or for moves the
    paired in/out model (int_<dataset>__paired). -#}

{#- CY counts calendar years, FY fiscal years (April-March): the staging column of each. -#}
{% macro kpi_period_column(kpi) -%}
    {%- if kpi.period_type == 'CY' -%}calendar_year
    {%- elif kpi.period_type == 'FY' -%}fiscal_year
    {%- else -%}{{ exceptions.raise_compiler_error(
        "KPI " ~ kpi.id ~ ": period_type must be CY or FY, not " ~ kpi.period_type) }}
    {%- endif -%}
{%- endmacro %}

{% macro kpi_members_filter(kpi, column='municipality_code') -%}
    {%- if kpi.members -%}
        {{ column }} in ({% for code in kpi.members %}'{{ code }}'{{ ", " if not loop.last }}{% endfor %})
    {%- else -%}false
    {%- endif -%}
{%- endmacro %}

{#- The columns every method returns, after municipality_code, period_year and value. -#}
{% macro kpi_component_columns(kpi) -%}
    '{{ kpi.id }}' as kpi_id,
    '{{ kpi.period_type }}' as period_type,
    '{{ kpi.unit }}' as unit
{%- endmacro %}

{% macro kpi_first_provenance() -%}
    min(submission_id) as submission_id,
    min(source_sha256) as source_sha256,
    min(source_sheet) as source_sheet,
    min(source_row) as source_row
{%- endmacro %}

{#- The measure of the listed members, per member and period (a period is published only
    when every listed member reported it: regional_kpis, required_members). -#}
{% macro sum_of_members(kpi) -%}
    select
        {{ kpi_component_columns(kpi) }},
        municipality_code,
        {{ kpi_period_column(kpi) }} as period_year,
        cast(sum({{ kpi.measure }}) as double precision) as value,
        {{ kpi_first_provenance() }}
    from {{ ref('stg_' ~ kpi.dataset) }}
    where {{ kpi_members_filter(kpi) }}
    group by municipality_code, {{ kpi_period_column(kpi) }}
{%- endmacro %}

{#- How many rows a member submitted for the period (projects, events, ...). -#}
{% macro count_of_rows(kpi) -%}
    select
        {{ kpi_component_columns(kpi) }},
        municipality_code,
        {{ kpi_period_column(kpi) }} as period_year,
        cast(count(*) as double precision) as value,
        {{ kpi_first_provenance() }}
    from {{ ref('stg_' ~ kpi.dataset) }}
    where {{ kpi_members_filter(kpi) }}
    group by municipality_code, {{ kpi_period_column(kpi) }}
{%- endmacro %}

{#- In - out moves over every counterpart of the member's moves. Summed over the members,
    a move between two members is +1 in one and -1 in the other, so the area's value is its
    net migration with the outside. -#}
{% macro net_moves(kpi) -%}
    select
        {{ kpi_component_columns(kpi) }},
        municipality_code,
        {{ kpi_period_column(kpi) }} as period_year,
        cast(sum(in_persons) - sum(out_persons) as double precision) as value,
        {{ kpi_first_provenance() }}
    from {{ ref('int_' ~ kpi.dataset ~ '__paired') }}
    where {{ kpi_members_filter(kpi) }}
    group by municipality_code, {{ kpi_period_column(kpi) }}
{%- endmacro %}

{#- Users of a member's services who live in another listed member: the cross-area use of
    shared services (生活関連機能サービスの広域利用), credited to the providing member. -#}
{% macro cross_member_usage(kpi) -%}
    select
        {{ kpi_component_columns(kpi) }},
        provider_municipality_code as municipality_code,
        {{ kpi_period_column(kpi) }} as period_year,
        cast(sum({{ kpi.measure }}) as double precision) as value,
        {{ kpi_first_provenance() }}
    from {{ ref('stg_' ~ kpi.dataset) }}
    where provider_municipality_code <> resident_municipality_code
        and {{ kpi_members_filter(kpi, 'provider_municipality_code') }}
    group by provider_municipality_code, {{ kpi_period_column(kpi) }}
{%- endmacro %}

{#- A pedestrian survey: the sum over survey points of the mean over the day types counted
    there (weekday, holiday: one survey day each), so that no day type dominates. -#}
{% macro survey_points_mean(kpi) -%}
    select
        {{ kpi_component_columns(kpi) }},
        municipality_code,
        period_year,
        cast(sum(point_mean) as double precision) as value,
        {{ kpi_first_provenance() }}
    from (
        select
            municipality_code,
            {{ kpi_period_column(kpi) }} as period_year,
            survey_point_code,
            avg({{ kpi.measure }}) as point_mean,
            {{ kpi_first_provenance() }}
        from {{ ref('stg_' ~ kpi.dataset) }}
        where {{ kpi_members_filter(kpi) }}
        group by municipality_code, {{ kpi_period_column(kpi) }}, survey_point_code
    ) as points
    group by municipality_code, period_year
{%- endmacro %}

{#- One KPI's components: the macro named by its method. -#}
{% macro kpi_components(kpi) -%}
    {%- set method = context.get(kpi.method) -%}
    {#- only the area's vocabulary (orchestration/area.py METHODS), never any other macro -#}
    {%- if kpi.method not in var('kpi_methods', []) or method is none -%}
        {{ exceptions.raise_compiler_error(
            "KPI " ~ kpi.id ~ ": unknown method " ~ kpi.method
            ~ " (known: " ~ var('kpi_methods', []) | join(", ") ~ ")") }}
    {%- endif -%}
    {{ method(kpi) }}
{%- endmacro %}
