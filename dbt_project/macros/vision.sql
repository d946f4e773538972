{#- The third regional vision runs FY2026-FY2030 (R8-R12). -#}
{% macro vision_start_year() %}2026{% endmacro %}

{#- KPIs whose target is stated as a total over the vision's years: net_social_migration
    (+2,500人, R8~R12年の累計, as printed) and university_collab_projects (12件 by R12年度;
    the reference does not say per year or cumulative; we read it as cumulative, documented). -#}
{% macro cumulative_kpis() %}'net_social_migration', 'university_collab_projects'{% endmacro %}
