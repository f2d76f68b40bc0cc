"""Placeholder: reports (issue 8)."""
