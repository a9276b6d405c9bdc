# Prints a module with a 64x64 f32 weight (8 KiB once narrowed to fp16) used
# by an lpu.matmul, and a 2x2 one (below lpu-precision's weight-dir size).
import struct

n = 64
vals = [((i * 37) % 101 - 50) / 7.0 for i in range(n * n)]
big = "0x04000000" + struct.pack("<%df" % len(vals), *vals).hex().upper()
small = "0x04000000" + struct.pack("<4f", 1.0, -2.0, 0.5, 3.0).hex().upper()
print(f"""func.func @main(%x: tensor<2x{n}xf32>) -> tensor<2x{n}xf32> {{
  %w = arith.constant dense_resource<big> : tensor<{n}x{n}xf32>
  %s = arith.constant dense_resource<small> : tensor<2x2xf32>
  %0 = lpu.matmul %x, %w : tensor<2x{n}xf32>, tensor<{n}x{n}xf32> -> tensor<2x{n}xf32>
  %1 = lpu.matmul %s, %0 : tensor<2x2xf32>, tensor<2x{n}xf32> -> tensor<2x{n}xf32>
  return %1 : tensor<2x{n}xf32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      big: "{big}",
      small: "{small}"
    }}
  }}
#-}}""")
