#!/usr/bin/env python3
"""BERT class encoder for lpuc, in plain torch.

Two inputs, input_ids[B,T] and attention_mask[B,T] (int64, 1 = token,
0 = padding; the reference batch pads its second sequence), word + position +
token-type embeddings, post-LayerNorm blocks, GELU in its erf form, the
additive padding mask of HF BERT ((1 - mask) * finfo.min, broadcast over heads
and queries), and the pooler (first token -> Linear -> Tanh).

Writes one ONNX test case (see examples/common/onnx_case.py):
  OUT/encoder: input_ids, attention_mask -> last_hidden_state[B,T,D], pooler_output[B,D]
At the default opset 14 LayerNorm is exported decomposed (ReduceMean, Sub,
Pow, Sqrt, Div, Mul, Add); --opset 17 gives LayerNormalization nodes.

  /usr/bin/python3 examples/bert/generate.py [--dynamic] [--opset N] [--out DIR]
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import onnx_case  # noqa: E402

CONFIGS = {
    "small": dict(n_layer=2, d=64, heads=4, ffn=256, vocab=256, seq=8, batch=2),
}


class Layer(torch.nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.query = torch.nn.Linear(d, d)
        self.key = torch.nn.Linear(d, d)
        self.value = torch.nn.Linear(d, d)
        self.attn_out = torch.nn.Linear(d, d)
        self.attn_norm = torch.nn.LayerNorm(d, eps=1e-12)
        self.intermediate = torch.nn.Linear(d, ffn)
        self.output = torch.nn.Linear(ffn, d)
        self.out_norm = torch.nn.LayerNorm(d, eps=1e-12)

    def heads_first(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.dh).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        b, t, d = x.shape
        q, k, v = self.heads_first(self.query(x)), self.heads_first(self.key(x)), \
            self.heads_first(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        ctx = ctx.permute(0, 2, 1, 3).reshape(b, t, d)
        x = self.attn_norm(self.attn_out(ctx) + x)
        h = torch.nn.functional.gelu(self.intermediate(x))  # erf form
        return self.out_norm(self.output(h) + x)


class Bert(torch.nn.Module):
    def __init__(self, n_layer, d, heads, ffn, vocab, seq, **_):
        super().__init__()
        self.word_embeddings = torch.nn.Embedding(vocab, d)
        self.position_embeddings = torch.nn.Embedding(seq, d)
        self.token_type_embeddings = torch.nn.Embedding(2, d)
        self.embed_norm = torch.nn.LayerNorm(d, eps=1e-12)
        self.layers = torch.nn.ModuleList(Layer(d, heads, ffn) for _ in range(n_layer))
        self.pooler = torch.nn.Linear(d, d)
        self.register_buffer("position_ids", torch.arange(seq)[None, :])

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        token_type = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type) \
            + self.position_embeddings(self.position_ids[:, :t])
        x = self.embed_norm(x)
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask = (1.0 - mask) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, mask)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", choices=sorted(CONFIGS), default="small")
    ap.add_argument("--out", help="output directory (default: next to this script)")
    ap.add_argument("--opset", type=int, default=14, choices=range(13, 18))
    ap.add_argument("--dynamic", action="store_true", help="also write encoder-dynamic/")
    ap.add_argument("--seed", type=int, default=2028)
    args = ap.parse_args()
    cfg = CONFIGS[args.config]
    out = args.out or os.path.dirname(os.path.abspath(__file__))

    onnx_case.seed(args.seed)
    m = Bert(**cfg).eval()
    onnx_case.perturb_norms(m, args.seed)
    b, t = cfg["batch"], cfg["seq"]
    ids = torch.randint(1, cfg["vocab"], (b, t), dtype=torch.long)
    mask = torch.ones(b, t, dtype=torch.long)
    pad = t // 2 - 1  # the last sequence of the batch is padded
    ids[-1, t - pad:] = 0
    mask[-1, t - pad:] = 0
    with torch.no_grad():
        full = m(ids, mask)
        alone = m(ids[-1:, :t - pad], mask[-1:, :t - pad])
    onnx_case.check_close("padded sequence == the same sequence unpadded",
                          full[0][-1, :t - pad], alone[0][0])

    variants = [("", None)]
    if args.dynamic:
        variants.append(("-dynamic", {
            "input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"}, "pooler_output": {0: "batch"}}))
    for suffix, axes in variants:
        d = os.path.join(out, "encoder" + suffix)
        model, _ = onnx_case.export_case(m, (ids, mask), ["input_ids", "attention_mask"],
                                         ["last_hidden_state", "pooler_output"], d,
                                         args.opset, axes)
        onnx_case.report(d, model)


if __name__ == "__main__":
    main()
