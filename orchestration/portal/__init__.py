"""The members' portal: members submit their own data over HTTP, the secretariat sees all.

Nothing here imports dagster, dbt or Great Expectations: a page or an upload answers within
a second, with the same intake code as ``kurume-hub validate``/``submit``.
"""
