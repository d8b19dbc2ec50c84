#!/usr/bin/python3
"""Validates mailtls JSON output against docs/schemas: every golden case
whose expected output is JSON, and a fresh run over the sample logs with
every --by key."""
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

mailtls, src = sys.argv[1], Path(sys.argv[2])
validators = {}
for path in (src / "docs/schemas").glob("*-v1.schema.json"):
    schema = json.loads(path.read_text())
    if "schema" in schema["properties"]:
        validators[schema["properties"]["schema"]["const"]] = jsonschema.Draft202012Validator(schema)
event_validator = jsonschema.Draft202012Validator(
    json.loads((src / "docs/schemas/event-v1.schema.json").read_text()))

documents = []
golden_records = []  # NDJSON goldens of `events`
for expected in sorted((src / "tests/golden").glob("*/expected.out")):
    text = expected.read_text()
    if text.startswith("<!DOCTYPE html>"):
        # The report an HTML page embeds (cut to its top entries).
        m = re.search(r'<script type="application/json" id="mailtls-report">\n(.*?)</script>',
                      text, re.S)
        if m:
            documents.append((str(expected) + " (embedded)", json.loads(m.group(1))))
        else:
            documents.append((str(expected) + " (embedded)", {"schema": "none embedded"}))
        continue
    if not text.startswith("{"):
        continue
    if text.startswith("{\n"):
        documents.append((str(expected), json.loads(text)))
    else:
        for line in text.splitlines():
            record = json.loads(line)
            if "event" in record and "time" in record:
                golden_records.append(record)

keys = ("time,day,hour,host,service,pid,event,direction,trust,protocol,cipher,bits,"
        "key_exchange,server_signature,server_digest,client_signature,client_digest,sni,"
        "peer,peer_name,peer_ip,port,reason,reason_text,file")
run = subprocess.run([mailtls, "count", "--year", "2026", "--event", "all", "--by", keys,
                      "--format", "json", "--include-scanners", str(src / "sample_logs")],
                     capture_output=True, text=True, check=True)
documents.append(("count --by every key", json.loads(run.stdout)))
run = subprocess.run([mailtls, "legacy", "--year", "2026", "--format", "json",
                      "--include-scanners", str(src / "sample_logs")],
                     capture_output=True, text=True, check=True)
documents.append(("legacy", json.loads(run.stdout)))
run = subprocess.run([mailtls, "report", "--year", "2026", "--format", "json",
                      str(src / "sample_logs")], capture_output=True, text=True, check=True)
documents.append(("report", json.loads(run.stdout)))
run = subprocess.run([mailtls, "failures", "--year", "2026", "--format", "json",
                      "--include-scanners", str(src / "sample_logs")],
                     capture_output=True, text=True, check=True)
documents.append(("failures", json.loads(run.stdout)))

failures = 0
run = subprocess.run([mailtls, "events", "--year", "2026", "--include-scanners",
                      str(src / "sample_logs")], capture_output=True, text=True, check=True)
records = [json.loads(line) for line in run.stdout.splitlines()] + golden_records
if not records:
    print("events: no records")
    failures += 1
for i, record in enumerate(records):
    for error in event_validator.iter_errors(record):
        print(f"events record {i + 1}: {'/'.join(map(str, error.path))}: {error.message}")
        failures += 1
for name, doc in documents:
    validator = validators.get(doc.get("schema"))
    if validator is None:
        print(f"{name}: no schema for {doc.get('schema')!r}")
        failures += 1
        continue
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for error in errors:
        print(f"{name}: {'/'.join(map(str, error.path))}: {error.message}")
    failures += len(errors)
    if not errors and doc.get("rows") and "keys" in doc:
        missing = [k for k in doc["keys"] if k not in doc["rows"][0]]
        if missing:
            print(f"{name}: rows lack keys {missing}")
            failures += 1
print(f"schema: {len(documents)} documents and {len(records)} event records checked, "
      f"{failures} problems")
sys.exit(1 if failures else 0)
