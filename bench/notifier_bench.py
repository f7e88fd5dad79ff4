"""Notifier benchmark driver (run by bench/notifier.sh): one system at a time.

Starts a counting webhook sink, starts the system under test (its command line comes after
`--`), posts the same batches of alerts to its `POST /api/v2/alerts`, and waits until every
alert has appeared in a notification at the sink. Prints one JSON object with throughput
(alerts/s fully delivered), p99 time from posting a group's first alert to the group's first
notification, notifications received and the process's peak RSS (VmHWM).

Both systems get `group_by: [alertname]`; the sink takes the body of either (Alertmanager v4
webhook JSON, which Detectviz's webhook channel also sends) and counts alerts by `instance`.
"""

import argparse
import asyncio
import http.client
import json
import subprocess
import sys
import threading
import time


class Sink:
    """Counts alerts (by instance label) and first notifications per group (alertname)."""

    def __init__(self):
        self.seen_instances = set()
        self.first_notification = {}
        self.notifications = 0
        self.last_delivery = None
        self.all_seen = asyncio.Event()
        self.expected = 0

    def take(self, body):
        message = json.loads(body)
        now = time.monotonic()
        self.notifications += 1
        for alert in message.get("alerts", []):
            labels = alert.get("labels", {})
            self.first_notification.setdefault(labels.get("alertname"), now)
            if alert.get("status") == "firing":
                self.seen_instances.add(labels.get("instance"))
        self.last_delivery = now
        if len(self.seen_instances) >= self.expected:
            self.all_seen.set()

    async def handle(self, reader, writer):
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    break
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                body = await reader.readexactly(length) if length else b""
                self.take(body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def batches(alerts, groups, batch_size):
    """The alerts in posting order: instance i belongs to group i % groups."""
    batch = []
    for index in range(alerts):
        batch.append(
            {
                "labels": {
                    "alertname": f"BenchAlert{index % groups}",
                    "instance": f"device-{index}",
                    "site": "plant-a",
                    "severity": "warning",
                },
                "annotations": {"summary": f"bench alert {index}"},
            }
        )
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def wait_for_port(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the system under test exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing answered on port {port}")


def post_all(port, token, all_batches, groups, posted_at, timing):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    for batch in all_batches:
        started = time.monotonic()
        for alert in batch:
            posted_at.setdefault(alert["labels"]["alertname"], started)
        connection.request("POST", "/api/v2/alerts", json.dumps(batch), headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            sys.exit(f"POST /api/v2/alerts answered {response.status}: {answer[:300]!r}")
    timing["posted"] = time.monotonic()


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def p99(values):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


async def run(arguments, command):
    sink = Sink()
    sink.expected = arguments.alerts
    server = await asyncio.start_server(sink.handle, "127.0.0.1", arguments.sink_port)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await asyncio.to_thread(wait_for_port, arguments.port, process)
        all_batches = list(batches(arguments.alerts, arguments.groups, arguments.batch))
        posted_at = {}
        timing = {}
        started = time.monotonic()
        poster = threading.Thread(
            target=post_all,
            args=(arguments.port, arguments.token, all_batches, arguments.groups, posted_at, timing),
        )
        poster.start()
        try:
            await asyncio.wait_for(sink.all_seen.wait(), timeout=arguments.timeout)
            complete = True
        except asyncio.TimeoutError:
            complete = False
        await asyncio.to_thread(poster.join)
        finished = sink.last_delivery or time.monotonic()
        delivered = len(sink.seen_instances)
        latencies = [
            sink.first_notification[group] - posted_at[group]
            for group in posted_at
            if group in sink.first_notification
        ]
        result = {
            "alerts": arguments.alerts,
            "delivered": delivered,
            "complete": complete,
            "alerts_per_s": round(delivered / max(finished - started, 1e-9), 1),
            "p99_first_notification_ms": round(1000 * p99(latencies), 1) if latencies else None,
            "notifications": sink.notifications,
            "posting_s": round(timing.get("posted", finished) - started, 2),
            "peak_rss_kib": peak_rss_kib(process.pid),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        server.close()
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="the system's HTTP port")
    parser.add_argument("--sink-port", type=int, required=True)
    parser.add_argument("--token", default="", help="API token (Detectviz)")
    parser.add_argument("--alerts", type=int, default=20000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    asyncio.run(run(arguments, command))


if __name__ == "__main__":
    main()
