#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""conns.py - real connections for naclemu's demo and end-to-end tests.

Python 3 standard library only (make deps installs python3).

Clients: one line per connection or datagram, in the order they were
started, after a '#' header:

    SEQ START          SPORT RESULT  MS
    0   1732190000.123 40312 timeout 400

  START   wall-clock time the connection was started (seconds, epoch)
  SPORT   the client's source port, as the kernel chose it (or --sport)
  RESULT  ok       connected (TCP) and the echo came back
          timeout  no answer within --timeout (a dropped SYN, SYN-ACK,
                   datagram or echo looks like this)
          reset    refused or reset by the peer (RST)
          unreach  an ICMP error (host or port unreachable)
          error    anything else (the errno name follows: error:EADDRINUSE)
  MS      milliseconds until the result

and a last line "# N ok, N timeout, N reset, N unreach, N error".

  conns.py tcp --dst ADDR:PORT [--src ADDR] [--count N] [--parallel K]
               [--timeout S] [--interval S] [--duration S]
               [--ports connect|bind|P1,P2,...] [--no-echo]
  conns.py udp --dst ADDR:PORT [--src ADDR] [same options]
  conns.py serve tcp|udp --listen ADDR:PORT[,PORT...] [--ready FILE]
  conns.py relay --listen ADDR:PORT --to ADDR:PORT [--ready FILE]

How the source port is chosen (--ports):
  bind     (default) bind to port 0 before connecting: the kernel picks a
           uniformly random port of net.ipv4.ip_local_port_range, so N
           connections sample the range evenly.
  connect  plain connect(): the kernel starts from a per-destination
           offset and walks the range in small steps, so N consecutive
           connections to one server use neighbouring ports (which is why,
           in the docker article, one container always works and another
           always fails).
  P1,P2,.. bind each connection to the given port (one per connection).
IPv6 addresses are written [2001:db8::1]:80 in --dst and --listen.
"""

import argparse
import errno
import os
import select
import socket
import socketserver
import sys
import threading
import time

ECHO = b"naclemu\n"
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def parse_hostport(text):
    """'ADDR:PORT' or '[V6]:PORT' -> (family, addr, [ports])."""
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        if not rest.startswith(":"):
            raise argparse.ArgumentTypeError("expected [ADDR]:PORT: " + text)
        ports = rest[1:]
    else:
        addr, _, ports = text.rpartition(":")
    if not addr or not ports:
        raise argparse.ArgumentTypeError("expected ADDR:PORT: " + text)
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    try:
        socket.inet_pton(family, addr)
        plist = [int(p) for p in ports.split(",")]
    except (OSError, ValueError):
        raise argparse.ArgumentTypeError("bad address or port: " + text)
    if any(p < 0 or p > 65535 for p in plist):
        raise argparse.ArgumentTypeError("port out of range: " + text)
    return family, addr, plist


def result_of_errno(err):
    if err in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EPIPE):
        return "reset"
    if err in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
        return "unreach"
    if err == errno.ETIMEDOUT:
        return "timeout"
    return "error:" + errno.errorcode.get(err, str(err))


def wait_fd(sock, want_write, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    if want_write:
        _, w, _ = select.select([], [sock], [], left)
        return bool(w)
    r, _, _ = select.select([sock], [], [], left)
    return bool(r)


def one_tcp(args, family, dst, sport):
    """One connection: (source port, result)."""
    deadline = time.monotonic() + args.timeout
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        if args.ports == "connect" and args.src:
            # keep the port choice to connect(), as without a bind
            s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        if sport is not None or args.src or args.ports == "bind":
            s.bind((args.src or "", sport or 0))
        s.setblocking(False)
        err = s.connect_ex(dst)
        port = s.getsockname()[1]
        if err not in (0, errno.EINPROGRESS):
            return port, result_of_errno(err)
        if not wait_fd(s, True, deadline):
            return port, "timeout"
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return port, result_of_errno(err)
        if args.no_echo:
            return port, "ok"
        s.send(ECHO)
        got = b""
        while len(got) < len(ECHO):
            if not wait_fd(s, False, deadline):
                return port, "timeout"
            chunk = s.recv(64)
            if not chunk:
                return port, "reset"
            got += chunk
        return port, "ok" if got == ECHO else "error:EBADMSG"
    except OSError as e:
        port = s.getsockname()[1] if s.fileno() >= 0 else 0
        return port, result_of_errno(e.errno)
    finally:
        s.close()


def one_udp(args, family, dst, sport):
    deadline = time.monotonic() + args.timeout
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind((args.src or "", sport or 0))
        port = s.getsockname()[1]
        s.connect(dst)  # so that ICMP errors are reported on this socket
        s.send(ECHO)
        if not wait_fd(s, False, deadline):
            return port, "timeout"
        data = s.recv(64)
        return port, "ok" if data == ECHO else "error:EBADMSG"
    except OSError as e:
        return (s.getsockname()[1] if s.fileno() >= 0 else 0), result_of_errno(e.errno)
    finally:
        s.close()


def run_client(args):
    family, addr, ports = args.dst
    if len(ports) != 1:
        sys.exit("conns.py: --dst takes one port")
    dst = (addr, ports[0])
    explicit = None
    if args.ports not in ("bind", "connect"):
        try:
            explicit = [int(p) for p in args.ports.split(",")]
        except ValueError:
            sys.exit("conns.py: --ports: bind, connect or a list of ports")
        args.count = len(explicit)
    one = one_tcp if args.proto == "tcp" else one_udp
    results = {}
    lock = threading.Lock()
    started = [0]
    stop_at = time.monotonic() + args.duration if args.duration else None

    # Each worker takes the next sequence number until --count (or
    # --duration) is reached; --interval spaces the starts across workers.
    next_start = [time.monotonic()]

    def worker():
        while True:
            with lock:
                seq = started[0]
                if stop_at is None and seq >= args.count:
                    return
                if stop_at is not None and time.monotonic() >= stop_at:
                    return
                started[0] += 1
                start_at = next_start[0]
                next_start[0] = max(start_at, time.monotonic()) + args.interval
            delay = start_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0 = time.time()
            m0 = time.monotonic()
            sport = explicit[seq] if explicit else None
            port, res = one(args, family, dst, sport)
            with lock:
                results[seq] = (t0, port, res, (time.monotonic() - m0) * 1000)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = {"ok": 0, "timeout": 0, "reset": 0, "unreach": 0, "error": 0}
    out = ["# SEQ START          SPORT RESULT  MS"]
    for seq in sorted(results):
        t0, port, res, ms = results[seq]
        counts[res.split(":")[0]] += 1
        out.append("%-5d %.3f %5d %-7s %d" % (seq, t0, port, res, ms))
    out.append("# " + ", ".join("%d %s" % (n, k) for k, n in counts.items()))
    print("\n".join(out), flush=True)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        try:
            while True:
                data = self.request.recv(4096)
                if not data:
                    return
                self.request.sendall(data)
        except OSError:
            return


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024  # never let the backlog drop a SYN


class TCP6Server(TCPServer):
    address_family = socket.AF_INET6


def relay_handler(upstream, family):
    class Relay(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                up = socket.create_connection(upstream, timeout=3)
            except OSError:
                return
            up.settimeout(None)
            socks = [self.request, up]
            try:
                while True:
                    r, _, _ = select.select(socks, [], [], 10)
                    if not r:
                        return
                    for s in r:
                        data = s.recv(4096)
                        if not data:
                            return
                        (up if s is self.request else self.request).sendall(data)
            except OSError:
                return
            finally:
                up.close()
    return Relay


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(path + ".tmp", path)


def run_serve(args):
    family, addr, ports = args.listen
    servers = []
    if args.proto == "tcp":
        cls = TCP6Server if family == socket.AF_INET6 else TCPServer
        for p in ports:
            servers.append(cls((addr, p), EchoHandler))
        for s in servers:
            threading.Thread(target=s.serve_forever, daemon=True).start()
    else:
        for p in ports:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.bind((addr, p))
            servers.append(s)

        def echo(sock):
            while True:
                data, peer = sock.recvfrom(4096)
                sock.sendto(data, peer)
        for s in servers:
            threading.Thread(target=echo, args=(s,), daemon=True).start()
    ready(args.ready)
    threading.Event().wait()


def run_relay(args):
    family, addr, ports = args.listen
    tfam, taddr, tports = args.to
    cls = TCP6Server if family == socket.AF_INET6 else TCPServer
    srv = cls((addr, ports[0]), relay_handler((taddr, tports[0]), tfam))
    ready(args.ready)
    srv.serve_forever()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for proto in ("tcp", "udp"):
        c = sub.add_parser(proto, help="%s client" % proto)
        c.set_defaults(proto=proto, func=run_client)
        c.add_argument("--dst", type=parse_hostport, required=True)
        c.add_argument("--src", default="", help="source address")
        c.add_argument("--count", type=int, default=1)
        c.add_argument("--duration", type=float, default=0,
                       help="keep starting connections for S seconds (instead of --count)")
        c.add_argument("--parallel", type=int, default=1)
        c.add_argument("--timeout", type=float, default=0.5)
        c.add_argument("--interval", type=float, default=0.0,
                       help="seconds between two starts")
        c.add_argument("--ports", default="bind")
        c.add_argument("--no-echo", action="store_true",
                       help="tcp: success is the handshake alone")
    s = sub.add_parser("serve", help="echo server")
    s.add_argument("proto", choices=("tcp", "udp"))
    s.add_argument("--listen", type=parse_hostport, required=True)
    s.add_argument("--ready", help="file written once listening")
    s.set_defaults(func=run_serve)
    r = sub.add_parser("relay", help="TCP relay (a load balancer)")
    r.add_argument("--listen", type=parse_hostport, required=True)
    r.add_argument("--to", type=parse_hostport, required=True)
    r.add_argument("--ready", help="file written once listening")
    r.set_defaults(func=run_relay)
    args = ap.parse_args()
    if args.cmd in ("tcp", "udp"):
        if args.count < 1 or args.parallel < 1 or args.timeout <= 0:
            ap.error("--count, --parallel and --timeout must be positive")
    args.func(args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
