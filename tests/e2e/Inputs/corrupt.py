"""corrupt.py IN OUT MODE: truncate (keep the first half) or flip (a byte in the last segment)."""
import sys

data = bytearray(open(sys.argv[1], "rb").read())
if sys.argv[3] == "truncate":
    data = data[: len(data) // 2]
else:
    data[-100] ^= 0x5A
open(sys.argv[2], "wb").write(bytes(data))
