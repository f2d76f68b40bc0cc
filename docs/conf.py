"""Sphinx configuration: the API pages are built from the numpydoc docstrings (``make docs``, warnings are errors)."""

project = "psychometrics"
author = "psychometrics contributors"
release = "0.1.0"

extensions = ["sphinx.ext.autodoc", "numpydoc"]

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections give the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
exclude_patterns = ["_build"]
html_theme = "alabaster"
