"""The ``quiz serve`` options for the venue's network: who may be the host from where, and
how much one address may do (docs/security.md, "Running an event safely").

- ``--remote-host`` lets the host console run on another machine, and then only over HTTPS
  (``--cert/--key`` or ``--self-signed``): refused otherwise, with a message in zh and en.
- ``--per-ip-*`` set :class:`quiz.live.addresses.AddressLimits`: raise them when every phone
  reaches the server from one address (a venue behind one NAT).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from quiz.live.addresses import AddressLimits

_DEFAULTS = AddressLimits()

REMOTE_HOST_NEEDS_TLS = (
    "--remote-host 需要 HTTPS：请同时给出 --cert/--key 或 --self-signed（主持人口令不能明文经过"
    "无线网络） / --remote-host needs HTTPS: add --cert/--key or --self-signed (the host "
    "token must not cross the Wi-Fi in clear text)"
)


def venue_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of this module, on ``command``."""
    options = [
        click.option(
            "--remote-host",
            is_flag=True,
            help="允许其他电脑上的主持人控制台（仅HTTPS） / allow the host console on another "
            "machine "
            "(HTTPS only). Default: the host "
            "role is accepted only from this machine.",
        ),
        click.option(
            "--self-signed",
            is_flag=True,
            help="自动生成自签名证书 / serve HTTPS with a certificate made once in the data "
            "folder; its "
            "SHA-256 "
            "fingerprint is printed to compare in the host's browser.",
        ),
        click.option(
            "--per-ip-phones",
            type=click.IntRange(1, 100_000),
            default=_DEFAULTS.phones_per_minute,
            show_default=True,
            help="每个地址每分钟的新观众手机数 / new audience phones (device ids) per address per "
            "minute.",
        ),
        click.option(
            "--per-ip-phones-max",
            type=click.IntRange(1, 100_000),
            default=_DEFAULTS.phones_max,
            show_default=True,
            help="每个地址的观众手机总数上限 / audience phones per address in all (hard cap).",
        ),
        click.option(
            "--per-ip-sockets",
            type=click.IntRange(1, 100_000),
            default=_DEFAULTS.sockets,
            show_default=True,
            help="每个地址同时的连接数 / connections open at once per address.",
        ),
        click.option(
            "--per-ip-commands",
            type=click.IntRange(1, 1_000_000),
            default=_DEFAULTS.commands_burst,
            show_default=True,
            help="每个地址的指令突发上限 / commands per address in a burst (refilled at half of "
            "it per "
            "second).",
        ),
        click.option(
            "--draw-entries-per-ip",
            type=click.IntRange(1, 100_000),
            default=_DEFAULTS.draw_entries,
            show_default=True,
            help="抽奖时每个地址计入的手机数 / phones of one address counted in a prize draw.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def address_limits(options: dict[str, Any]) -> AddressLimits:
    """The limits the ``--per-ip-*`` options ask for (popped from ``options``)."""
    commands = options.pop("per_ip_commands")
    return AddressLimits(
        sockets=options.pop("per_ip_sockets"),
        phones_per_minute=options.pop("per_ip_phones"),
        phones_max=options.pop("per_ip_phones_max"),
        commands_burst=commands,
        commands_per_s=max(1.0, commands / 2),
        draw_entries=options.pop("draw_entries_per_ip"),
    )


def https_files(
    remote_host: bool,
    self_signed: bool,
    cert: str | None,
    key: str | None,
    folder: Path,
    hosts: list[str],
    echo: Callable[[str], None],
) -> tuple[str | None, str | None]:
    """The certificate and key to serve with; refuses ``--remote-host`` without HTTPS."""
    if self_signed and cert:
        raise click.UsageError("--self-signed 与 --cert 只能选一个 / --self-signed or --cert")
    if self_signed:
        from quiz.server.tls import CertificateError, fingerprint
        from quiz.server.tls import self_signed as make

        try:
            made = make(folder, hosts)
        except CertificateError as exc:
            raise click.UsageError(str(exc)) from None
        cert, key = str(made[0]), str(made[1])
    if remote_host and not cert:
        raise click.UsageError(REMOTE_HOST_NEEDS_TLS)
    if cert:
        from quiz.server.tls import fingerprint

        echo(f"HTTPS 证书指纹 / certificate SHA-256 fingerprint: {fingerprint(Path(cert))}")
    return cert, key
