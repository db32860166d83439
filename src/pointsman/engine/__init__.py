"""Run a route plan: attempt → check the answer → escalate or fail over, under one deadline."""

from pointsman.engine.call import CLIENT_CLOSED, Answer, AnswerMeta, Call, ChunkSink, Outcome, Parts
from pointsman.engine.core import Engine

__all__ = ["CLIENT_CLOSED", "Answer", "AnswerMeta", "Call", "ChunkSink", "Engine", "Outcome", "Parts"]
