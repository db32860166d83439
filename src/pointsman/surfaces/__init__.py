"""Inbound surfaces: one folder per wire format a client may speak; each parses its requests into
the canonical request (OpenAI chat completions shape, see providers/base.py), renders answers,
streams and errors back."""
