"""posthog-python driver for the SDK acceptance suite.

Reads one JSON document on stdin:
  {"host": ..., "token": ..., "scenarios": [ScenarioPlan, ...]}
(ScenarioPlan as in test/sdk/harness/plan.ts, plus optional "client_extra"
keyword arguments for the Posthog constructor), runs each scenario with a
fresh client (operations, then shutdown(), which flushes and waits), and
prints one JSON document on stdout:
  {"version": ..., "scenarios": [{"name", "run_id", "errors": [...]}]}
The SDK is used unmodified; nothing here touches its internals.
"""
import datetime
import json
import sys

from posthog import Posthog
from posthog.version import VERSION


def parse_timestamp(text):
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def perform(client, op):
    kind = op["op"]
    if kind == "capture":
        client.capture(
            op["event"],
            distinct_id=op["distinct_id"],
            properties=op["properties"],
            uuid=op.get("uuid"),
            timestamp=parse_timestamp(op.get("timestamp")),
            groups=op.get("groups"),
        )
    elif kind == "identify":
        # posthog-python 7 has no identify(): person properties go out as $set / $set_once events.
        set_uuid, set_once_uuid = op["uuids"]
        client.set(distinct_id=op["distinct_id"], properties=op["set"], uuid=set_uuid)
        client.set_once(distinct_id=op["distinct_id"], properties=op["set_once"], uuid=set_once_uuid)
    elif kind == "alias":
        # As a user writes it: the anonymous id is previous_id, the known user is distinct_id.
        client.alias(previous_id=op["alias"], distinct_id=op["distinct_id"], uuid=op.get("uuid"))
    elif kind == "group_identify":
        client.group_identify(
            op["group_type"],
            op["group_key"],
            op["properties"],
            distinct_id=op["distinct_id"],
            uuid=op.get("uuid"),
        )
    else:
        raise ValueError("unknown operation " + kind)


def run_scenario(host, token, plan):
    errors = []

    def on_error(error, batch):
        errors.append({"error": str(error), "events": len(batch or [])})

    options = {
        "host": host,
        "gzip": plan["client"]["gzip"],
        "historical_migration": plan["client"]["historical_migration"],
        "flush_interval": 0.05,
        "on_error": on_error,
    }
    options.update(plan.get("client_extra") or {})
    client = Posthog(token, **options)
    for op in plan["operations"]:
        perform(client, op)
    client.shutdown()
    return {"name": plan["name"], "run_id": plan["run_id"], "errors": errors}


def main():
    request = json.load(sys.stdin)
    results = [run_scenario(request["host"], request["token"], plan) for plan in request["scenarios"]]
    json.dump({"version": VERSION, "scenarios": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
