#!/bin/sh
# docs/provider-dictionary.schema.json: a valid JSON Schema that accepts
# every shipped fixture and rejects the broken one.  Needs python3 with the
# jsonschema and yaml modules (Debian: python3-jsonschema, python3-yaml);
# skips (77) only when they are missing.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${PYTHON3:-python3}

if ! "$PY" -c 'import jsonschema, yaml' >/dev/null 2>&1; then
	echo "SKIP: python3 modules jsonschema and yaml are needed"
	exit 77
fi

exec "$PY" - "$top_srcdir" <<'PYEOF'
import json, sys
import jsonschema, yaml

top = sys.argv[1]
schema = json.load(open(top + "/docs/provider-dictionary.schema.json"))
passed = failed = 0

def result(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - " + name + (": " + detail if detail else ""))

try:
    jsonschema.Draft202012Validator.check_schema(schema)
    result(True, "the schema is a valid draft 2020-12 schema")
except jsonschema.SchemaError as e:
    result(False, "the schema is a valid draft 2020-12 schema", e.message)
v = jsonschema.Draft202012Validator(schema)

for name in ("opnsense-firewall", "cisco-iosxe", "routeros-bootstrap"):
    doc = yaml.safe_load(open(top + "/tests/provider/fixtures/%s.yaml" % name))
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    result(not errs, name + ".yaml validates",
           "; ".join("%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                     for e in errs[:5]))

doc = yaml.safe_load(open(top + "/tests/provider/fixtures/broken.yaml"))
errs = list(v.iter_errors(doc))
result(len(errs) >= 5, "broken.yaml is rejected (%d errors)" % len(errs))

# A few shapes the schema must refuse, each on its own.
bad = {
    "an unknown top-level key": {"name": "x", "services": {"S": {}}, "servics": 1},
    "missing name": {"services": {"S": {}}},
    "a port out of range": {"name": "x", "services": {"S": {}},
                            "connections": {"c": {"type": "ssh", "port": 70000}}},
    "a bad response format": {"name": "x", "services": {"S": {"op": {
        "url": "https://h/", "response": {"format": "yaml"}}}}},
    "a command line that is a map": {"name": "x", "services": {"S": {"op": {
        "commands": [{"now": True}]}}}},
}
for what, doc in bad.items():
    result(not v.is_valid(doc), "rejects " + what)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
