"""Kurume regional hub KPI platform (久留米広域連携中枢都市圏 KPI 基盤)."""

__version__ = "0.1.0"
