#!/usr/bin/python3
"""Validates a JSON document against a JSON Schema (draft-07) with python3-jsonschema, offline.

Usage: validate_json_schema.py SCHEMA DOC
Exit status: 0 valid, 1 invalid (every error printed, with its JSON path), 2 usage or I/O error.

References between schemas are resolved from the schema's own directory only, never the network:
every *.schema.json beside SCHEMA is registered under its "$id" and under its file name, and the
names the CycloneDX schemas use ("spdx.schema.json", "jsf-0.82.schema.json", with or without the
".SNAPSHOT" infix, relative to http://cyclonedx.org/schema/) map to the local SNAPSHOT copies.
Works with jsonschema 4.10 (Debian 12: RefResolver) and 4.18+ (the referencing library).
"""
import json
import os
import sys
import warnings

import jsonschema


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def local_store(schema_path):
    """URI -> schema for every *.schema.json in the schema's directory."""
    d = os.path.dirname(os.path.abspath(schema_path))
    store = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".schema.json"):
            continue
        doc = load(os.path.join(d, name))
        uris = {name, "file://" + os.path.join(d, name)}
        sid = doc.get("$id") if isinstance(doc, dict) else None
        if sid:
            uris.add(sid)
            base = sid.rsplit("/", 1)[0] + "/"
            uris.add(base + name)
            # CycloneDX refers to "spdx.schema.json" upstream and "spdx.SNAPSHOT.schema.json" in
            # the npm package's copy: register both spellings beside the $id.
            if ".SNAPSHOT." in name:
                uris.add(base + name.replace(".SNAPSHOT.", "."))
                uris.add(name.replace(".SNAPSHOT.", "."))
        for u in uris:
            store[u] = doc
    return store


def make_validator(schema, store):
    cls = jsonschema.Draft7Validator
    cls.check_schema(schema)
    fmt = jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
    except ImportError:
        Registry = None
    if Registry is not None:
        resources = [(u, Resource.from_contents(s, default_specification=DRAFT7))
                     for u, s in store.items()]

        def refuse(uri):
            raise LookupError("no local schema for %s (network access is disabled)" % uri)

        registry = Registry(retrieve=refuse).with_resources(resources)
        return cls(schema, registry=registry, format_checker=fmt)

    def refuse_handler(uri):
        raise jsonschema.RefResolutionError(
            "no local schema for %s (network access is disabled)" % uri)

    handlers = {"http": refuse_handler, "https": refuse_handler, "file": refuse_handler}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver.from_schema(schema, store=store, handlers=handlers)
    return cls(schema, resolver=resolver, format_checker=fmt)


def main(argv):
    if len(argv) != 3:
        print("usage: validate_json_schema.py SCHEMA DOC", file=sys.stderr)
        return 2
    try:
        schema = load(argv[1])
        doc = load(argv[2])
        store = local_store(argv[1])
    except (OSError, ValueError) as e:
        print("validate_json_schema: %s" % e, file=sys.stderr)
        return 2
    try:
        v = make_validator(schema, store)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    except Exception as e:  # unresolvable $ref and the like: not a verdict on the document
        print("validate_json_schema: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 2
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print("%s: /%s: %s" % (argv[2], path, e.message))
    if errors:
        print("%s: %d schema error(s) against %s" % (argv[2], len(errors), argv[1]))
        return 1
    print("%s: valid against %s" % (argv[2], os.path.basename(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
