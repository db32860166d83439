"""The SSE decoder against the event-stream rules, in every split."""

from __future__ import annotations

from pointsman.upstream.sse import SSEDecoder, SSEEvent

STREAM = (
    b": comment\r\n"
    b'event: message_start\r\ndata: {"a": 1}\r\n\r\n'
    b"data: line one\ndata: line two\n\n"
    b"id: 7\rdata:no-space\r\r"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent(b'{"a": 1}', "message_start"),
    SSEEvent(b"line one\nline two"),
    SSEEvent(b"no-space", id="7"),
    SSEEvent(b"[DONE]", id="7"),  # the last event id persists, as the spec says
]


def test_whole_stream() -> None:
    assert SSEDecoder().feed(STREAM) == EXPECTED


def test_every_two_way_split_gives_the_same_events() -> None:
    for cut in range(len(STREAM) + 1):
        decoder = SSEDecoder()
        events = decoder.feed(STREAM[:cut]) + decoder.feed(STREAM[cut:]) + decoder.close()
        assert events == EXPECTED, cut


def test_byte_by_byte() -> None:
    decoder = SSEDecoder()
    events = [e for i in range(len(STREAM)) for e in decoder.feed(STREAM[i : i + 1])]
    assert events == EXPECTED


def test_last_event_without_blank_line_is_kept_at_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: tail") == []
    assert decoder.close() == [SSEEvent(b"tail")]
