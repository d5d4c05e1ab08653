"""Announce the OSC server on the local network over zeroconf (mDNS / DNS-SD): ``_osc._udp``.

With ``[osc] advertise = true``, controllers that browse for OSC services (TouchOSC, Open
Stage Control, Max's ``mdns`` objects, ``dns-sd -B _osc._udp``) find the show by its name
(``[osc] service_name``, else the show's name) without anyone typing an address and port.

The service lists the addresses the server listens on: for ``0.0.0.0``, the machine's
addresses (announced on every interface); for a loopback address, loopback only (it is
announced on loopback, so only programs on this machine see it); for one address, that one.

Announcing never holds up the show and never stops it: ``start`` returns within milliseconds
(zeroconf probes for the name and announces on its own thread, about 1.5 s), a name another
machine already uses gets ``-2`` appended, and a failure is one log line (or ``InputError``
from ``start``, for the caller to log). ``stop`` says goodbye (peers drop the service at once)
and closes the sockets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import re
import socket
import threading
import unicodedata
import warnings

from zeroconf import InterfaceChoice, IPVersion, ServiceInfo, Zeroconf

from installation.errors import InputError

log = logging.getLogger(__name__)

SERVICE_TYPE = "_osc._udp.local."
MAX_INSTANCE_BYTES = 63
"""RFC 6763 4.1.1: an instance name is one DNS label, at most 63 bytes of UTF-8."""
DEFAULT_INSTANCE = "installation"


def instance_name(name: str) -> str:
    """``name`` as a DNS-SD instance name: control characters dropped, dots as ``-`` (zeroconf
    would read a dot as a label break), spaces collapsed, at most 63 bytes of UTF-8 (cut on a
    character boundary)."""
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in name)
    text = " ".join(text.replace(".", "-").split())
    encoded = text.encode("utf-8")[:MAX_INSTANCE_BYTES]
    text = encoded.decode("utf-8", errors="ignore").strip()
    return text or DEFAULT_INSTANCE


def _host_label() -> str:
    """This machine's name as a ``.local.`` host label (letters, digits, hyphens)."""
    label = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname().partition(".")[0]).strip("-")
    return label[:MAX_INSTANCE_BYTES] or DEFAULT_INSTANCE


def _machine_addresses() -> list[str]:
    """The machine's IPv4 addresses, loopback last (dropped when there are others)."""
    found: set[str] = set()
    try:
        # Every interface's addresses, through ifaddr (zeroconf's own dependency). zeroconf
        # deprecates this helper in favour of calling ifaddr directly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from zeroconf import get_all_addresses  # type: ignore[attr-defined]

            found.update(get_all_addresses())
    except Exception:  # gone from a later zeroconf: the resolver's answer for this host
        log.debug("zeroconf.get_all_addresses failed; asking the resolver", exc_info=True)
        with contextlib.suppress(OSError):
            found.update(
                str(entry[4][0])
                for entry in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
            )
    usable = sorted(a for a in found if not ipaddress.IPv4Address(a).is_loopback)
    return usable or ["127.0.0.1"]


def _plan(host: str) -> tuple[list[str], list[str] | InterfaceChoice]:
    """The addresses to list for a server bound to ``host``, and the interfaces to announce on."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise InputError(
            f"cannot advertise OSC on {host!r}: pass the address the server is bound to "
            "(OscInput.address), not a host name"
        ) from None
    if address.version != 4:
        raise InputError(f"cannot advertise OSC on {host}: only IPv4 is announced")
    if address.is_unspecified:
        return _machine_addresses(), InterfaceChoice.All
    if address.is_loopback:
        return [str(address)], ["127.0.0.1"]
    return [str(address)], [str(address)]


class OscAdvertiser:
    """One ``_osc._udp.local.`` service for the show's OSC server, from ``start`` to ``stop``."""

    def __init__(self) -> None:
        self._zeroconf: Zeroconf | None = None
        self._info: ServiceInfo | None = None
        self._registering: concurrent.futures.Future[None] | None = None
        self._registered = threading.Event()
        self.addresses: list[str] = []

    @property
    def name(self) -> str | None:
        """The service's full name (``Show._osc._udp.local.``; ``-2`` appended on a clash)."""
        return None if self._info is None else self._info.name

    @property
    def registered(self) -> bool:
        """Announced: peers can find it now."""
        return self._registered.is_set()

    def wait_registered(self, timeout: float) -> bool:
        """Wait until the service is announced (about 1.5 s after ``start``); False on timeout."""
        return self._registered.wait(timeout)

    def start(self, host: str, port: int, name: str) -> None:
        """Announce the server at ``host``:``port`` as ``name``; returns at once.

        ``host`` and ``port`` are where the server is bound (after binding: the real port
        when any was asked for). Raises ``InputError`` when it cannot even begin; later
        failures (a name clash it cannot resolve, the network going away) are logged.
        """
        if self._zeroconf is not None:
            raise InputError("the OSC service is already advertised")
        if not 1 <= port <= 65535:
            raise InputError(f"cannot advertise OSC on port {port}: pass the bound port")
        addresses, interfaces = _plan(host)
        instance = instance_name(name)
        try:
            info = ServiceInfo(
                SERVICE_TYPE,
                f"{instance}.{SERVICE_TYPE}",
                port=port,
                addresses=[socket.inet_aton(address) for address in addresses],
                server=f"{_host_label()}.local.",
                properties={},
            )
            zeroconf = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
            loop = zeroconf.loop
            if loop is None:
                zeroconf.close()
                raise InputError("zeroconf's event loop did not start")
        except InputError:
            raise
        except Exception as exc:  # zeroconf raises OSError and its own errors; none may crash
            raise InputError(f"cannot advertise OSC over zeroconf ({exc})") from exc
        self._zeroconf, self._info, self.addresses = zeroconf, info, addresses
        self._registered.clear()
        self._registering = asyncio.run_coroutine_threadsafe(self._register(zeroconf, info), loop)
        self._registering.add_done_callback(lambda done: self._finished(done, info, addresses))

    async def _register(self, zeroconf: Zeroconf, info: ServiceInfo) -> None:
        announced = await zeroconf.async_register_service(info, allow_name_change=True)
        await announced

    def _finished(
        self, future: concurrent.futures.Future[None], info: ServiceInfo, addresses: list[str]
    ) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            log.warning(
                "OSC is not advertised over zeroconf (%s: %s); give peers the address instead",
                type(exc).__name__,
                exc,
            )
            return
        log.info(
            "OSC advertised over zeroconf as %r (%s, port %d)",
            info.name.removesuffix(f".{SERVICE_TYPE}"),
            ", ".join(addresses),
            info.port,
        )
        self._registered.set()

    def stop(self) -> None:
        """Withdraw the service (a goodbye peers act on at once) and close; about 0.3 s."""
        zeroconf, self._zeroconf = self._zeroconf, None
        registering, self._registering = self._registering, None
        self._info = None
        self._registered.clear()
        if zeroconf is None:
            return
        if registering is not None:
            registering.cancel()  # still probing: never announced
        try:
            zeroconf.close()  # sends the goodbye for what it registered, then closes
        except Exception:
            log.debug("zeroconf did not close cleanly", exc_info=True)
