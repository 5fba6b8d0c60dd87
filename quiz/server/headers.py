"""The security headers every HTTP response carries (pages, static files, QR codes, /healthz).

Pages load only from the server itself: scripts and styles are static files (the JSON blocks
the templates embed are data, never run), images are the server's own SVG, and the socket goes
back to the same host. The policy therefore needs no ``'unsafe-inline'`` and names no other
origin, so a string that ever escaped escaping could still neither run nor load anything.
``frame-ancestors 'none'`` and ``X-Frame-Options`` stop another page on the Wi-Fi from framing
the host console (clickjacking); ``no-referrer`` keeps addresses out of any request a page makes.

A response that already set a header (the report's stricter policy) keeps its own.
"""

from __future__ import annotations

import re

from flask import Response, request

# A Host header is the client's word: only a plain host[:port] goes into the policy.
_PLAIN_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

#: ``connect-src`` names ``ws:``/``wss:`` on the page's own host explicitly: some phone
#: browsers (older Safari) do not count a WebSocket to the same host as ``'self'``.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; media-src 'self'; connect-src {connect}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    host = request.host
    connect = f"'self' ws://{host} wss://{host}" if _PLAIN_HOST.match(host) else "'self'"
    headers.setdefault("Content-Security-Policy", PAGE_POLICY.format(connect=connect))
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    return response


__all__ = ["PAGE_POLICY", "add_security_headers"]
