#!/usr/bin/env python3
"""ONNX node conformance through the whole lpuc chain.

For every case directory (model.onnx + test_data_set_0/) selected by --cases,
compiles with `lpuc` and checks with `lpurun --check`. Inputs that decide
shapes are frozen the way a user would: when lpuc answers that an input must
be frozen ("... freeze it with --freeze NAME=FILE"), the case is compiled again
with that input's test value baked in.

Prints one line per case and a summary "N passed, N failed, N unsupported".
Exit status: 1 if any case failed, or with --require-all if any case did not
pass (unsupported counts as not passing); else 0.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

FREEZE_RE = re.compile(r"--freeze (\S+?)=FILE")
UNSUPPORTED_RE = re.compile(r"unsupported|not supported", re.I)


def input_names(case):
    """Graph input names in order, from the test-data .pb files (name field)."""
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    import onnx  # Debian's python3-onnx

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
    name = os.path.basename(case)
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
            kind = "unsupported" if UNSUPPORTED_RE.search(p.stderr) else "failed"
            return name, kind, "lpuc: " + first
        else:
            return name, "failed", "lpuc: too many inputs to freeze"
        p = subprocess.run([args.lpurun, out, "--check", case], capture_output=True,
                           text=True, timeout=args.timeout)
        if p.returncode != 0:
            lines = (p.stdout + p.stderr).strip().splitlines()
            bad = [l for l in lines if "MISMATCH" in l or "error" in l] or lines[-1:]
            return name, "failed", "lpurun: " + "; ".join(bad)
        cycles = [l for l in p.stdout.splitlines() if l.startswith("cycles:")]
        return name, "passed", cycles[0] if cycles else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lpuc", required=True)
    ap.add_argument("--lpurun", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    ap.add_argument("--cases", default=".*", help="regex on case names (full match)")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--require-all", action="store_true",
                    help="fail unless every selected case passes")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()

    pattern = re.compile(args.cases)
    cases = sorted(os.path.join(args.data, d) for d in os.listdir(args.data)
                   if pattern.fullmatch(d))
    if not cases:
        print(f"no case matches {args.cases!r} in {args.data}")
        return 1
    counts = {"passed": 0, "failed": 0, "unsupported": 0}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, kind, detail in pool.map(lambda c: run_case(args, c), cases):
            counts[kind] += 1
            print(f"{kind.upper():12} {name}: {detail}", flush=True)
    print(f"{counts['passed']} passed, {counts['failed']} failed, "
          f"{counts['unsupported']} unsupported")
    if counts["failed"] or (args.require_all and counts["passed"] != len(cases)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
