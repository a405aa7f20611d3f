#!/usr/bin/env python3
"""The container deployment's smoke test (run by scripts/compose-smoke.sh, which readies the engine).

Builds the image and brings compose.yaml up (3 stream replicas, 2 workers) under its own project
name on a free loopback port, then checks through the proxy what a deployment promises:

- both assistants answer over SSE, the deltas make the answer, legacy polling agrees;
- streams spread over the replicas;
- a replica stopped mid-answer: its browser resumes on another with Last-Event-ID, exactly;
- 1,500 concurrent streams are held by the proxy and the replicas, and all get their answer;
- no stream token in any container's log, nginx's included; job ids logged in lowercase;
  every log line of the services (migrate included) is JSON; no pool warning at start;
- a stop ends every container cleanly (exit 0), services first, the proxy next, Postgres last;
- the data survives a restart;
- the image: binaries stripped, its size; alone (`docker run`) it serves the whole system on
  SQLite, and keeps its data in its volume across a restart.

Then it removes the containers, networks and volumes it created and prints what it measured.
"""
import argparse
import asyncio
import base64
import http.client
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURSE = "ai-native-fullstack-developer"
measured = {}
failures = []


def check(condition, message):
    print(("  ok    " if condition else "  FAIL  ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command, check_status=True, timeout=1800, quiet=False):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check_status and result.returncode != 0:
        sys.stdout.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"compose-smoke: {' '.join(command)} exited {result.returncode}")
    if not quiet and result.returncode != 0:
        print(result.stderr[-2000:])
    return result


def suggested_secret(must_contain=""):
    """A secret as deploy/env.example suggests (`head -c 48 /dev/urandom | base64`)."""
    while True:
        secret = base64.b64encode(os.urandom(48)).decode()
        if must_contain in secret:
            return secret


# MARK: HTTP as browsers and old clients use it

def request(method, url, body=None, headers=None, timeout=15):
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Content-Type": "application/json"} if data else {}
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw = response.read()
            try:
                return response.status, (json.loads(raw) if raw else None)
            except ValueError:
                return response.status, raw.decode(errors="replace")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException) as error:
        return None, str(error)


def parse_events(text):
    """WHATWG event-stream frames into dicts (id, event, data); comments and retry ignored."""
    events = []
    for block in text.split("\n\n"):
        event = {"event": "message", "data": [], "id": None}
        fields = False
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                event["data"].append(value)
                fields = True
            elif name == "event":
                event["event"] = value
                fields = True
            elif name == "id":
                event["id"] = int(value)
        if fields:
            event["data"] = "\n".join(event["data"])
            events.append(event)
    return events


def follow(url, last_event_id=None, on_delta=None, timeout=60):
    """One EventSource connection: the events until the stream closes. `on_delta(count)` is
    called after each delta (the replica-stop scenario stops a replica from there)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    connection.request("GET", parts.path + "?" + parts.query, headers=headers)
    response = connection.getresponse()
    if response.status != 200:
        body = response.read().decode(errors="replace")
        connection.close()
        return response.status, [], body
    events, buffer, deltas = [], "", 0
    try:
        while True:
            line = response.readline()
            if not line:
                break
            buffer += line.decode()
            if buffer.endswith("\n\n"):
                for event in parse_events(buffer):
                    events.append(event)
                    if event["event"] == "delta":
                        deltas += 1
                        if on_delta:
                            on_delta(deltas)
                buffer = ""
                if events and events[-1]["event"] in ("completed", "failed", "timeout"):
                    break
    except (ConnectionError, http.client.IncompleteRead, TimeoutError, socket.timeout):
        pass
    connection.close()
    return 200, events, ""


def delta_text(events):
    text = ""
    for event in events:
        if event["event"] == "reset":
            text = ""
        elif event["event"] == "delta":
            text += json.loads(event["data"])["text"]
    return text


def completed(events):
    ends = [e for e in events if e["event"] == "completed"]
    return json.loads(ends[-1]["data"]) if ends else None


# MARK: many waiting browsers at once

async def hold_stream(host, port, path, results, index):
    """A browser's stream on a raw connection: records when its first event and its end came."""
    state = {"status": None, "first": False, "end": None}
    results[index] = state
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        state["status"] = int(head.split(b" ", 2)[1])
        if state["status"] != 200:
            writer.close()
            return
        text = ""
        while state["end"] is None:
            size_line = await asyncio.wait_for(reader.readline(), 180)
            size = int(size_line.strip() or b"0", 16)
            if size == 0:
                break
            chunk = await reader.readexactly(size + 2)
            text += chunk[:-2].decode()
            while "\n\n" in text:
                frame, text = text.split("\n\n", 1)
                for event in parse_events(frame + "\n\n"):
                    state["first"] = True
                    if event["event"] in ("completed", "failed", "timeout"):
                        state["end"] = event["event"]
        writer.close()
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
        state["error"] = repr(error)


# MARK: the deployment

class Deployment:
    def __init__(self, compose):
        self.compose_command = compose.split()
        self.project = f"tlsmoke{os.getpid()}"
        # compose.yaml (EVENT_LOG=spool), then compose.postgres.yaml (no shared disk).
        self.file = "compose.yaml"
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.env_file = tempfile.NamedTemporaryFile("w", suffix=".env", delete=False)
        self.password = suggested_secret(must_contain="/")  # the character that broke the URL
        self.env_file.write("\n".join([
            f"POSTGRES_PASSWORD={self.password}",
            f"STREAM_TOKEN_SECRET={suggested_secret()}",
            f"AUTH_JWT_SECRET={suggested_secret()}",
            "HTTP_BIND=127.0.0.1",
            f"HTTP_PORT={self.port}",
            "ANON_RATE_LIMIT=0",
            # One user asks 300 questions at once to hold many streams open.
            "USER_RATE_LIMIT=0",
            "USER_MAX_ACTIVE_JOBS=0",
            # Answers that take a few seconds, so a replica can be stopped in the middle of one.
            "OFFLINE_PACE_MS=100",
            "WORKER_CONCURRENCY=32",
        ]) + "\n")
        self.env_file.close()
        self.tokens = []

    def compose(self, *args, **kwargs):
        return run(self.compose_command + ["--env-file", self.env_file.name, "-p", self.project, "-f", self.file, *args], **kwargs)

    def containers(self, service):
        return self.compose("ps", "-q", service).stdout.split()

    def logs(self, container=None):
        if container:
            result = run(["docker", "logs", container], check_status=False, quiet=True)
            return result.stdout + result.stderr
        return self.compose("logs", "--no-color", check_status=False).stdout

    def wait_ready(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, _ = request("GET", self.origin + "/readyz", timeout=3)
            if status == 200:
                return True
            time.sleep(0.5)
        return False

    def user_token(self, user):
        result = self.compose("exec", "-T", "gateway", "tutorline-gateway", "token", "--sub", user)
        return result.stdout.strip().splitlines()[-1]

    def ask(self, assistant, question, bearer=None):
        path = "/assistant/query" if assistant == "tutor" else "/api/landing-assistant/query"
        body = {"question": question}
        headers = {}
        if assistant == "tutor":
            body["courseId"] = COURSE
            headers["Authorization"] = f"Bearer {bearer}"
        status, accepted = request("POST", self.origin + path, body, headers)
        if status != 202:
            raise SystemExit(f"compose-smoke: {path} answered {status}: {accepted}")
        self.tokens.append(urllib.parse.parse_qs(urllib.parse.urlsplit(accepted["streamUrl"]).query)["token"][0])
        return accepted

    def stream_url(self, accepted):
        return self.origin + accepted["streamUrl"] if accepted["streamUrl"].startswith("/") else accepted["streamUrl"]

    def poll(self, accepted, bearer=None):
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return request("GET", self.origin + accepted["pollUrl"], headers=headers)


def answer_and_poll(deployment, assistant, question, bearer=None):
    accepted = deployment.ask(assistant, question, bearer)
    status, events, body = follow(deployment.stream_url(accepted))
    result = completed(events)
    check(status == 200 and result is not None, f"{assistant}: the stream ends with completed ({status} {body})")
    if result is None:
        return accepted, None
    check(delta_text(events) == result["answer"] and result["answer"], f"{assistant}: the deltas make the answer")
    ids = [e["id"] for e in events if e["id"] is not None]
    check(ids == sorted(set(ids)), f"{assistant}: event ids increase")
    poll_status, polled = deployment.poll(accepted, bearer)
    check(poll_status == 200 and polled["status"] == "COMPLETED" and polled["result"]["answer"] == result["answer"],
          f"{assistant}: legacy polling agrees")
    return accepted, result


def replica_stopped_mid_answer(deployment):
    # Everything slow (compose's own start-up, whole logs) is done before the answer streams, and
    # the stop is a signal that returns at once: on a loaded machine the answer otherwise ended
    # while the replica was still being looked for.
    replicas = deployment.containers("stream")
    accepted = deployment.ask("guide", "What does the course cost, and how are payments made?")
    job = accepted["jobId"]
    stopped = {}

    def stop_serving_replica(deltas):
        if deltas != 2 or stopped:
            return
        for container in replicas:
            recent = run(["docker", "logs", "--tail", "300", container], check_status=False, quiet=True)
            if job in recent.stdout + recent.stderr:
                stopped["container"] = container
                run(["docker", "kill", "--signal", "TERM", container])
                return

    status, first, _ = follow(deployment.stream_url(accepted), on_delta=stop_serving_replica)
    check("container" in stopped, "the replica serving the stream was found by the job id in its log and stopped")
    check(completed(first) is None and len([e for e in first if e["event"] == "delta"]) >= 2,
          "the stopped replica ended the stream before the answer did")
    last = max(e["id"] for e in first if e["id"] is not None)
    status, rest, body = follow(deployment.stream_url(accepted), last_event_id=last)
    result = completed(rest)
    check(status == 200 and result is not None, f"the browser resumed on another replica ({status} {body})")
    if result:
        ids = [e["id"] for e in first + rest if e["id"] is not None]
        check(len(ids) == len(set(ids)) and min(e["id"] for e in rest if e["id"]) == last + 1,
              "the resumed stream starts right after Last-Event-ID: nothing twice, nothing skipped")
        check(delta_text(first + rest) == result["answer"], "the deltas of both connections make the answer exactly")
    if "container" in stopped:
        run(["docker", "wait", stopped["container"]], check_status=False)
        run(["docker", "start", stopped["container"]])


def container_descriptors(container):
    """Open descriptors of every process in a container (read from the host's /proc, as root)."""
    pids = run(["docker", "top", container, "-o", "pid"], check_status=False, quiet=True).stdout.split()[1:]
    total = 0
    for pid in pids:
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def many_waiting_browsers(deployment, bearer, count=1500, per_job=5):
    # Workers stopped: the jobs wait in the queue, so every stream is held open, waiting.
    deployment.compose("stop", "worker")
    jobs = [deployment.ask("tutor", f"What does lesson {index % 7 + 1} teach about streaming? ({index})", bearer)
            for index in range(count // per_job)]
    paths = []
    for accepted in jobs:
        url = urllib.parse.urlsplit(deployment.stream_url(accepted))
        paths += [url.path + "?" + url.query] * per_job
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 1024)), hard))

    async def scenario():
        results = [None] * len(paths)
        tasks = [asyncio.create_task(hold_stream("127.0.0.1", deployment.port, path, results, i)) for i, path in enumerate(paths)]
        deadline = time.time() + 120
        while time.time() < deadline and sum(1 for r in results if r and r["first"]) < len(paths):
            await asyncio.sleep(0.5)
        held = sum(1 for r in results if r and r["status"] == 200 and r["first"] and r["end"] is None)
        if not check(held == len(paths), f"{len(paths)} concurrent streams held, each with its first event ({held} held)"):
            outcomes = {}
            for r in results:
                key = repr((r or {}).get("status"), ) + " " + repr((r or {}).get("end")) + " " + repr((r or {}).get("error", ""))[:80]
                outcomes[key] = outcomes.get(key, 0) + 1
            print("  outcomes:", outcomes)
        measured["concurrent streams held"] = held
        measured["descriptors while held: stream replicas"] = [container_descriptors(c) for c in deployment.containers("stream")]
        measured["descriptors while held: proxy"] = container_descriptors(deployment.containers("proxy")[0])
        started = time.time()
        await asyncio.to_thread(deployment.compose, "start", "worker")
        await asyncio.wait(tasks, timeout=240)
        ended = sum(1 for r in results if r and r["end"] == "completed")
        check(ended == len(paths), f"all {len(paths)} browsers got their completed answer once workers ran ({ended})")
        measured["1,500 streams: workers started → every answer delivered (s)"] = round(time.time() - started, 1)
        errors = [r.get("error") for r in results if r and r.get("error")]
        if errors:
            print("  first errors:", errors[:3])
        for task in tasks:
            task.cancel()

    asyncio.run(scenario())
    proxy_log = deployment.logs(deployment.containers("proxy")[0])
    check("worker_connections are not enough" not in proxy_log, "the proxy had connections to spare")
    per_replica = [deployment.logs(c).count("stream opened") for c in deployment.containers("stream")]
    check(len(per_replica) == 3 and all(n > 0 for n in per_replica), f"streams spread over the replicas {per_replica}")
    measured["streams opened per replica"] = per_replica


def logs_are_clean(deployment, jobs):
    logs = deployment.logs()
    check(len(deployment.tokens) > 0 and not any(token in logs for token in deployment.tokens), "no stream token in any log")
    check("token=" not in logs, "no token= query string in any log, the proxy's included")
    check(all(job.lower() in logs and job.upper() not in logs for job in jobs), "job ids are logged in lowercase")
    # Every service waits for its pool to run before its first statement (postgres-nio warns otherwise).
    early = "".join(deployment.logs(c) for service in ["migrate", "gateway", "worker", "stream"] for c in deployment.containers(service))
    check("hasn't been called yet" not in early, "no service leases a Postgres connection before its pool runs")
    for service in ["migrate", "gateway", "worker", "stream"]:
        lines = [line for c in deployment.containers(service) for line in deployment.logs(c).splitlines() if line.strip()]
        bad = [line for line in lines if not line.startswith("{")]
        check(lines and not bad, f"{service}: every log line is JSON {bad[:2]}")


def stop_in_order(deployment):
    deployment.compose("stop")
    finished = {}
    for service in ["gateway", "worker", "stream", "proxy", "postgres"]:
        for container in deployment.containers(service):
            state = json.loads(run(["docker", "inspect", "-f", "{{json .State}}", container]).stdout)
            check(state["ExitCode"] == 0, f"{service} {container[:12]} exited 0 (exit {state['ExitCode']})")
            # Docker writes nanoseconds; Python reads microseconds.
            stamp = re.sub(r"(\.\d{6})\d*", r"\1", state["FinishedAt"]).replace("Z", "+00:00")
            finished.setdefault(service, []).append(datetime.fromisoformat(stamp).timestamp())
    services_end = max(max(finished[s]) for s in ["gateway", "worker", "stream"])
    check(services_end <= min(finished["proxy"]) <= min(finished["postgres"]),
          "the services stopped first, then the proxy, then Postgres")
    worker_logs = "".join(deployment.logs(c) for c in deployment.containers("worker"))
    check("did not answer" not in worker_logs, "no worker lost Postgres while stopping")


def image_checks(image):
    sizes = run(["docker", "run", "--rm", "--entrypoint", "sh", image, "-c",
                 "stat -c '%s %n' /usr/local/bin/tutorline-gateway /usr/local/bin/tutorline-worker /usr/local/bin/tutorline-stream"]).stdout.split("\n")
    megabytes = [int(line.split()[0]) / 1e6 for line in sizes if line.strip()]
    check(len(megabytes) == 3 and all(m < 150 for m in megabytes), f"binaries are stripped ({[round(m) for m in megabytes]} MB)")
    size = int(run(["docker", "image", "inspect", "-f", "{{.Size}}", image]).stdout.strip()) / 1e6
    measured["image size (MB)"] = round(size)


def image_alone(image):
    """`docker run` with a volume: the embedded default, as scripts/run.sh gives it."""
    name, volume = f"tlsmoke-alone-{os.getpid()}", f"tlsmoke-data-{os.getpid()}"
    gateway_port, stream_port = free_port(), free_port()
    start = ["docker", "run", "-d", "--name", name, "-v", f"{volume}:/app/.tutorline",
             "-p", f"127.0.0.1:{gateway_port}:8080", "-p", f"127.0.0.1:{stream_port}:8081", image]
    try:
        run(start)
        origin = f"http://127.0.0.1:{gateway_port}"
        deadline = time.time() + 120
        while time.time() < deadline and request("GET", origin + "/readyz", timeout=3)[0] != 200:
            time.sleep(0.5)
        page_status, _ = request("GET", origin + "/readyz")
        check(page_status == 200, "the image alone starts on the embedded default")
        status, accepted = request("POST", origin + "/api/landing-assistant/query", {"question": "What does the course cost?"})
        check(status == 202, f"the image alone accepts a question ({status})")
        if status != 202:
            print(run(["docker", "logs", name], check_status=False).stderr[-3000:])
            return
        # The embedded default names its stream service as the browser reaches it on this machine.
        url = accepted["streamUrl"].replace("127.0.0.1:8081", f"127.0.0.1:{stream_port}")
        _, events, _ = follow(url)
        result = completed(events)
        check(result is not None and delta_text(events) == result["answer"], "the image alone streams the answer")
        run(["docker", "stop", name])
        exit_code = run(["docker", "inspect", "-f", "{{.State.ExitCode}}", name]).stdout.strip()
        check(exit_code == "0", f"the image alone stops cleanly (exit {exit_code})")
        run(["docker", "rm", name])
        run(start)
        deadline = time.time() + 60
        while time.time() < deadline and request("GET", origin + "/readyz", timeout=3)[0] != 200:
            time.sleep(0.5)
        status, polled = request("GET", origin + accepted["pollUrl"])
        check(status == 200 and result and polled["result"]["answer"] == result["answer"],
              "the image alone keeps its data in its volume across a restart")
    finally:
        run(["docker", "rm", "-f", name], check_status=False, quiet=True)
        run(["docker", "volume", "rm", volume], check_status=False, quiet=True)


def postgres_event_log(deployment):
    deployment.compose("down", "-v", "--remove-orphans", "-t", "20")
    deployment.file = "compose.postgres.yaml"
    up_start = time.time()
    deployment.compose("up", "-d", "--scale", "stream=2", "--scale", "worker=2")
    check(deployment.wait_ready(), "postgres mode: the stack answers /readyz through the proxy")
    measured["postgres mode: up → ready (s)"] = round(time.time() - up_start, 1)
    bearer = deployment.user_token("smoke-user")
    answer_and_poll(deployment, "guide", "How much does the course cost?")
    answer_and_poll(deployment, "tutor", "How do I stream tokens to the browser?", bearer)
    replica_stopped_mid_answer(deployment)
    for service in ["worker", "stream"]:
        for container in deployment.containers(service):
            mounts = run(["docker", "inspect", "-f", "{{len .Mounts}}", container]).stdout.strip()
            check(mounts == "0", f"postgres mode: {service} container {container[:12]} mounts nothing ({mounts})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compose", default="docker compose")
    options = parser.parse_args()
    deployment = Deployment(options.compose)
    image = "tutorline:latest"
    began = time.time()
    try:
        print(f"compose-smoke: building the image (project {deployment.project})", flush=True)
        build_start = time.time()
        deployment.compose("build", "gateway")
        measured["image build (s)"] = round(time.time() - build_start)
        image_checks(image)

        print(f"compose-smoke: up with 3 stream replicas and 2 workers on {deployment.origin}", flush=True)
        up_start = time.time()
        deployment.compose("up", "-d", "--scale", "stream=3", "--scale", "worker=2")
        check(deployment.wait_ready(), "the stack answers /readyz through the proxy")
        measured["up → ready through the proxy (s)"] = round(time.time() - up_start, 1)

        print("compose-smoke: both assistants, through the proxy", flush=True)
        bearer = deployment.user_token("smoke-user")
        guide, guide_result = answer_and_poll(deployment, "guide", "How much does the course cost?")
        tutor, _ = answer_and_poll(deployment, "tutor", "How do I stream tokens to the browser?", bearer)
        check(request("GET", deployment.origin + tutor["pollUrl"])[0] == 401, "the tutor's polling needs its bearer")

        print("compose-smoke: a replica stopped mid-answer", flush=True)
        replica_stopped_mid_answer(deployment)

        print("compose-smoke: 1,500 concurrent streams", flush=True)
        many_waiting_browsers(deployment, bearer)

        print("compose-smoke: logs", flush=True)
        logs_are_clean(deployment, [guide["jobId"], tutor["jobId"]])

        print("compose-smoke: a stop, in order", flush=True)
        stop_in_order(deployment)

        print("compose-smoke: a restart keeps the data", flush=True)
        deployment.compose("up", "-d", "--scale", "stream=3", "--scale", "worker=2")
        check(deployment.wait_ready(), "the stack is ready again")
        status, polled = request("GET", deployment.origin + guide["pollUrl"])
        check(status == 200 and guide_result and polled["result"]["answer"] == guide_result["answer"], "an answer from before the restart is still there")

        print("compose-smoke: the image alone", flush=True)
        image_alone(image)

        print("compose-smoke: compose.postgres.yaml, no disk shared (EVENT_LOG=postgres)", flush=True)
        postgres_event_log(deployment)
    finally:
        deployment.compose("down", "-v", "--remove-orphans", "-t", "20", check_status=False)
        os.unlink(deployment.env_file.name)
    measured["whole smoke test (s)"] = round(time.time() - began)
    for name, value in measured.items():
        print(f"measured: {name}: {value}")
    print(f"compose-smoke: {len(failures)} failed" + (": " + "; ".join(failures) if failures else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
