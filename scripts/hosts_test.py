#!/usr/bin/env python3
"""Tutorline across hosts with EVENT_LOG=postgres (run by scripts/hosts-test.sh, as root).

Every host is a network namespace with its own address and its own empty spool folder, joined by
a bridge in a namespace of its own (so no firewall of this machine sits on the path):

    10.77.0.2 db      Postgres
    10.77.0.3 a       gateway and worker
    10.77.0.4 b       stream replica
    10.77.0.5 c       stream replica
    10.77.0.6 proxy   nginx with the project's proxy configuration (deploy/nginx)
    10.77.0.7 d       a second worker, started when the first is killed
    10.77.0.1         this script: the browsers, which follow their streams like EventSource

Scenarios, each checked exactly (ids from 1 increasing by one, each once; the deltas make the
answer; legacy polling agrees):
- answers reach browsers on B and on C;
- B's replica killed mid-stream: its browsers resume on C with exactly the rest;
- B cut off from Postgres mid-stream: B ends its streams with a short retry once the bound
  passes, its browsers end up on C, nothing lost or doubled; B serves again once the link is back;
- the worker on A killed mid-answer: the worker on D finishes it, ids continuing.
Nothing is written to any host's spool folder. A namespace that cannot be made fails the run.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TUTORLINE_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
PREFIX = "tlh"
HOSTS = {"db": 2, "a": 3, "b": 4, "c": 5, "proxy": 6, "d": 7}
failures = []


def address(host):
    return f"10.77.0.{HOSTS[host]}"


def check(condition, message):
    print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def sh(*command, check_status=True):
    result = subprocess.run(command, capture_output=True, text=True)
    if check_status and result.returncode != 0:
        raise SystemExit(f"hosts-test: {' '.join(command)} failed: {result.stderr.strip()}")
    return result


# MARK: the network

def namespace(host):
    return f"{PREFIX}-{host}"


def build_network():
    teardown_network()
    switch = namespace("switch")
    sh("ip", "netns", "add", switch)
    sh("ip", "-n", switch, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", switch, "link", "set", "br0", "up")
    sh("ip", "-n", switch, "link", "set", "lo", "up")
    for host in HOSTS:
        ns = namespace(host)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", f"{PREFIX}-{host}", "netns", switch, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "-n", switch, "link", "set", f"{PREFIX}-{host}", "master", "br0", "up")
        sh("ip", "-n", ns, "addr", "add", f"{address(host)}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    # This machine's end, for the browsers.
    sh("ip", "link", "add", f"{PREFIX}-root", "type", "veth", "peer", "name", f"{PREFIX}-here", "netns", switch)
    sh("ip", "-n", switch, "link", "set", f"{PREFIX}-here", "master", "br0", "up")
    sh("ip", "addr", "add", "10.77.0.1/24", "dev", f"{PREFIX}-root")
    sh("ip", "link", "set", f"{PREFIX}-root", "up")


def teardown_network():
    sh("ip", "link", "del", f"{PREFIX}-root", check_status=False)
    for host in list(HOSTS) + ["switch"]:
        sh("ip", "netns", "del", namespace(host), check_status=False)


def cut_from_database(host, cut):
    """Drops every packet between `host` and the database, both ways (its link to Postgres down)."""
    verb = "add" if cut else "del"
    sh("ip", "-n", namespace(host), "route", verb, "blackhole", f"{address('db')}/32")
    sh("ip", "-n", namespace("db"), "route", verb, "blackhole", f"{address(host)}/32")


# MARK: processes

class Host:
    def __init__(self, name, work):
        self.name = name
        self.dir = os.path.join(work, name)
        self.spool = os.path.join(self.dir, "spool")
        os.makedirs(self.spool, exist_ok=True)
        self.processes = {}

    def start(self, label, command, environment, port=None, user=None):
        log = open(os.path.join(self.dir, f"{label}.log"), "ab")
        prefix = ["ip", "netns", "exec", namespace(self.name)]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        process = subprocess.Popen(prefix + ["env", *[f"{k}={v}" for k, v in environment.items()], *command], stdout=log, stderr=log)
        self.processes[label] = process
        if port:
            wait_until(lambda: ready(self.name, port), f"{label} on {self.name} ready", 60)
        return process

    def kill(self, label, sig=signal.SIGKILL):
        process = self.processes.pop(label)
        process.send_signal(sig)
        process.wait(timeout=30)

    def log(self, label):
        with open(os.path.join(self.dir, f"{label}.log"), errors="replace") as file:
            return file.read()

    def stop_all(self):
        for label in list(self.processes):
            process = self.processes.pop(label)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def ready(host, port):
    try:
        connection = http.client.HTTPConnection(address(host), port, timeout=2)
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def wait_until(condition, what, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"hosts-test: {what}: not within {seconds} s")


def start_postgres(host):
    pg_bin = sorted(p for p in os.listdir("/usr/lib/postgresql"))[-1]
    pg_bin = f"/usr/lib/postgresql/{pg_bin}/bin"
    data = os.path.join(host.dir, "data")
    os.chmod(host.dir, 0o777)
    sh("runuser", "-u", "postgres", "--", f"{pg_bin}/initdb", "-D", data, "-U", "tutorline", "-A", "trust", "--no-sync", "-E", "UTF8")
    with open(os.path.join(data, "pg_hba.conf"), "a") as hba:
        hba.write("host all all 10.77.0.0/24 trust\n")
    host.start("postgres", [f"{pg_bin}/postgres", "-D", data, "-k", host.dir, "-c", f"listen_addresses={address('db')}",
                            "-c", "fsync=off", "-c", "max_connections=200"], {}, user="postgres")
    wait_until(lambda: sh("ip", "netns", "exec", namespace("db"), f"{pg_bin}/pg_isready", "-h", address("db"), "-U", "tutorline",
                          check_status=False).returncode == 0, "Postgres ready", 60)
    sh("ip", "netns", "exec", namespace("db"), "runuser", "-u", "postgres", "--", f"{pg_bin}/psql", "-h", address("db"), "-U", "tutorline",
       "-d", "postgres", "-c", "CREATE DATABASE tutorline")


def nginx_config(proxy):
    logs = os.path.join(proxy.dir, "logs")
    os.makedirs(logs, exist_ok=True)
    path = os.path.join(proxy.dir, "nginx.conf")
    with open(path, "w") as file:
        file.write(f"""
user root;
worker_processes 1;
daemon off;
error_log {logs}/error.log;
pid {proxy.dir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    include {ROOT}/deploy/nginx/tutorline-http.conf;
    access_log {logs}/access.log tutorline;
    client_body_temp_path {proxy.dir}/body;
    proxy_temp_path {proxy.dir}/proxy;
    fastcgi_temp_path {proxy.dir}/fastcgi;
    uwsgi_temp_path {proxy.dir}/uwsgi;
    scgi_temp_path {proxy.dir}/scgi;
    upstream gateways {{ server {address('a')}:8080; }}
    upstream streams {{ server {address('b')}:8081 max_fails=0; server {address('c')}:8081 max_fails=0; }}
    map $host $tutorline_gateway {{ default gateways; }}
    map $host $tutorline_stream {{ default streams; }}
    server {{
        listen {address('proxy')}:8000;
        include {ROOT}/deploy/nginx/tutorline.conf;
    }}
}}
""")
    return path


# MARK: browsers

def request(method, url, body=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, parts.path + ("?" + parts.query if parts.query else ""), data, {"Content-Type": "application/json"} if data else {})
    response = connection.getresponse()
    payload = response.read()
    return response.status, (json.loads(payload) if payload else None)


class Browser(threading.Thread):
    """Follows one stream like EventSource: reconnects after `retry:` with Last-Event-ID until the
    job's end or a 204, and records every event and every connection."""

    def __init__(self, url, on_delta=None):
        super().__init__(daemon=True)
        self.url = url
        self.events = []
        self.connections = 0
        self.statuses = []
        self.on_delta = on_delta
        self.done = threading.Event()

    def run(self):
        retry = 1.0
        last_id = None
        deadline = time.time() + 120
        while time.time() < deadline:
            self.connections += 1
            parts = urllib.parse.urlsplit(self.url)
            try:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                headers = {"Accept": "text/event-stream"}
                if last_id is not None:
                    headers["Last-Event-ID"] = str(last_id)
                connection.request("GET", parts.path + "?" + parts.query, headers=headers)
                response = connection.getresponse()
                self.statuses.append(response.status)
                if response.status == 204:
                    break
                if response.status != 200:
                    response.read()
                    time.sleep(retry)
                    continue
                fields = {}
                while True:
                    line = response.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\n")
                    if line == "":
                        if "retry" in fields:
                            retry = int(fields["retry"]) / 1000
                        if "data" in fields:
                            event = {"event": fields.get("event", "message"), "id": int(fields["id"]) if "id" in fields else None,
                                     "data": json.loads(fields["data"])}
                            if event["id"] is not None:
                                last_id = event["id"]
                            self.events.append(event)
                            if event["event"] == "delta" and self.on_delta:
                                self.on_delta(self)
                            if event["event"] in ("completed", "failed"):
                                self.done.set()
                                return
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value
            except OSError:
                pass
            time.sleep(retry)
        self.done.set()

    @property
    def deltas(self):
        return sum(1 for e in self.events if e["event"] == "delta")

    def text(self):
        text = ""
        for event in self.events:
            if event["event"] == "reset":
                text = ""
            elif event["event"] == "delta":
                text += event["data"]["text"]
        return text

    def completed(self):
        return next((e["data"] for e in self.events if e["event"] == "completed"), None)


def ask(question, origin):
    status, accepted = request("POST", f"{origin}/api/landing-assistant/query", {"question": question})
    if status != 202:
        raise SystemExit(f"hosts-test: query answered {status}: {accepted}")
    return accepted


def stream_url(accepted, origin):
    return origin + accepted["streamUrl"] if accepted["streamUrl"].startswith("/") else accepted["streamUrl"]


def check_exact(browser, accepted, what, origin):
    result = browser.completed()
    ids = [e["id"] for e in browser.events if e["id"] is not None]
    ok = check(result is not None, f"{what}: the stream ends with completed")
    ok = check(ids == list(range(1, len(ids) + 1)), f"{what}: ids 1..{len(ids)}, each once, in order ({len(browser.events)} events, "
               f"{browser.connections} connections)") and ok
    if result is None:
        return False
    ok = check(browser.text() == result["answer"] and result["answer"], f"{what}: the deltas make the answer") and ok
    status, polled = request("GET", origin + accepted["pollUrl"])
    ok = check(status == 200 and polled["status"] == "COMPLETED" and polled["result"]["answer"] == result["answer"],
               f"{what}: legacy polling agrees") and ok
    return ok


# MARK: the run

def main():
    if os.geteuid() != 0:
        raise SystemExit("hosts-test: needs root (network namespaces)")
    for tool in ["tutorline-gateway", "tutorline-worker", "tutorline-stream"]:
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            raise SystemExit(f"hosts-test: no {tool} in {BIN} (swift build first)")
    work = tempfile.mkdtemp(prefix="tutorline-hosts-")
    os.chmod(work, 0o755)
    build_network()
    hosts = {name: Host(name, work) for name in HOSTS}
    started = time.time()
    try:
        run(hosts)
    finally:
        for host in hosts.values():
            host.stop_all()
        teardown_network()
    spooled = [os.path.join(h.spool, f) for h in hosts.values() for f in os.listdir(h.spool)]
    check(not spooled, f"no host wrote to its spool folder ({spooled[:3]})")
    print(f"\nhosts-test: {len(failures)} failure(s) in {time.time() - started:.0f} s; logs in {work}")
    if failures:
        for failure in failures:
            print("  - " + failure)
        sys.exit(1)


def run(hosts):
    start_postgres(hosts["db"])
    secret = "stream-token-secret-for-the-hosts-test-0123456789"
    common = {
        "DATABASE_URL": f"postgres://tutorline@{address('db')}:5432/tutorline?sslmode=disable",
        "EVENT_LOG": "postgres",
        "STREAM_TOKEN_SECRET": secret,
        "AUTH_JWT_SECRET": "auth-secret-for-the-hosts-test-0123456789",
        "HOST": "0.0.0.0",
        "STREAM_PUBLIC_URL": "",
        "ANON_RATE_LIMIT": "0",
        # Answers that take a few seconds, so that something can break in the middle of one.
        # (about 10 s: longer than B takes to notice a cut link, 2-5 s, plus the 3 s bound).
        "OFFLINE_PACE_MS": "400",
        "WORKER_CONCURRENCY": "16",
        "JOB_LEASE_SECONDS": "3",
        "JOB_RESCUE_SECONDS": "1",
        "STREAM_HEARTBEAT_SECONDS": "1",
        "STREAM_EVENT_LOG_LOST_SECONDS": "3",
        "LOG_LEVEL": "info",
    }

    def env(host, port):
        return {**common, "SPOOL_DIR": hosts[host].spool, "PORT": str(port)}

    a, b, c, d, proxy = hosts["a"], hosts["b"], hosts["c"], hosts["d"], hosts["proxy"]
    a.start("gateway", [f"{BIN}/tutorline-gateway"], env("a", 8080), port=8080)
    sh("ip", "netns", "exec", namespace("a"), "env", *[f"{k}={v}" for k, v in env("a", 8082).items()],
       f"{BIN}/tutorline-worker", "ingest", os.path.join(ROOT, "content"))
    a.start("worker", [f"{BIN}/tutorline-worker"], env("a", 8082), port=8082)
    b.start("stream", [f"{BIN}/tutorline-stream"], env("b", 8081), port=8081)
    c.start("stream", [f"{BIN}/tutorline-stream"], env("c", 8081), port=8081)
    proxy.start("nginx", ["/usr/sbin/nginx", "-p", proxy.dir, "-c", nginx_config(proxy)], {})
    wait_until(lambda: ready("proxy", 8000), "nginx ready", 30)
    origin = f"http://{address('proxy')}:8000"

    print("answers reach browsers on B and on C")
    browsers = []
    for index, host in enumerate(["b", "c", "b", "c"]):
        accepted = ask(f"How does the course work? ({index})", origin)
        browser = Browser(f"http://{address(host)}:8081" + accepted["streamUrl"])
        browser.start()
        browsers.append((host, accepted, browser))
    for host, accepted, browser in browsers:
        browser.done.wait(60)
        check_exact(browser, accepted, f"a browser on {host.upper()}", origin)

    def browsers_through_proxy(question):
        started = []
        for index in range(6):
            accepted = ask(f"{question} ({index})", origin)
            browser = Browser(stream_url(accepted, origin))
            started.append((accepted, browser))
            browser.start()
        return started

    print("B's replica killed mid-stream")
    moving = browsers_through_proxy("What will I build in the course?")
    wait_until(lambda: all(browser.deltas >= 2 for _, browser in moving), "every browser has deltas", 30)
    on_b = [browser for accepted, browser in moving if accepted["jobId"] in b.log("stream")]
    b.kill("stream")
    check(len(on_b) > 0, f"{len(on_b)} of {len(moving)} browsers were on B when it was killed")
    for accepted, browser in moving:
        browser.done.wait(60)
        check_exact(browser, accepted, f"job {accepted['jobId'][:8]}" + (" (was on B)" if browser in on_b else ""), origin)
    check(all(browser.connections >= 2 for browser in on_b), "B's browsers reconnected")
    b.start("stream", [f"{BIN}/tutorline-stream"], env("b", 8081), port=8081)

    print("B cut off from Postgres mid-stream")
    cut = browsers_through_proxy("Who teaches the course?")
    wait_until(lambda: all(browser.deltas >= 1 for _, browser in cut), "every browser has deltas", 30)
    b_log_before = len(b.log("stream"))
    on_b = [browser for accepted, browser in cut if accepted["jobId"] in b.log("stream")]
    cut_from_database("b", True)
    for accepted, browser in cut:
        browser.done.wait(60)
        check_exact(browser, accepted, f"job {accepted['jobId'][:8]}" + (" (was on B)" if browser in on_b else ""), origin)
    check(len(on_b) > 0, f"{len(on_b)} of {len(cut)} browsers were on B when it lost Postgres")
    check(all(browser.connections >= 2 for browser in on_b), "B's browsers moved to C")
    check("ending streams" in b.log("stream")[b_log_before:], "B ended its streams once the bound passed")
    cut_from_database("b", False)
    wait_until(lambda: "event log connection restored" in b.log("stream")[b_log_before:], "B hears the log again", 30)
    accepted = ask("Is there a certificate?", origin)
    browser = Browser(f"http://{address('b')}:8081" + accepted["streamUrl"])
    browser.start()
    browser.done.wait(60)
    check_exact(browser, accepted, "B serves again once the link is back", origin)

    print("the worker on A killed mid-answer")
    accepted = ask("How long does the course take?", origin)
    browser = Browser(stream_url(accepted, origin))
    browser.start()
    wait_until(lambda: browser.deltas >= 3, "the answer has begun", 30)
    a.kill("worker")
    d.start("worker", [f"{BIN}/tutorline-worker"], env("d", 8082), port=8082)
    browser.done.wait(60)
    check_exact(browser, accepted, "a worker on D finished the answer", origin)
    check(not any(e["event"] == "reset" for e in browser.events), "the second attempt went on where the first stopped (no reset)")
    check(accepted["jobId"] in d.log("worker"), "the job was finished on D")


if __name__ == "__main__":
    main()
