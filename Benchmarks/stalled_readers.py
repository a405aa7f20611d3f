#!/usr/bin/env python3
"""What browsers that stop reading cost a stream replica (docs/BENCHMARKS.md, "Slow readers").

  python3 Benchmarks/stalled_readers.py [--bin .build/release] [--clients 1000] [--answer-kib 1024]

Runs the three services as built on the embedded default in a temporary folder, with a model
stand-in of this script (an OpenAI-compatible streaming endpoint on loopback) that writes one long
answer. Once the answer is complete it opens `--clients` streams of it that never read (a receive
buffer of 4 KiB, as a stalled tab on a slow network), and reports the stream service's resident
memory and descriptors over time: before, at the peak, and after the service dropped them. A
dropped stream shows as a descriptor the service closed: the clients read nothing, ever. Then the
same number of clients that read everything, for comparison.

Loopback only; every loop is bounded in count and time.
"""
import argparse
import http.server
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resident_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def model_stand_in(answer_kib):
    """An OpenAI-compatible /v1/chat/completions that streams `answer_kib` KiB of text in 2 KiB pieces."""
    piece = ("stalled readers hold little " * 80)[:2048]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def send(data):
                frame = f"data: {data}\n\n".encode()
                self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")

            for _ in range(answer_kib // 2):
                send(json.dumps({"choices": [{"index": 0, "delta": {"content": piece}}]}))
            send(json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
            send("[DONE]")
            self.wfile.write(b"0\r\n\r\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def open_streams(port, path, count, reading):
    socks = []
    for _ in range(count):
        sock = socket.socket()
        if not reading:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        socks.append(sock)
    return socks


def watch(pid, base_fds, socks, reading, seconds):
    """Samples the service until it holds none of the streams (or `seconds` pass)."""
    start = time.time()
    peak_rss, peak_fds, drained = resident_mib(pid), descriptors(pid), 0
    held = len(socks)
    while time.time() - start < seconds:
        if reading:
            for sock in socks:
                sock.setblocking(False)
                try:
                    while sock.recv(1 << 16):
                        pass
                except (BlockingIOError, OSError):
                    pass
        peak_rss = max(peak_rss, resident_mib(pid))
        fds = descriptors(pid)
        peak_fds = max(peak_fds, fds)
        held = max(0, fds - base_fds)
        if held == 0 and time.time() - start > 1:
            break
        time.sleep(0.25)
    return peak_rss, peak_fds, len(socks) - held, time.time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--answer-kib", type=int, default=1024)
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    model = model_stand_in(options.answer_kib)
    work = tempfile.mkdtemp(prefix="stalled-readers-")
    gateway, stream, worker = free_port(), free_port(), free_port()
    env = dict(os.environ,
               DATABASE_URL=f"sqlite:{work}/db/tutorline.sqlite", SPOOL_DIR=f"{work}/spool", LOG_LEVEL="warning",
               STREAM_PUBLIC_URL=f"http://127.0.0.1:{stream}", ANON_RATE_LIMIT="0",
               STREAM_MAX_PER_TOKEN=str(options.clients * 2 + 10),
               LLM_BASE_URL=f"http://127.0.0.1:{model.server_address[1]}/v1", LLM_API_KEY="stand-in", LLM_MODEL="stand-in",
               LLM_MAX_TOKENS="100000")
    binary = lambda name: os.path.join(options.bin, name)
    subprocess.run([binary("tutorline-gateway"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary("tutorline-worker"), "ingest", "content"], env=env, check=True, stdout=subprocess.DEVNULL)
    processes = [subprocess.Popen([binary(name)], env=dict(env, PORT=str(port)), stdout=subprocess.DEVNULL, stderr=open(f"{work}/{name}.log", "w"))
                 for name, port in [("tutorline-gateway", gateway), ("tutorline-worker", worker), ("tutorline-stream", stream)]]
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{gateway}/readyz", timeout=1)
                urllib.request.urlopen(f"http://127.0.0.1:{stream}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        accepted = request("POST", f"http://127.0.0.1:{gateway}/api/landing-assistant/query", {"question": "Tell me everything, at length."})
        for _ in range(600):
            status = request("GET", f"http://127.0.0.1:{gateway}{accepted['pollUrl']}")
            if status["status"] in ("COMPLETED", "FAILED"):
                break
            time.sleep(0.1)
        answer_bytes = len(status.get("result", {}).get("answer", "").encode())
        spool_bytes = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(f"{work}/spool") for f in files)
        path = accepted["streamUrl"].split(f"127.0.0.1:{stream}", 1)[-1]
        pid = processes[2].pid
        print(f"answer: {status['status']}, {answer_bytes / 1024:.0f} KiB of text, {spool_bytes / 1024:.0f} KiB in the spool")
        for reading in (False, True):
            time.sleep(2)
            base_rss, base_fds = resident_mib(pid), descriptors(pid)
            socks = open_streams(stream, path, options.clients, reading)
            peak_rss, peak_fds, released, took = watch(pid, base_fds, socks, reading, 90)
            label = "readers that read everything" if reading else "readers that never read"
            print(f"{options.clients} {label}: stream service memory {base_rss:.0f} MiB before, {peak_rss:.0f} MiB at the peak "
                  f"(+{(peak_rss - base_rss) * 1024 / options.clients:.0f} KiB per stream), {resident_mib(pid):.0f} MiB after; "
                  f"descriptors {base_fds} -> {peak_fds} -> {descriptors(pid)}; {released} released by the service within {took:.0f} s")
            for sock in socks:
                sock.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        model.shutdown()


if __name__ == "__main__":
    sys.exit(main())
