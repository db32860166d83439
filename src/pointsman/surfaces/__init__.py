"""Inbound surfaces: one folder per wire format a client may speak; each parses its requests into
the canonical request (OpenAI chat completions shape, see providers/base.py), renders answers,
streams and errors back, and lists its paths in its routes.py (api/app.py joins them).

    openai/      POST /v1/chat/completions, /v1/embeddings (the canonical wire)
    completions/ POST /v1/completions (legacy text completions)
    anthropic/   POST /v1/messages, /v1/messages/count_tokens
    responses/   POST /v1/responses
    gemini/      models/{model}:generateContent, :streamGenerateContent, :countTokens; GET models
    errorshape.py  which surface's error body a path (or a client's headers) gets
"""
