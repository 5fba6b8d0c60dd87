"""Network helpers for ``quiz serve``: the machine's LAN addresses and a low-latency listener.

No packet leaves the machine here: the UDP "connect" below only asks the kernel which local
address it would route from, which works on a venue Wi-Fi without internet.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

# Private destinations for the routing question; nothing is sent to them.
_PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")


def lan_addresses() -> list[str]:
    """Every non-loopback IPv4 address of this machine, the likely Wi-Fi one first."""
    found: list[str] = []

    def add(addr: str) -> None:
        try:
            ip = ipaddress.IPv4Address(addr)
        except ValueError:
            return
        if not ip.is_loopback and not ip.is_link_local and addr not in found:
            found.append(addr)

    for probe in _PROBES:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((probe, 9))
            add(s.getsockname()[0])
        except OSError:
            pass
        finally:
            s.close()
    try:
        import psutil

        for addrs in psutil.net_if_addrs().values():
            for a in addrs:
                if a.family == socket.AF_INET:
                    add(a.address)
    except ImportError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            add(str(info[4][0]))
    except OSError:
        pass
    return found


def make_listener(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket with TCP_NODELAY, so small Socket.IO frames (a buzz, a state)
    go out at once instead of waiting for Nagle's algorithm. Accepted sockets inherit the
    option on Linux; the server also sets it on each accepted socket to be sure."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def set_nodelay(sock: socket.socket) -> None:
    # Not a TCP socket (e.g. a Unix socket behind a proxy): nothing to tune.
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def raise_open_files_limit() -> int:
    """Lift the soft open-file limit to the hard one and return it: every phone is a socket,
    and the usual soft limit (1024 on many Linux laptops) would refuse phones beyond ~1,000.
    Returns 0 where there are no such limits (Windows)."""
    try:
        import resource
    except ImportError:
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return int(soft)
