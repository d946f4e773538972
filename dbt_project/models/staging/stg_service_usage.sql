-- Shared-service users by fiscal year, service, providing member and residents' member.
select
    municipality_code,
    cast(fiscal_year as integer) as fiscal_year,
    service_code,
    provider_municipality as provider_municipality_code,
    resident_municipality as resident_municipality_code,
    cast(users as double precision) as users_persons,
    note,
    {{ provenance_columns() }}
from {{ source('raw', 'service_usage') }}
