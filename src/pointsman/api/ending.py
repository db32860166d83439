"""How a request ends when it is not answered: its client left, or the server cut it short."""

from __future__ import annotations

import logging

from pointsman.api.http import Send, send_error
from pointsman.api.request import Request, shutting_down
from pointsman.surfaces.errorshape import error_shape

log = logging.getLogger("pointsman")


def client_left(request: Request) -> None:
    """Routine (a user pressing stop): no traceback; the access line and the ledger row say 499."""
    request.left = True
    scope = request.scope
    log.debug("client closed the connection: request %s %s %s", request.id, scope["method"], scope["path"])


async def cut_short(request: Request, send: Send) -> None:
    """Graceful shutdown ran out of time with this request still running: a 503 in its surface's
    shape if nothing was sent yet, else an error event that ends its stream."""
    log.warning("request %s cut short by shutdown", request.id)
    error = shutting_down()
    try:
        if request.end_stream is not None:
            await request.end_stream(error)
        else:
            shape = error_shape(request.scope["path"], request.scope)
            await send_error(send, error, [request.id_header], shape=shape)
    except RuntimeError:
        pass  # the answer was complete, or half of a whole one had gone: the server closes
