"""OpenAI's Responses API (Codex, the OpenAI SDKs) as an inbound surface, answered by any provider.

parse: a Responses request → the canonical request (items.py: its `input` items, tools.py: its
tools and the names that map calls back); render: an answer → a Response object; stream: canonical
chunks → Responses stream events; endpoints: POST /v1/responses; routes: its path. Errors take
OpenAI's shape, the canonical one (errors.py at the package root).
"""
