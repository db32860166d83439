"""OpenAI's chat completions and embeddings: the canonical wire, so nothing to parse or render
beyond checking the request (api/validate.py); chat.py streams SSE with the cost as a trailing
comment; embeddings.py forwards to the named model; routes: its paths."""
