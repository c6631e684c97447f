"""bntui — a terminal laboratory for Batch Normalization."""

__version__ = "0.1.0"
