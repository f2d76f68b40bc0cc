"""Instrument definitions (YAML) and the JSON Schema they follow; installed as psychometrics.data_schema."""
