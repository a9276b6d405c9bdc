#!/usr/bin/env python3
"""Llama class decoder for lpuc, prefill and decode, in plain torch.

RMSNorm (written out as HF Llama does: pow, mean, rsqrt, mul), rotary
position embedding computed in the graph (inv_freq x positions -> Cos/Sin,
rotate_half with Slice/Neg/Concat), SwiGLU MLP (SiLU = x * sigmoid(x)),
grouped-query attention (fewer key/value heads, repeated with
Unsqueeze/Expand/Reshape), additive causal mask (full(min).triu(1) -> Trilu),
untied LM head, no biases.

Writes two ONNX test cases (see examples/common/onnx_case.py):
  OUT/prefill: input_ids[B,T] -> logits[B,T,V], present_{key,value}_L[B,Hkv,T,Dh]
  OUT/decode:  input_ids[B,1], past_{key,value}_L[B,Hkv,T-1,Dh]
               -> logits[B,1,V], present_{key,value}_L[B,Hkv,T,Dh]
The cache holds keys after RoPE and before the GQA repeat, as HF Llama.

  /usr/bin/python3 examples/llama/generate.py [--dynamic] [--opset N] [--out DIR]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import onnx_case  # noqa: E402

CONFIGS = {
    "small": dict(n_layer=2, d=64, heads=4, kv_heads=2, ffn=176, vocab=256, seq=8, batch=1),
}


class RMSNorm(torch.nn.Module):
    is_norm = True

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(torch.nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.dh = heads, kv_heads, d // heads
        self.q_proj = torch.nn.Linear(d, heads * self.dh, bias=False)
        self.k_proj = torch.nn.Linear(d, kv_heads * self.dh, bias=False)
        self.v_proj = torch.nn.Linear(d, kv_heads * self.dh, bias=False)
        self.o_proj = torch.nn.Linear(heads * self.dh, d, bias=False)

    def repeat_kv(self, x):
        b, h, t, dh = x.shape
        rep = self.heads // self.kv_heads
        return x[:, :, None, :, :].expand(b, h, rep, t, dh).reshape(b, h * rep, t, dh)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.dh).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, self.repeat_kv(k).transpose(2, 3)) / (self.dh ** 0.5)
        att = torch.softmax(scores + mask, dim=-1)
        y = torch.matmul(att, self.repeat_kv(v)).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(y), k, v


class Layer(torch.nn.Module):
    def __init__(self, d, heads, kv_heads, ffn):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, heads, kv_heads)
        self.post_attention_layernorm = RMSNorm(d)
        self.gate_proj = torch.nn.Linear(d, ffn, bias=False)
        self.up_proj = torch.nn.Linear(d, ffn, bias=False)
        self.down_proj = torch.nn.Linear(ffn, d, bias=False)

    def forward(self, x, cos, sin, mask, past_k=None, past_v=None):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + a
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(torch.nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))
        return x, k, v


class Llama(torch.nn.Module):
    def __init__(self, n_layer, d, heads, kv_heads, ffn, vocab, seq, theta=10000.0, **_):
        super().__init__()
        dh = d // heads
        self.embed_tokens = torch.nn.Embedding(vocab, d)
        self.layers = torch.nn.ModuleList(Layer(d, heads, kv_heads, ffn) for _ in range(n_layer))
        self.norm = RMSNorm(d)
        self.lm_head = torch.nn.Linear(d, vocab, bias=False)
        inv_freq = 1.0 / (theta ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
        self.register_buffer("inv_freq", inv_freq)

    def run(self, input_ids, pasts):
        b, t = input_ids.shape
        past_len = pasts[0].shape[2] if pasts else 0
        positions = torch.arange(past_len, past_len + t, dtype=torch.long)
        freqs = positions[:, None].float() * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)
        if pasts:
            mask = torch.cat([torch.zeros(t, past_len), mask], dim=-1)
        x = self.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            pk, pv = (pasts[2 * i], pasts[2 * i + 1]) if pasts else (None, None)
            x, k, v = layer(x, cos, sin, mask, pk, pv)
            presents += [k, v]
        return (self.lm_head(self.norm(x)), *presents)


class Prefill(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m.run(input_ids, [])


class Decode(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, *pasts):
        return self.m.run(input_ids, list(pasts))


def kv_names(prefix, n_layer):
    return [f"{prefix}_{kind}_{i}" for i in range(n_layer) for kind in ("key", "value")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=sorted(CONFIGS), default="small")
    ap.add_argument("--out", help="output directory (default: next to this script)")
    ap.add_argument("--opset", type=int, default=14, choices=range(14, 18),
                    help="14..17 (Trilu needs 14)")
    ap.add_argument("--dynamic", action="store_true",
                    help="also write prefill-dynamic/ and decode-dynamic/")
    ap.add_argument("--seed", type=int, default=2027)
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    out = args.out or os.path.dirname(os.path.abspath(__file__))

    onnx_case.seed(args.seed)
    m = Llama(**cfg).eval()
    onnx_case.perturb_norms(m, args.seed)
    b, t, n = cfg["batch"], cfg["seq"], cfg["n_layer"]
    ids = torch.randint(0, cfg["vocab"], (b, t), dtype=torch.long)
    prefill, decode = Prefill(m).eval(), Decode(m).eval()
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
