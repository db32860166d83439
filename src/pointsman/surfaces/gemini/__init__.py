"""The Gemini API (`google-genai` SDKs, REST) as an inbound surface, answered by any provider.

parse: a generateContent request → the canonical request (fields.py spells its keys, schema.py
turns Gemini's OpenAPI schemas into JSON Schema); render: an answer → a GenerateContentResponse;
stream: canonical chunks → Gemini's stream (SSE, or a JSON array); errors: Gemini's error body;
endpoints and models: the HTTP handlers.
"""
