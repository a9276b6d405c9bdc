#!/usr/bin/env python3
"""Checks an `lpurun --stats-json` file for internal consistency.

usage: check_stats.py STATS.json [COMPILE_REPORT.txt]

Prints one line per check ("NAME: ok" or "NAME: FAIL ...") and exits 1 if any
check fails. With the compile report of `lpuc`, also checks that the measured
cycles and per-unit busy cycles equal the compiler's prediction.
"""
import json
import re
import sys

KEYS = ["model", "target", "precision", "timing_only", "chips", "cycles",
        "predicted_cycles", "instructions", "clock_hz", "latency_us", "host",
        "units", "c2c_links", "critical_path", "sram"]


def close(a, b, rel=1e-7):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def main():
    with open(sys.argv[1]) as f:
        text = f.read()
    s = json.loads(text)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{name}: {'ok' if ok else 'FAIL ' + detail}")

    check("key order", list(s.keys()) == KEYS, str(list(s.keys())))
    check("cycles equal predicted", s["cycles"] == s["predicted_cycles"] > 0,
          f"{s['cycles']} vs {s['predicted_cycles']}")
    cycles = s["cycles"]
    bad = [u for u, v in s["units"].items()
           if not close(v["utilisation"],
                        v["busy_cycles"] / (cycles * v["queues"]))
           or not 0 <= v["utilisation"] <= 1]
    check("utilisation = busy / (cycles * queues)", not bad, str(bad))
    check("units", list(s["units"]) == ["mem", "vxm", "mxm", "sxm", "c2c"],
          str(list(s["units"])))
    lat, host = s["latency_us"], s["host"]
    check("device latency = cycles / clock",
          close(lat["device"], cycles / s["clock_hz"] * 1e6))
    transfers = (host["input_bytes"] > 0) + (host["output_bytes"] > 0)
    want = (transfers * host["overhead_us_per_transfer"] +
            (host["input_bytes"] + host["output_bytes"]) /
            host["bytes_per_second"] * 1e6)
    check("host transfer time", host["transfers"] == transfers and
          close(lat["host_transfer"], want), f"{lat['host_transfer']} vs {want}")
    check("latency with host = device + host",
          close(lat["with_host"], lat["device"] + lat["host_transfer"]))
    sram_ok = len(s["sram"]) == s["chips"]
    for c in s["sram"]:
        kinds = c["weights"] + c["activations"] + c["instructions"] + c["kv_cache"]
        sram_ok &= kinds == c["total"] <= c["capacity_bytes"]
    check("sram per chip: kinds sum to total, within capacity", sram_ok)
    check("c2c links on one chip", s["chips"] != 1 or s["c2c_links"] == [])
    cp = s["critical_path"]
    check("critical path: compute + communication + wait = cycles, units "
          "sum to compute + communication",
          cp["compute"] + cp["communication"] + cp["wait"] == cycles
          and sum(cp["units"].values()) == cp["compute"] + cp["communication"],
          str(cp))

    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            report = f.read()
        pred = int(re.search(r"predicted cycles: (\d+)", report).group(1))
        check("cycles equal the compile report", pred == cycles,
              f"{pred} vs {cycles}")
        busy = {m.group(1): int(m.group(2)) for m in
                re.finditer(r"^  (\w+): (\d+) busy cycles", report, re.M)}
        measured = {u: v["busy_cycles"] for u, v in s["units"].items()}
        check("unit busy cycles equal the compile report", busy == measured,
              f"{busy} vs {measured}")
        path = {m.group(1): int(m.group(2)) for m in re.finditer(
            r" (\w+) (\d+) \([0-9.]+%\)",
            re.search(r"^critical path:(.*)$", report, re.M).group(1))}
        json_path = {u: v for u, v in cp["units"].items() if v}
        if cp["wait"]:
            json_path["wait"] = cp["wait"]
        check("critical path equals the compile report", path == json_path,
              f"{path} vs {json_path}")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
