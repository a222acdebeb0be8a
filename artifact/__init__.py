"""artifact: a reproducibility-audited re-run of "Fundamental Limits of Neural Network
Sparsification: Evidence from Catastrophic Interpretability Collapse" (Roy, Misra, Singh)."""

__version__ = "0.1.0"
