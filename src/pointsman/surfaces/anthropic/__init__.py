"""Anthropic's Messages API (Claude SDKs, Claude Code) as an inbound surface, answered by any provider.

parse: a Messages request → the canonical request (fields.py: its top-level fields; what only
Anthropic's API knows travels under the `anthropic` key, read by providers/anthropic/carry.py and the
Anthropic provider); render: an answer → a Message; stream: canonical chunks → Anthropic's SSE
events; errors: Anthropic's error body and where it applies; endpoints: /v1/messages and
/v1/messages/count_tokens; routes: its paths.
"""
