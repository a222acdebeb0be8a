"""The paper's tables and figures, regenerated from a metrics directory (section 4)."""

from artifact.report.build import build_report
from artifact.report.plot_tables import write_plot_tables

__all__ = ["build_report", "write_plot_tables"]
