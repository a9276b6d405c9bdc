#!/usr/bin/env python3
"""Emulator (lpurun) against onnxruntime-node on the same model and inputs.

  /usr/bin/python3 bench/emulator_vs_ort.py [--model gpt2-55m|gpt2-55m-decode|mlp|CASE_DIR]
      [--build BUILD] [--threads N] [--repeat R] [--precision fp16]

gpt2-55m (the default) is examples/gpt2/generate.py --config gpt2-55m (6
layers, d=768, 12 heads, vocab 8192, seq 64), generated once into
BUILD/bench/gpt2-55m (prefill; gpt2-55m-decode: the decode step); mlp is
examples/mlp. onnxruntime-node is installed once into BUILD/bench/node_modules
with `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` (the npm
registry only; the package carries its CPU binaries).

Steps: lpuc MODEL --precision P; lpurun BINARY --check CASE (R times, with
--threads N when lpurun has it); node bench/ort_run.js CASE --threads N
(intra-op threads N, sequential execution, R timed runs after a first one).
Prints the wall times, the ratios emulator / ORT and the emulated cycles per
host second. If lpuc rejects the model, prints the ops it rejected and exits 2.

Both processes run on the same host CPUs (--cpus; by default the last N of
the CPUs this script may use, N = --threads): on this shared VM the two
virtual CPUs are at times not alike (on 2026-12-05, for a while, lpurun's
run took 35% longer on CPU 0 than on CPU 1, run after run; an hour later
they were alike), and unpinned runs then measure where the scheduler put
them. --cpus none leaves placement to the OS.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_ort(bench):
    if os.path.exists(os.path.join(bench, "node_modules", "onnxruntime-node", "package.json")):
        return
    print("installing onnxruntime-node into", bench, flush=True)
    pkg = os.path.join(bench, "package.json")
    if not os.path.exists(pkg):
        with open(pkg, "w") as f:
            f.write('{"private": true}\n')
    env = dict(os.environ, ONNXRUNTIME_NODE_INSTALL="skip")
    p = run(["npm", "install", "--no-audit", "--no-fund", "onnxruntime-node"], cwd=bench, env=env)
    if p.returncode != 0:
        sys.exit("npm install onnxruntime-node failed:\n" + p.stdout + p.stderr)


def ensure_model(args, bench):
    if args.model == "mlp":
        return os.path.join(ROOT, "examples", "mlp")
    if args.model in ("gpt2-55m", "gpt2-55m-decode"):
        out = os.path.join(bench, "gpt2-55m")
        case = os.path.join(out, "decode" if args.model.endswith("decode") else "prefill")
        if not os.path.exists(os.path.join(case, "test_data_set_0", "output_0.pb")):
            print("generating the GPT-2-class 55M model into", out, flush=True)
            t0 = time.monotonic()
            p = run(["/usr/bin/python3", os.path.join(ROOT, "examples", "gpt2", "generate.py"),
                     "--config", "gpt2-55m", "--out", out])
            if p.returncode != 0:
                sys.exit("generate.py failed:\n" + p.stderr)
            print(f"  generated in {time.monotonic() - t0:.1f} s", flush=True)
        return case
    if os.path.isdir(args.model):
        return args.model
    sys.exit(f"unknown model {args.model!r}")


def pin_to(cpus):
    """A preexec_fn that pins the child to `cpus` (None: no pinning)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="gpt2-55m")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--precision", default="fp16")
    ap.add_argument("--lpuc", help="lpuc to compile with (default BUILD/bin/lpuc)")
    ap.add_argument("--lpuc-arg", action="append", default=[],
                    help="extra lpuc argument (repeatable), e.g. --lpuc-arg=--fuse=false")
    ap.add_argument("--binary", help="run this .lpubin instead of compiling the model")
    ap.add_argument("--lpurun", help="lpurun to run (default BUILD/bin/lpurun); BUILD still "
                    "holds bench/ (models, node_modules)")
    ap.add_argument("--cpus", default="auto",
                    help="host CPUs for lpurun and node, comma-separated; 'auto': the last "
                    "--threads of this process's CPUs; 'none': no pinning")
    args = ap.parse_args()
    if args.cpus == "none":
        cpus = None
    elif args.cpus == "auto":
        mine = sorted(os.sched_getaffinity(0))
        cpus = set(mine[-args.threads:]) if len(mine) > args.threads else None
    else:
        cpus = {int(c) for c in args.cpus.split(",")}
    pin = pin_to(cpus)
    lpuc = args.lpuc or os.path.join(args.build, "bin", "lpuc")
    lpurun = args.lpurun or os.path.join(args.build, "bin", "lpurun")
    for tool in ([lpurun] if args.binary else [lpuc, lpurun]):
        if not os.access(tool, os.X_OK):
            sys.exit(f"missing {tool}: build it (ninja -C {args.build} lpuc lpurun)")
    bench = os.path.join(args.build, "bench")
    os.makedirs(bench, exist_ok=True)
    ensure_ort(bench)
    case = ensure_model(args, bench)
    name = os.path.basename(os.path.normpath(case))
    binary = args.binary or os.path.join(bench, f"{name}-{args.precision}.lpubin")

    t0 = time.monotonic()
    p = subprocess.CompletedProcess([], 0, "", "")
    if not args.binary:
        p = run([lpuc, os.path.join(case, "model.onnx"), "-o", binary,
                 f"--precision={args.precision}"] + args.lpuc_arg)
    compile_s = time.monotonic() - t0
    if p.returncode != 0:
        rejected = sorted(set(re.findall(r"unsupported ONNX op '([^']+)' \(opset \d+\)", p.stderr)))
        print(f"lpuc rejected {case}/model.onnx (exit {p.returncode}, {compile_s:.1f} s)")
        if rejected:
            print("  ops lpuc rejected: " + ", ".join(rejected))
        else:
            print("  " + "\n  ".join(p.stderr.strip().splitlines()[:10]))
        return 2

    help_text = run([lpurun, "--help"]).stdout
    emu_cmd = [lpurun, binary, "--check", case]
    threads_note = ""
    if "--threads" in help_text:
        emu_cmd += ["--threads", str(args.threads)]
    else:
        threads_note = " (this lpurun has no --threads: one host thread)"
    if "--host-time" in help_text:
        emu_cmd.append("--host-time")
    emu_times, run_times, cpu_times, load_times, cycles, emu_out = [], [], [], [], None, ""
    check_ok = True
    for _ in range(args.repeat):
        t0 = time.monotonic()
        p = run(emu_cmd, preexec_fn=pin)
        emu_times.append(time.monotonic() - t0)
        emu_out = p.stdout + p.stderr
        # Exit 1 with MISMATCH lines is a failed check (reported below, the
        # timing stands); anything else is a failure of the tool.
        if p.returncode != 0 and not (p.returncode == 1 and "MISMATCH" in p.stdout):
            print("lpurun failed:\n" + emu_out)
            return 1
        check_ok = check_ok and p.returncode == 0
        m = re.search(r"^cycles: (\d+)", p.stdout, re.M)
        cycles = int(m.group(1)) if m else None
        m = re.search(r"^host time: load ([0-9.]+) ms, run ([0-9.]+) ms", p.stdout, re.M)
        if m:
            load_times.append(float(m.group(1)) / 1e3)
            run_times.append(float(m.group(2)) / 1e3)
        m = re.search(r"^host time: .*\(run CPU ([0-9.]+) ms\)", p.stdout, re.M)
        if m:
            cpu_times.append(float(m.group(1)) / 1e3)

    ort_cmd = ["node", os.path.join(ROOT, "bench", "ort_run.js"), case, "--threads",
               str(args.threads), "--repeat", str(args.repeat + 1), "--ort", bench,
               "--rtol", "1e-3", "--atol", "1e-4"]
    t0 = time.monotonic()
    p = run(ort_cmd, preexec_fn=pin)
    ort_process_s = time.monotonic() - t0
    if p.returncode not in (0, 1):
        print("onnxruntime-node failed:\n" + p.stdout + p.stderr)
        return 1
    ort = json.loads(p.stdout.strip().splitlines()[-1])
    ort_check = "ok" if p.returncode == 0 else "MISMATCH against the torch reference"

    emu_s = median(emu_times)
    ort_run_s = ort["median_ms"] / 1e3
    print(f"model: {case} ({args.precision} binary, {args.threads} host thread(s){threads_note}; "
          + (f"host CPUs {','.join(map(str, sorted(cpus)))})" if cpus else "not pinned)"))
    print(f"lpuc compile: {compile_s:.2f} s" if not args.binary else f"binary: {binary}")
    checks = [l for l in emu_out.splitlines() if l.startswith("output ")]
    print("lpurun --check: " + ("; ".join(checks) if checks else "ok"))
    print(f"ORT check (rtol 1e-3): {ort_check}")
    print(f"lpurun wall (process: load, run, check; median of {args.repeat}): {emu_s * 1e3:.2f} ms")
    print(f"ORT session.run (median of {args.repeat} after a warm-up): {ort_run_s * 1e3:.3f} ms; "
          f"session create {ort['load_ms']:.1f} ms; first run {ort['first_ms']:.3f} ms; "
          f"node process {ort_process_s * 1e3:.0f} ms")
    print(f"ratio emulator / ORT run: {emu_s / ort_run_s:.2f}x")
    run_s = median(run_times) if run_times else None
    if run_s is not None:
        print(f"lpurun emulation only (Session::run, median): {run_s * 1e3:.2f} ms; "
              f"binary load {median(load_times) * 1e3:.2f} ms")
        print(f"ratio emulation / ORT run: {run_s / ort_run_s:.2f}x (goal <= 3x); "
              f"runs: {', '.join(f'{x * 1e3:.1f}' for x in run_times)} ms")
    cpu_s = median(cpu_times) if cpu_times else None
    if cpu_s is not None:
        print(f"lpurun emulation CPU time (median): {cpu_s * 1e3:.2f} ms; "
              f"ratio to ORT run: {cpu_s / ort_run_s:.2f}x")
    print(f"ratio emulator / ORT (create + first run): "
          f"{emu_s * 1e3 / (ort['load_ms'] + ort['first_ms']):.2f}x")
    if cycles is not None:
        per_s = cycles / (run_s if run_s else emu_s)
        print(f"emulated cycles: {cycles}; cycles per host second: {per_s:.4g}"
              + (" (emulation only)" if run_s else " (whole process)"))
    print(json.dumps({"model": case, "precision": args.precision, "threads": args.threads,
                      "cpus": sorted(cpus) if cpus else None,
                      "compile_s": compile_s, "emulator_s": emu_s, "ort_run_s": ort_run_s,
                      "ort_create_s": ort["load_ms"] / 1e3, "ort_first_s": ort["first_ms"] / 1e3,
                      "ratio_run": emu_s / ort_run_s, "emulation_s": run_s,
                      "ratio_emulation": run_s / ort_run_s if run_s else None,
                      "emulation_cpu_s": cpu_s,
                      "check": "ok" if check_ok else "MISMATCH", "cycles": cycles,
                      "cycles_per_host_s": (cycles / (run_s or emu_s)) if cycles else None}))
    return 0 if check_ok else 1


if __name__ == "__main__":
    sys.exit(main())
