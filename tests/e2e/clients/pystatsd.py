"""Drives Debian's python3-statsd client (the `statsd` package, UDP or TCP) for test_statsd.py.

Run with /usr/bin/python3 (the package is Debian's). Reads a JSON plan on stdin:
  {"host": "127.0.0.1", "port": 8125, "transport": "udp" | "tcp", "prefix": "py",
   "seed": 7,        # seeds `random`, so the client's own sampling (rate < 1) is reproducible
   "align_ms": 1000, # optional: start just after the next multiple of align_ms
   "calls": [["incr", "hits", 1], ["gauge", "temp", -5], ["pipeline", [[...], ...]], ...]}
Prints {"lines": {stat: lines actually sent}} so the test knows what sampling kept.
"""
import json
import random
import sys
import time

import statsd


def align(align_ms):
    if not align_ms:
        return
    now = time.time() * 1000
    start = (now // align_ms + 1) * align_ms + 30
    time.sleep((start - now) / 1000)


def run(target, calls):
    for method, *args in calls:
        if method == "pipeline":
            with target.pipeline() as pipe:
                run(pipe, args[0])
        else:
            getattr(target, method)(*args)


def main():
    plan = json.load(sys.stdin)
    random.seed(plan.get("seed", 0))
    if plan.get("transport", "udp") == "tcp":
        client = statsd.TCPStatsClient(plan["host"], plan["port"], prefix=plan.get("prefix"))
    else:
        client = statsd.StatsClient(plan["host"], plan["port"], prefix=plan.get("prefix"))
    sent = {}
    real_send = client._send

    def counting_send(data):
        for line in data.split("\n"):
            stat = line.split(":", 1)[0]
            sent[stat] = sent.get(stat, 0) + 1
        real_send(data)

    client._send = counting_send
    align(plan.get("align_ms"))
    run(client, plan["calls"])
    client.close()
    json.dump({"lines": sent}, sys.stdout)


if __name__ == "__main__":
    main()
