"""POSTs to addresses a centre administrator typed (webhook and SMS gateways), with no way back into
our own network (SSRF).

The host is resolved and every address it gives must be public: not loopback, private, link-local,
multicast, reserved, shared (100.64/10), nor an IPv4-mapped or 6to4 form of one, unless it lies in
``OUTBOUND_ALLOWED_NETWORKS`` (an on-premises gateway). That is checked when the address is saved and
again for every connection, and the connection goes to the very address that was checked, so a DNS
answer that changes in between (rebinding) gains nothing. Redirects are never followed. Failures come
back as a category, never as socket text, which would turn the delivery list into a port scanner.
"""
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from flask_babel import lazy_pgettext

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a failed delivery shows: the category, never the socket's words.
FAILURES = {
    "address": lazy_pgettext("delivery failure", "address not allowed"),
    "dns": lazy_pgettext("delivery failure", "host name not found"),
    "connect": lazy_pgettext("delivery failure", "could not connect"),
    "timeout": lazy_pgettext("delivery failure", "timed out"),
    "tls": lazy_pgettext("delivery failure", "TLS certificate or handshake failed"),
    "redirect": lazy_pgettext("delivery failure", "answered with a redirect (not followed)"),
    "protocol": lazy_pgettext("delivery failure", "not a valid HTTP answer"),
}


class Refused(Exception):
    """The request was not made or failed; ``category`` is a key of FAILURES or ``HTTP nnn``."""

    def __init__(self, category: str):
        super().__init__(category)
        self.category = category


def describe(category: str) -> str:
    """A stored failure category in the reader's language (``HTTP 500`` stays as it is)."""
    return str(FAILURES.get(category, category))


def parse_networks(value: str) -> list[Network]:
    """``OUTBOUND_ALLOWED_NETWORKS``: comma-separated addresses or CIDR blocks. Raises ValueError."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def _unwrapped(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def _ip(address: str):
    return ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone (fe80::1%eth0)


def inside(address: str, allowed: list[Network]) -> bool:
    """Whether ``address`` lies in one of the explicitly allowed networks."""
    ip = _ip(address)
    return any(ip in net or _unwrapped(ip) in net for net in allowed)


def address_allowed(address: str, allowed: list[Network]) -> bool:
    if inside(address, allowed):
        return True
    ip = _unwrapped(_ip(address))
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (an IP literal resolves to itself). Raises Refused('dns')."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("dns") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def checked_addresses(host: str, port: int, allowed: list[Network]) -> list[str]:
    """Every address of ``host``, if every one is allowed: one public answer beside a private one
    would let the attacker choose."""
    addresses = resolve(host, port)
    if not addresses or not all(address_allowed(a, allowed) for a in addresses):
        raise Refused("address")
    return addresses


def target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL. Raises Refused('address') for anything else."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("address") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("address")
    return parts.scheme, parts.hostname, port


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate verified for the host name in the URL."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict, *, allowed: list[Network], timeout: float) -> int:
    """POST ``body`` to ``url``; the 2xx status, else Refused with the category."""
    scheme, host, port = target(url)
    address = checked_addresses(host, port, allowed)[0]
    connection = (_PinnedHTTPS if scheme == "https" else _PinnedHTTP)(host, port, address, timeout)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except TimeoutError:
        raise Refused("timeout") from None
    except (ssl.SSLError, ssl.CertificateError):
        raise Refused("tls") from None
    except http.client.HTTPException:
        raise Refused("protocol") from None
    except OSError:
        raise Refused("connect") from None
    finally:
        connection.close()
    if 300 <= status < 400:
        raise Refused("redirect")
    if not 200 <= status < 300:
        raise Refused(f"HTTP {status}")
    return status
