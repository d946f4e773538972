{#- The SQL that differs between the warehouse engines, in one place (DuckDB, the default
    warehouse; PostgreSQL, the second one: every other adapter gets the default__ form,
    which is standard SQL as PostgreSQL runs it). Models and tests call these and are
    otherwise plain SQL both engines run alike (tests/unit/test_dbt_project.py keeps it so).
    Each pair must give the same values, so that both engines publish identical releases
    (tests/integration/test_postgres_warehouse.py). -#}

{#- The distinct ';'-separated items of a text that are in `keep`, sorted by bytes and
    joined with ';'; null when none is. -#}
{% macro sorted_list_items(text, keep) -%}
    {{ adapter.dispatch('sorted_list_items')(text, keep) }}
{%- endmacro %}

{% macro duckdb__sorted_list_items(text, keep) -%}
    nullif(array_to_string(list_sort(list_distinct(
        [f for f in string_split(coalesce({{ text }}, ''), ';')
         if f in ({% for item in keep %}'{{ item }}'{{ ", " if not loop.last }}{% endfor %})])), ';'), '')
{%- endmacro %}

{% macro default__sorted_list_items(text, keep) -%}
    nullif(array_to_string(array(
        select distinct item
        from unnest(string_to_array(coalesce({{ text }}, ''), ';')) as items(item)
        where item in ({% for item in keep %}'{{ item }}'{{ ", " if not loop.last }}{% endfor %})
        order by item), ';'), '')
{%- endmacro %}

{#- The value of the group's first row by `order_by` that has a value (DuckDB's
    any_value(... order by ...)). -#}
{% macro first_value_by(value, order_by) -%}
    {{ adapter.dispatch('first_value_by')(value, order_by) }}
{%- endmacro %}

{% macro duckdb__first_value_by(value, order_by) -%}
    any_value({{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro default__first_value_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }}) filter (where {{ value }} is not null))[1]
{%- endmacro %}

{#- A double rounded to `digits` decimals as DuckDB's round(double, n) gives it: the
    decimal nearest to the double's exact binary value, as a double (Python's round()).
    PostgreSQL's round() takes numeric only, and a double becomes numeric through 15
    significant digits, which moves a value next to a half onto the half: the published
    rates would differ in the last digit. So PostgreSQL works in binary floating point:
    y = |x| * 10^n rounded, plus its exact rounding error (Dekker's product: 10^n has
    few bits, so x's Veltkamp split alone makes each step exact); whether the exact product
    lies above or below the half decides, and the integer is divided by 10^n again.
    `digits`: a literal whole number from 0 to 8 (10^n then fits in 27 bits). -#}
{% macro round_double(value, digits) -%}
    {{ adapter.dispatch('round_double')(value, digits) }}
{%- endmacro %}

{% macro duckdb__round_double(value, digits) -%}
    round({{ value }}, {{ digits }})
{%- endmacro %}

{% macro default__round_double(value, digits) -%}
    {%- if digits is not integer or digits < 0 or digits > 8 -%}
        {{ exceptions.raise_compiler_error("round_double: digits must be 0..8, not " ~ digits) }}
    {%- endif -%}
    {%- set scale = "cast(1e" ~ digits ~ " as double precision)" -%}
    (select case
            when y is null then null
            when x = 0 then x  -- keeps the sign of -0.0, as DuckDB does
            -- beyond 2^52 every double is a whole number at this scale already
            when y >= 4503599627370496 then x
            else sign(x) * ((floor(y) + case when (y - floor(y) - 0.5) + err >= 0 then 1 else 0 end)
                            / {{ scale }})
        end
     from (
        select x, y,
            -- the exact a * 10^n - y (a = hi + lo, hi with 26 significant bits)
            -(((y - hi * {{ scale }}) - (a - hi) * {{ scale }})) as err
        from (
            select x, a, y, (134217729 * a) - ((134217729 * a) - a) as hi
            from (
                select x, abs(x) as a, abs(x) * {{ scale }} as y
                from (select cast({{ value }} as double precision) as x) as given
            ) as scaled
        ) as split
     ) as exact)
{%- endmacro %}
