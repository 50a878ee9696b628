"""Who the client is behind reverse proxies, and how often it may do what. Pure, stdlib only.

The counting itself lives in the database (:func:`inbox.store.hit`), so the
limits hold across every inbox process that shares it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Limit:
    """At most *count* events per *window*."""

    count: int
    window: dt.timedelta


FORM_WINDOW = dt.timedelta(minutes=1)          # --rate-limit form posts per client in this window
LOGIN_PER_CLIENT = Limit(5, dt.timedelta(minutes=15))  # failed logins from one client address
# Failed logins against the account from anywhere. Past it, only browsers that have logged in before
# (they carry the device cookie) may still try, so a distributed guesser cannot lock staff out.
LOGIN_PER_ACCOUNT = Limit(20, dt.timedelta(hours=1))
LONGEST_WINDOW = max(FORM_WINDOW, LOGIN_PER_CLIENT.window, LOGIN_PER_ACCOUNT.window)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and networks ("10.0.0.1", "10.0.0.0/8", "::1"); ValueError names the first bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value.strip()!r} er ikke en IP-adresse eller et nett (for eksempel 10.0.0.0/8)") \
                from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a forwarded hop: "1.2.3.4", "1.2.3.4:5678", "[::1]:80" or "::1"; None if it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d: match them as the IPv4 address they are.
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def bucket(client: str) -> str:
    """What a limit counts for a client: its IPv4 address, or its IPv6 /64.

    One IPv6 subscriber usually holds a whole /64, so counting single IPv6
    addresses would give one attacker billions of fresh counters.
    """
    address = _address(client)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address) if address else client


@dataclass(frozen=True)
class Proxies:
    """The reverse proxies whose X-Forwarded-For is believed (uvicorn's --forwarded-allow-ips, done per hop)."""

    trusted: tuple[Network, ...] = ()

    def trusts(self, address: str) -> bool:
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.trusted)

    def client(self, peer: str, forwarded: list[str]) -> str:
        """The right-most hop not added by a trusted proxy; the peer itself when it is not trusted.

        Every X-Forwarded-For line counts (a proxy may add its own line). Hops
        left of the first untrusted one were written by the client and are
        ignored, so no one can choose the address the limits count.
        """
        if not self.trusts(peer):
            return peer
        nearest = peer
        hops = [hop for line in forwarded for hop in line.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # garbage where a proxy should have written an address: stop at the last proxy
                return nearest
            nearest = str(address)
            if not self.trusts(nearest):
                return nearest
        return nearest
