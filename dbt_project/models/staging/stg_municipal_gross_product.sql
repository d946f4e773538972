-- One row per member and fiscal year; gross product already in yen (百万円 inputs converted at intake).
select
    municipality_code,
    cast(fiscal_year as integer) as fiscal_year,
    cast(gross_product_yen as double precision) as gross_product_yen,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'municipal_gross_product') }}
