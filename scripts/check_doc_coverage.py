#!/usr/bin/env python3
"""Fails when a public symbol of the libraries has no DocC abstract.

Reads the detailed coverage table that
`swift package generate-documentation ... --experimental-documentation-coverage
--coverage-summary-level detailed` prints (a file, or standard input), and lists every symbol
whose "Abstract?" column is false, except what the standard library gives a type and documents
itself: the synthesised conformances (Equatable's `!=`, Hashable, Codable, RawRepresentable,
Error's `localizedDescription`), for an OptionSet the SetAlgebra members, and the members
Hummingbird's RequestContext gives the server's context. A member that
implements a protocol requirement of this package shows the requirement's abstract, so it passes.

    scripts/check_doc_coverage.py docc.log
"""
import re
import sys
from collections import defaultdict

INHERITED = {"!=(_:_:)", "==(_:_:)", "localizedDescription", "hashValue", "hash(into:)", "init(from:)",
             "encode(to:)", "init(rawValue:)", "rawValue"}
SET_ALGEBRA = {"insert(_:)", "remove(_:)", "update(with:)", "union(_:)", "intersection(_:)",
               "symmetricDifference(_:)", "formUnion(_:)", "formIntersection(_:)",
               "formSymmetricDifference(_:)", "subtract(_:)", "subtracting(_:)", "isSubset(of:)",
               "isSuperset(of:)", "isStrictSubset(of:)", "isStrictSuperset(of:)", "isDisjoint(with:)",
               "contains(_:)", "isEmpty", "init(arrayLiteral:)", "init(_:)", "init()"}
SKIPPED_KINDS = ("CollectionGroup", "Extended ")
# Members another package's protocol gives a type here, documented there: Hummingbird's
# RequestContext defaults on the server's context.
OTHER_PACKAGES = {"LeNetServer/ServerContext/" + name
                  for name in ("endpointPath", "id", "logger", "parameters", "requestDecoder", "responseEncoder")}


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    rows = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) != 8 or not fields[7].startswith("doc://"):
            continue
        rows.append((fields[0], fields[1], fields[2] == "true", fields[7]))
    if not rows:
        print("check_doc_coverage: no coverage table found (was --coverage-summary-level detailed given?)")
        return 1
    # Parents that are option sets: they have SetAlgebra's members.
    children = defaultdict(set)
    for _, _, _, path in rows:
        parent, _, leaf = path.rpartition("/")
        children[parent].add(re.sub(r"-[0-9a-z]{4,6}$", "", leaf))
    option_sets = {p for p, names in children.items() if "formUnion(_:)" in names}
    missing = []
    for _, kind, has_abstract, path in rows:
        if has_abstract or kind.startswith(SKIPPED_KINDS):
            continue
        parent, _, leaf = path.rpartition("/")
        leaf = re.sub(r"-[0-9a-z]{4,6}$", "", leaf)
        symbol = path.split("/documentation/", 1)[-1]
        if leaf in INHERITED and kind != "Enumeration Case":
            continue
        if parent in option_sets and leaf in SET_ALGEBRA:
            continue
        if symbol in OTHER_PACKAGES:
            continue
        missing.append(f"{kind}: {symbol}")
    for entry in sorted(set(missing)):
        print("no abstract:", entry)
    print(f"check_doc_coverage: {len(rows)} symbols, {len(set(missing))} without an abstract")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
