"""The dashboard: the summary document the database builds (``model``) and its
text rendering for the terminal (``render``)."""

from pgvigil.dashboard.render import render_summary

__all__ = ["render_summary"]
