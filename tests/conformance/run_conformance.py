#!/usr/bin/env python3
"""ONNX node conformance through the whole lpuc chain.

For every case directory (model.onnx + test_data_set_0/) selected by --cases
(default: the whole node suite), compiles with `lpuc` and checks with
`lpurun --check`. Inputs that decide shapes are frozen the way a user would:
when lpuc answers that an input must be frozen ("... freeze it with --freeze
NAME=FILE"), the case is compiled again with that input's test value baked in.

Each case is classified:
  passed       lpuc compiled it and `lpurun --check` matched the reference;
  unsupported  the case needs something the compiler does not implement:
               an op type (or an op version) missing from `lpuc --list-ops`
               (then lpuc is not run at all), or lpuc rejected it as
               unsupported (an ONNX op, an element type, a dynamic shape);
  failed       anything else: a compile error, a run error, a wrong number.
The supported op set therefore comes from the code (lpuc's registered
conversion patterns), never from a list kept here.

Prints one line per case, the failures with their reasons, the ops that made
cases unsupported, and "N passed, N failed, N unsupported".

Exit status:
  with --expect-file FILE: 1 iff a case listed in FILE (one name per line,
      '#' comments) did not pass -- a regression; other failures are reported
      but allowed. Cases that pass but are not listed are reported as new.
  otherwise: 1 if any case failed, or with --require-all if any case did not
      pass (unsupported counts as not passing); else 0.
--write-expect FILE writes the names of the passing cases (regenerating the
expectation file).
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import onnx  # noqa: E402  (Debian's python3-onnx)

FREEZE_RE = re.compile(r"--freeze (\S+?)=FILE")
UNSUPPORTED_RE = re.compile(r"unsupported|not supported", re.I)
# lpuc's rejections of element types and value kinds: the importer's "graph
# input 'x' is not a tensor" (sequences, optionals) and the lpu dialect's ODS
# type constraints ("operand #0 must be ... tensor of floating-point or
# signless integer values, but got 'tensor<3xui8>'").
TYPE_RE = re.compile(r"is not a tensor|must be [^\n]*tensor of [^\n]*, but got '([^']*)'")
UNSUPPORTED_OP_RE = re.compile(r"unsupported ONNX op '([^']+)' \(opset (\d+)\)")
DEFAULT_DOMAINS = ("", "ai.onnx")


def supported_ops(lpuc):
    """{op type: [since versions]} from `lpuc --list-ops`, or None when this
    lpuc has no such option. Accepted output: one op per line, the op type
    first and its since-versions as the integers on the line (e.g.
    "Add 7 13 14" or "Add: since 7, 13, 14"); blank lines, '#' comments and
    lines whose first word does not start with an upper-case letter are
    skipped."""
    try:
        p = subprocess.run([lpuc, "--list-ops"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    ops = {}
    for line in p.stdout.splitlines():
        words = line.replace(",", " ").replace(":", " ").split()
        if not words or not re.fullmatch(r"[A-Z][A-Za-z0-9_]*", words[0]):
            continue
        versions = [int(v) for v in re.findall(r"\b\d+\b", " ".join(words[1:]))]
        ops.setdefault(words[0], []).extend(versions or [1])
    return ops or None


def model_ops(case):
    """[(op type, domain, opset of that domain)] of the case's main graph."""
    m = onnx.load(os.path.join(case, "model.onnx"), load_external_data=False)
    opsets = {o.domain: o.version for o in m.opset_import}
    default = opsets.get("", opsets.get("ai.onnx", 1))
    out = []
    for n in m.graph.node:
        dom = n.domain if n.domain not in DEFAULT_DOMAINS else ""
        out.append((n.op_type, dom, default if dom == "" else opsets.get(dom, 1)))
    return out


def missing_ops(case, ops):
    """Op types of the case that `ops` (from --list-ops) cannot convert."""
    missing = []
    for op, dom, opset in model_ops(case):
        if dom:
            missing.append(f"{dom}.{op}")
        elif not any(v <= opset for v in ops.get(op, [])):
            missing.append(f"{op} (opset {opset})")
    return sorted(set(missing))


def input_names(case):
    """Graph input names in order, from the test-data .pb files (name field)."""
    data = os.path.join(case, "test_data_set_0")
    names = {}
    k = 0
    while os.path.exists(os.path.join(data, f"input_{k}.pb")):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        names[t.name] = os.path.join(data, f"input_{k}.pb")
        k += 1
    if not all(names):
        m = onnx.load(os.path.join(case, "model.onnx"), load_external_data=False)
        inits = {i.name for i in m.graph.initializer}
        graph_inputs = [i.name for i in m.graph.input if i.name not in inits]
        names = {n: os.path.join(data, f"input_{i}.pb") for i, n in enumerate(graph_inputs)}
    return names


def run_case(args, case):
    """(name, kind, detail, unsupported ops)."""
    name = os.path.basename(case)
    try:
        if args.ops is not None:
            missing = missing_ops(case, args.ops)
            if missing:
                return name, "unsupported", "not in lpuc --list-ops: " + ", ".join(missing), \
                    [m.split(" ")[0] for m in missing]
        return compile_and_check(args, case, name)
    except subprocess.TimeoutExpired as e:
        return name, "failed", f"timeout after {e.timeout} s: {os.path.basename(e.cmd[0])}", []
    except Exception as e:  # a broken case must not stop the suite
        return name, "failed", f"runner: {type(e).__name__}: {e}", []


def compile_and_check(args, case, name):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, name + ".lpubin")
        freeze = []
        for _ in range(8):
            cmd = [args.lpuc, os.path.join(case, "model.onnx"), "-o", out]
            cmd += [f"--precision={args.precision}"]
            for n, f in freeze:
                cmd += ["--freeze", f"{n}={f}"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            if p.returncode == 0:
                break
            m = FREEZE_RE.search(p.stderr)
            names = input_names(case)
            if m and m.group(1) in names and m.group(1) not in [n for n, _ in freeze]:
                freeze.append((m.group(1), names[m.group(1)]))
                continue
            msg = p.stderr.strip().splitlines()
            first = msg[0] if msg else f"exit {p.returncode}"
            if UNSUPPORTED_RE.search(p.stderr):
                ops = sorted({m.group(1) for m in UNSUPPORTED_OP_RE.finditer(p.stderr)})
                return name, "unsupported", first, ops
            t = TYPE_RE.search(p.stderr)
            if t:
                what = ("type " + re.sub(r"^tensor<(?:\d+x)*", "", t.group(1)).rstrip(">")
                        if t.group(1) else "non-tensor value")
                return name, "unsupported", first, [what]
            return name, "failed", first, []
        else:
            return name, "failed", "lpuc: too many inputs to freeze", []
        p = subprocess.run([args.lpurun, out, "--check", case], capture_output=True,
                           text=True, timeout=args.timeout)
        if p.returncode != 0:
            lines = (p.stdout + p.stderr).strip().splitlines()
            bad = [l for l in lines if "MISMATCH" in l or "error" in l] or lines[-1:]
            return name, "failed", "lpurun: " + "; ".join(bad), []
        cycles = [l for l in p.stdout.splitlines() if l.startswith("cycles:")]
        return name, "passed", cycles[0] if cycles else "", []


def read_expect(path):
    with open(path) as f:
        return {l.split("#")[0].strip() for l in f if l.split("#")[0].strip()}


def write_expect(path, passed, args, counts):
    with open(path, "w") as f:
        f.write("# ONNX node conformance cases that must pass (fp32); ctest conformance-all.\n"
                f"# {counts['passed']} passed, {counts['failed']} failed, "
                f"{counts['unsupported']} unsupported of {sum(counts.values())} cases.\n"
                "# Regenerate (from the repository root, after a full build):\n"
                "#   /usr/bin/python3 tests/conformance/run_conformance.py \\\n"
                "#     --lpuc BUILD/bin/lpuc --lpurun BUILD/bin/lpurun \\\n"
                "#     --write-expect tests/conformance/expected_pass.txt\n")
        for n in sorted(passed):
            f.write(n + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lpuc", required=True)
    ap.add_argument("--lpurun", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    ap.add_argument("--cases", default=".*", help="regex on case names (full match)")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--require-all", action="store_true",
                    help="fail unless every selected case passes")
    ap.add_argument("--expect-file", help="cases that must pass; exit 1 only if one does not")
    ap.add_argument("--write-expect", help="write the passing cases to this file")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120, help="seconds per lpuc/lpurun run")
    ap.add_argument("--quiet", action="store_true", help="no per-case lines for passed and "
                    "unsupported cases")
    args = ap.parse_args()

    start = time.monotonic()
    args.ops = supported_ops(args.lpuc)
    if args.ops is None:
        print("lpuc has no --list-ops: every case is compiled and lpuc's 'unsupported' "
              "errors decide")
    else:
        print(f"lpuc --list-ops: {len(args.ops)} op types")
    pattern = re.compile(args.cases)
    cases = sorted(os.path.join(args.data, d) for d in os.listdir(args.data)
                   if pattern.fullmatch(d))
    if not cases:
        print(f"no case matches {args.cases!r} in {args.data}")
        return 1
    expected = read_expect(args.expect_file) if args.expect_file else None
    counts = {"passed": 0, "failed": 0, "unsupported": 0}
    results = {}
    blockers = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, kind, detail, ops in pool.map(lambda c: run_case(args, c), cases):
            counts[kind] += 1
            results[name] = (kind, detail)
            blockers.update(ops)
            if not args.quiet or kind == "failed":
                print(f"{kind.upper():12} {name}: {detail}", flush=True)

    failures = [(n, d) for n, (k, d) in sorted(results.items()) if k == "failed"]
    if failures:
        print(f"\n{len(failures)} failures:")
        for n, d in failures:
            print(f"  {n}: {d}")
    if blockers:
        print("\nops that made cases unsupported (cases): " +
              ", ".join(f"{op} {c}" for op, c in blockers.most_common()))
    status = 0
    if expected is not None:
        unknown = sorted(n for n in expected if pattern.fullmatch(n) and n not in results)
        regressed = sorted(n for n in expected & set(results) if results[n][0] != "passed")
        new = sorted(n for n, (k, _) in results.items() if k == "passed" and n not in expected)
        for n in unknown:
            print(f"EXPECTED BUT NOT RUN {n}")
        for n in regressed:
            print(f"REGRESSION   {n}: {results[n][0]}: {results[n][1]}")
        if new:
            print(f"\n{len(new)} cases pass that {args.expect_file} does not list "
                  f"(regenerate it with --write-expect): {' '.join(new)}")
        print(f"\n{len(expected)} expected to pass: {len(regressed)} regressed, "
              f"{len(unknown)} not run")
        status = 1 if regressed or unknown else 0
    elif counts["failed"] or (args.require_all and counts["passed"] != len(cases)):
        status = 1
    if args.write_expect:
        write_expect(args.write_expect, [n for n, (k, _) in results.items() if k == "passed"],
                     args, counts)
        print(f"wrote {args.write_expect}")
    print(f"{counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['unsupported']} unsupported of {len(cases)} cases "
          f"({time.monotonic() - start:.1f} s, {args.jobs} jobs)")
    return status


if __name__ == "__main__":
    sys.exit(main())
