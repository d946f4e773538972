{#- The third regional vision runs FY2026-FY2030 (R8-R12). -#}
{% macro vision_start_year() %}2026{% endmacro %}

{#- KPIs published with a running total from the vision's first year (cumulative_value):
    net_social_migration (its target is the R8~R12年 total) and university_collab_projects
    (the issue asks for the count and the total since FY2026). -#}
{% macro cumulative_kpis() %}'net_social_migration', 'university_collab_projects'{% endmacro %}

{#- KPIs evaluated against a cumulative target. Only net_social_migration states one
    ("+2,500人 (R8~R12年の累計)"). university_collab_projects ("— → 12件 (R12年度)") is read
    as the number of projects in FY2030: the members already run about ten a year, so a
    five-year total of 12 would be met in the first year and mean nothing. -#}
{% macro cumulative_target_kpis() %}'net_social_migration'{% endmacro %}
