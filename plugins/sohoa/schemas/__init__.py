"""JSON Schemas of sohoa's exchange formats (package data)."""
