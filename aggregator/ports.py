"""Is a port free? `./run.sh` asks before it starts anything (`python -m aggregator.ports`).

granian binds its port with SO_REUSEPORT, so a second instance on the same port starts fine
and the kernel splits the requests between two different apps. A probe bound *without*
SO_REUSEPORT fails while anyone listens there, so a taken port stops the start with one line
saying which variable changes it, instead of a shared listener or a page of backtraces.

Standard library only: it runs before Django or the app is set up.
"""

import os
import socket
import sys


def tcp_in_use(host: str, port: int) -> OSError | None:
    """The error binding a TCP listener to host:port gives, or None when it is free."""
    return _probe(host, port, socket.SOCK_STREAM)


def udp_in_use(host: str, port: int) -> OSError | None:
    """The error binding a UDP socket to host:port gives, or None when it is free."""
    return _probe(host, port, socket.SOCK_DGRAM)


def _probe(host: str, port: int, kind: int) -> OSError | None:
    try:
        infos = socket.getaddrinfo(host, port, type=kind, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if kind == socket.SOCK_STREAM:
            # Connections of a stopped instance in TIME_WAIT must not count; a listener does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if kind == socket.SOCK_STREAM:
            sock.listen(1)
    except OSError as exc:
        return exc
    finally:
        sock.close()
    return None


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.strip().rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


def problems(env: dict) -> list[str]:
    """One line per taken or unusable port among those the Procfile's web and udp use."""
    out = []
    host = env.get("WEB_HOST") or "127.0.0.1"
    port_text = env.get("WEB_PORT") or "8000"
    try:
        port = int(port_text)
    except ValueError:
        return [f"WEB_PORT={port_text!r} is not a port number."]
    error = tcp_in_use(host, port)
    if error is not None:
        out.append(
            f"Web port {host}:{port} is not free ({_reason(error)}): another ./run.sh or "
            f"program holds it. Choose another with WEB_PORT, e.g. WEB_PORT={port + 1} ./run.sh"
        )
    bind = env.get("UDP_BIND") or "127.0.0.1:9001"
    try:
        udp_host, udp_port = _split(bind)
    except ValueError:
        return out + [f"UDP_BIND={bind!r} is not HOST:PORT."]
    error = udp_in_use(udp_host, udp_port)
    if error is not None:
        out.append(
            f"UDP port {udp_host}:{udp_port} is not free ({_reason(error)}): another ./run.sh "
            f"or program holds it. Choose another with UDP_BIND, e.g. "
            f"UDP_BIND={udp_host}:{udp_port + 1} ./run.sh"
        )
    return out


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def main() -> int:
    found = problems(dict(os.environ))
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
