#!/usr/bin/env python3
"""GPT-2 class decoder for lpuc, prefill and decode, in plain torch.

Learned positional embedding, pre-LayerNorm blocks, GELU (tanh form, written
out as GPT-2 does), causal softmax attention with the mask taken from a
lower-triangular buffer (Slice + Where, as HF GPT-2 exports), tied LM head.

Writes two ONNX test cases (see examples/common/onnx_case.py):
  OUT/prefill: input_ids[B,T] -> logits[B,T,V], present_{key,value}_L[B,H,T,Dh]
  OUT/decode:  input_ids[B,1], past_{key,value}_L[B,H,T-1,Dh]
               -> logits[B,1,V], present_{key,value}_L[B,H,T,Dh]
The decode case continues the prefill of the first T-1 tokens; the generator
checks that its logits equal the full prefill's last-position logits.

  /usr/bin/python3 examples/gpt2/generate.py                 # small, committed
  /usr/bin/python3 examples/gpt2/generate.py --dynamic       # + dynamic axes
  /usr/bin/python3 examples/gpt2/generate.py --config gpt2-55m --out DIR
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import onnx_case  # noqa: E402

CONFIGS = {
    # name: layers, d_model, heads, vocab, seq (context = seq), batch
    "small": dict(n_layer=2, d=64, heads=4, vocab=256, seq=8, batch=1),
    "gpt2-55m": dict(n_layer=6, d=768, heads=12, vocab=8192, seq=64, batch=1),
    "gpt2-1l": dict(n_layer=1, d=768, heads=12, vocab=8192, seq=64, batch=1),
    # GPT-2 small's shape (163M parameters as exported: the tied head is
    # stored twice): more than one lpu-v1 chip in fp16 (multi-chip issue).
    "gpt2-small": dict(n_layer=12, d=768, heads=12, vocab=50257, seq=64, batch=1),
    "gpt2-small-1l": dict(n_layer=1, d=768, heads=12, vocab=50257, seq=64, batch=1),
}


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Attention(torch.nn.Module):
    def __init__(self, d, heads, n_ctx):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.c_proj = torch.nn.Linear(d, d)
        self.register_buffer("bias", torch.tril(torch.ones(n_ctx, n_ctx, dtype=torch.bool)))

    def split_heads(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.dh).transpose(1, 2)

    def forward(self, x, past_k=None, past_v=None):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        total = k.shape[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        causal = self.bias[total - t:total, :total]
        scores = torch.where(causal, scores, torch.tensor(-1e4, dtype=scores.dtype))
        att = torch.softmax(scores, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        return self.c_proj(y), k, v


class Block(torch.nn.Module):
    def __init__(self, d, heads, n_ctx):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, heads, n_ctx)
        self.ln_2 = torch.nn.LayerNorm(d, eps=1e-5)
        self.c_fc = torch.nn.Linear(d, 4 * d)
        self.c_proj = torch.nn.Linear(4 * d, d)

    def forward(self, x, past_k=None, past_v=None):
        a, k, v = self.attn(self.ln_1(x), past_k, past_v)
        x = x + a
        x = x + self.c_proj(gelu_tanh(self.c_fc(self.ln_2(x))))
        return x, k, v


class GPT2(torch.nn.Module):
    def __init__(self, n_layer, d, heads, vocab, seq, **_):
        super().__init__()
        self.n_layer = n_layer
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Embedding(seq, d)
        with torch.no_grad():  # GPT-2's initialisation scale
            self.wte.weight.normal_(0.0, 0.02 * math.sqrt(768 / d))
            self.wpe.weight.normal_(0.0, 0.01 * math.sqrt(768 / d))
        self.h = torch.nn.ModuleList(Block(d, heads, seq) for _ in range(n_layer))
        self.ln_f = torch.nn.LayerNorm(d, eps=1e-5)

    def run(self, input_ids, pasts):
        past_len = pasts[0].shape[2] if pasts else 0
        t = input_ids.shape[1]
        pos = torch.arange(past_len, past_len + t, dtype=torch.long)
        x = self.wte(input_ids) + self.wpe(pos)
        presents = []
        for i, block in enumerate(self.h):
            pk, pv = (pasts[2 * i], pasts[2 * i + 1]) if pasts else (None, None)
            x, k, v = block(x, pk, pv)
            presents += [k, v]
        logits = F.linear(self.ln_f(x), self.wte.weight)  # tied LM head
        return (logits, *presents)


class Prefill(torch.nn.Module):
    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids):
        return self.gpt.run(input_ids, [])


class Decode(torch.nn.Module):
    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, input_ids, *pasts):
        return self.gpt.run(input_ids, list(pasts))


def kv_names(prefix, n_layer):
    return [f"{prefix}_{kind}_{i}" for i in range(n_layer) for kind in ("key", "value")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=sorted(CONFIGS), default="small")
    ap.add_argument("--out", help="output directory (default: next to this script; "
                    "gpt2-55m: examples/gpt2/gpt2-55m, git-ignored)")
    ap.add_argument("--opset", type=int, default=17, choices=range(13, 18))
    ap.add_argument("--dynamic", action="store_true",
                    help="also write prefill-dynamic/ and decode-dynamic/ with dynamic "
                    "batch and sequence axes")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    here = os.path.dirname(os.path.abspath(__file__))
    out = args.out or (here if args.config == "small" else os.path.join(here, args.config))

    onnx_case.seed(args.seed)
    gpt = GPT2(**cfg).eval()
    onnx_case.perturb_norms(gpt, args.seed)
    b, t, n = cfg["batch"], cfg["seq"], cfg["n_layer"]
    ids = torch.randint(0, cfg["vocab"], (b, t), dtype=torch.long)
    prefill, decode = Prefill(gpt).eval(), Decode(gpt).eval()
    with torch.no_grad():
        full = prefill(ids)
        head = prefill(ids[:, :t - 1])
        step = decode(ids[:, t - 1:], *head[1:])
    onnx_case.check_close("decode logits == prefill logits at the last position",
                          step[0][:, -1], full[0][:, -1])
    onnx_case.check_close("decode present == prefill present", step[1], full[1])

    variants = [("", None)]
    if args.dynamic:
        variants.append(("-dynamic", True))
    for suffix, dynamic in variants:
        axes = None
        if dynamic:
            axes = {"input_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
            axes.update({name: {0: "batch", 2: "seq"} for name in kv_names("present", n)})
        d = os.path.join(out, "prefill" + suffix)
        model, _ = onnx_case.export_case(prefill, (ids,), ["input_ids"],
                                         ["logits"] + kv_names("present", n), d, args.opset, axes)
        onnx_case.report(d, model)
        if dynamic:
            axes = {"input_ids": {0: "batch"}, "logits": {0: "batch"}}
            axes.update({name: {0: "batch", 2: "past_seq"} for name in kv_names("past", n)})
            axes.update({name: {0: "batch", 2: "total_seq"} for name in kv_names("present", n)})
        d = os.path.join(out, "decode" + suffix)
        model, _ = onnx_case.export_case(decode, (ids[:, t - 1:], *head[1:]),
                                         ["input_ids"] + kv_names("past", n),
                                         ["logits"] + kv_names("present", n), d, args.opset, axes)
        onnx_case.report(d, model)


if __name__ == "__main__":
    main()
