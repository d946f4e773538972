"""KPI platform of a regional hub city area (連携中枢都市圏 KPI 基盤).

The area is data: one folder ``sources/areas/<area_id>/`` (orchestration/area.py).
"""

__version__ = "0.1.0"
