#!/usr/bin/env python3
"""What hostile clients cost a running service: descriptors and memory (docs/BENCHMARKS.md).

  silent   --port P --pid PID --sockets 20000   opens that many sockets that send nothing (in
           worker processes of 5,000 each, as one process's descriptors are limited), and reports
           the service's open descriptors and resident memory at the peak and after the idle
           timeout, and whether /healthz answered.
  stalled  --port P --pid PID --url PATH --clients 100   opens that many streams of PATH (a long
           finished answer) that never read, and reports the service's memory and how many were
           dropped within 60 s.

Loopback only; every loop is bounded in count and time.
"""
import argparse
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request


def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def resident_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


def hold(port, count, seconds):
    """A child: opens `count` silent sockets, holds them `seconds`, prints how many the server closed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sockets, refused = [], 0
    for _ in range(count):
        try:
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            refused += 1
    deadline = time.time() + seconds
    closed = set()
    while time.time() < deadline and len(closed) < len(sockets):
        for index, sock in enumerate(sockets):
            if index in closed:
                continue
            sock.setblocking(False)
            try:
                if sock.recv(1) == b"":
                    closed.add(index)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(index)
        time.sleep(0.5)
    print(f"{len(sockets)} {refused} {len(closed)}", flush=True)


def silent(options):
    per_child = 5000
    children = []
    for start in range(0, options.sockets, per_child):
        count = min(per_child, options.sockets - start)
        children.append(subprocess.Popen([sys.executable, __file__, "hold", "--port", str(options.port), "--count", str(count),
                                          "--seconds", str(options.hold)], stdout=subprocess.PIPE, text=True))
    before = (descriptors(options.pid), resident_mib(options.pid))
    peak_fd, peak_rss, health_during = 0, 0.0, []
    deadline = time.time() + options.hold
    while time.time() < deadline and any(child.poll() is None for child in children):
        peak_fd = max(peak_fd, descriptors(options.pid))
        peak_rss = max(peak_rss, resident_mib(options.pid))
        health_during.append(healthy(options.port))
        time.sleep(1)
    results = [list(map(int, child.communicate()[0].split())) for child in children]
    opened = sum(r[0] for r in results)
    closed = sum(r[2] for r in results)
    time.sleep(1)
    print(f"silent sockets: {opened} connected, {closed} closed by the server within {options.hold} s")
    print(f"service descriptors: {before[0]} before, {peak_fd} at the peak, {descriptors(options.pid)} after")
    print(f"service memory: {before[1]:.0f} MiB before, {peak_rss:.0f} MiB at the peak, {resident_mib(options.pid):.0f} MiB after")
    print(f"/healthz answered in {sum(health_during)} of {len(health_during)} probes during the flood; now: {healthy(options.port)}")


def stalled(options):
    before = resident_mib(options.pid)
    sockets = []
    for _ in range(options.clients):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", options.port))
        sock.sendall(f"GET {options.url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sockets.append(sock)
    peak = before
    deadline = time.time() + 60
    dropped = 0
    while time.time() < deadline:
        peak = max(peak, resident_mib(options.pid))
        time.sleep(1)
        # The server's close shows once what it sent is read.
        dropped = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                while True:
                    chunk = sock.recv(65536)
                    if chunk == b"":
                        dropped += 1
                        break
            except BlockingIOError:
                pass
            except OSError:
                dropped += 1
        if dropped == len(sockets):
            break
    print(f"non-reading clients: {options.clients}; service memory {before:.0f} MiB before, {peak:.0f} MiB at the peak, "
          f"{resident_mib(options.pid):.0f} MiB after; {dropped} dropped within {time.time() - deadline + 60:.0f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["silent", "stalled", "hold"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--sockets", type=int, default=20000)
    parser.add_argument("--count", type=int)
    parser.add_argument("--hold", "--seconds", dest="hold", type=int, default=45)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--url")
    options = parser.parse_args()
    if options.scenario == "hold":
        hold(options.port, options.count, options.hold)
    elif options.scenario == "silent":
        silent(options)
    else:
        stalled(options)


if __name__ == "__main__":
    main()
