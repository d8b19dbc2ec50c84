#!/usr/bin/python3
"""Validates mailtls JSON output against docs/schemas: every golden case
whose expected output is JSON, and a fresh run over the sample logs with
every --by key."""
import json
import subprocess
import sys
from pathlib import Path

import jsonschema

mailtls, src = sys.argv[1], Path(sys.argv[2])
validators = {}
for path in (src / "docs/schemas").glob("*-v1.schema.json"):
    schema = json.loads(path.read_text())
    validators[schema["properties"]["schema"]["const"]] = jsonschema.Draft202012Validator(schema)

documents = []
for expected in sorted((src / "tests/golden").glob("*/expected.out")):
    text = expected.read_text()
    if text.startswith("{"):
        documents.append((str(expected), json.loads(text)))

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

failures = 0
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
    if not errors and doc["rows"] and "keys" in doc:
        missing = [k for k in doc["keys"] if k not in doc["rows"][0]]
        if missing:
            print(f"{name}: rows lack keys {missing}")
            failures += 1
print(f"schema: {len(documents)} documents checked, {failures} problems")
sys.exit(1 if failures else 0)
