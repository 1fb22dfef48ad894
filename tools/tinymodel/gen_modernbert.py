#!/usr/bin/python3
"""Generates the tiny ModernBERT (mmBERT's architecture) test models of the
native encoder and their PyTorch goldens.

The forward pass below is written from transformers' ModernBertModel with
the eager attention path (modeling_modernbert.py): it is an independent
PyTorch implementation that the GoMLX graph (transformer/modernbert.go)
is checked against, not a call into transformers (not installable here).
The parameter names and the config keys are transformers' own, and the
weights are saved the way a ModernBertForMaskedLM checkpoint stores them
("model." prefix, with the MLM head's "head." and "decoder." tensors), so the
loader is exercised on a real checkpoint's layout.

    /usr/bin/python3 tools/tinymodel/gen_modernbert.py

Writes transformer/testdata/tiny-modernbert (the committed SentencePiece
tokenizer of tokenize/testdata, norm/attention/MLP without biases
as in mmBERT) and tiny-modernbert-bias (every bias on, random ids).
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import gen  # noqa: E402  (the tokenizer helpers and the safetensors writer)


class Norm(nn.Module):
    """nn.LayerNorm(h, eps, bias=...) of torch >= 2.1, for torch 1.13."""

    def __init__(self, h, eps, bias):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(h))
        self.bias = nn.Parameter(torch.zeros(h)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.tok_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.norm = Norm(c["hidden_size"], c["norm_eps"], c["norm_bias"])


class Attn(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.Wqkv = nn.Linear(h, 3 * h, bias=c["attention_bias"])
        self.Wo = nn.Linear(h, h, bias=c["attention_bias"])


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.Wi = nn.Linear(h, 2 * i, bias=c["mlp_bias"])
        self.Wo = nn.Linear(i, h, bias=c["mlp_bias"])


class Layer(nn.Module):
    def __init__(self, c, layer_id):
        super().__init__()
        h = c["hidden_size"]
        self.attn_norm = nn.Identity() if layer_id == 0 else Norm(h, c["norm_eps"], c["norm_bias"])
        self.attn = Attn(c)
        self.mlp_norm = Norm(h, c["norm_eps"], c["norm_bias"])
        self.mlp = MLP(c)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(theta, hd, seq):
    """ModernBertRotaryEmbedding.forward for position ids 0..seq-1."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(seq).float()[None, None, :]
    freqs = (inv_freq[None, :, None].float() @ pos).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [1, seq, hd]


class TinyModernBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embeddings = Embeddings(c)
        self.layers = nn.ModuleList([Layer(c, i) for i in range(c["num_hidden_layers"])])
        self.final_norm = Norm(c["hidden_size"], c["norm_eps"], c["norm_bias"])

    def forward(self, input_ids, attention_mask):
        c = self.c
        b, s = input_ids.shape
        h, nh = c["hidden_size"], c["num_attention_heads"]
        hd = h // nh
        x = self.embeddings.norm(self.embeddings.tok_embeddings(input_ids))
        minv = torch.finfo(torch.float32).min
        # _prepare_4d_attention_mask, then _update_attention_mask's window.
        glob = (1.0 - attention_mask[:, None, None, :].float()) * minv
        glob = glob.expand(b, 1, s, s)
        rows = torch.arange(s).unsqueeze(0)
        window = (torch.abs(rows - rows.T) <= c["local_attention"] // 2)[None, None]
        sliding = glob.masked_fill(window.logical_not(), minv)
        ropes = {"full_attention": rope(c["global_rope_theta"], hd, s),
                 "sliding_attention": rope(c["local_rope_theta"], hd, s)}
        for lid, layer in enumerate(self.layers):
            is_global = lid % c["global_attn_every_n_layers"] == 0
            cos, sin = ropes["full_attention" if is_global else "sliding_attention"]
            qkv = layer.attn.Wqkv(layer.attn_norm(x)).view(b, -1, 3, nh, hd)
            q, k, v = qkv.transpose(3, 1).unbind(dim=2)
            cos_, sin_ = cos.unsqueeze(1), sin.unsqueeze(1)
            q, k = q * cos_ + rotate_half(q) * sin_, k * cos_ + rotate_half(k) * sin_
            w = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5
            w = w + (glob if is_global else sliding)
            w = F.softmax(w, dim=-1, dtype=torch.float32)
            o = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, -1, h)
            x = x + layer.attn.Wo(o)
            a, g = layer.mlp.Wi(layer.mlp_norm(x)).chunk(2, dim=-1)
            x = x + layer.mlp.Wo(F.gelu(a) * g)
        return self.final_norm(x)


def config_json(vocab, hidden, layers, heads, inter, pad, bias):
    # The keys of mmBERT-base's config.json (older spelling of the rope
    # thetas), tiny sizes, a short window so that sliding layers matter.
    return {
        "architectures": ["ModernBertForMaskedLM"],
        "model_type": "modernbert",
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": inter,
        "hidden_activation": "gelu",
        "max_position_embeddings": 512,
        "initializer_range": 0.02,
        "initializer_cutoff_factor": 2.0,
        "norm_eps": 1e-5,
        "norm_bias": bias,
        "attention_bias": bias,
        "mlp_bias": bias,
        "attention_dropout": 0.0,
        "embedding_dropout": 0.0,
        "mlp_dropout": 0.0,
        "global_attn_every_n_layers": 3,
        "local_attention": 8,
        "global_rope_theta": 160000.0,
        "local_rope_theta": 10000.0,
        "pad_token_id": pad,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "cls_token_id": 0,
        "sep_token_id": 2,
        "classifier_pooling": "mean",
        "position_embedding_type": "sans_pos",
        "torch_dtype": "float32",
    }


def init_weights(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))


def checkpoint(model, c, seed):
    """ModernBertForMaskedLM's state dict: the encoder under "model.", plus a
    (random) MLM head, which the native loader must skip."""
    g = torch.Generator().manual_seed(seed + 1)
    sd = {"model." + k: v for k, v in model.state_dict().items()}
    h = c["hidden_size"]
    sd["head.dense.weight"] = 0.08 * torch.randn(h, h, generator=g)
    sd["head.norm.weight"] = torch.ones(h)
    sd["decoder.bias"] = torch.zeros(c["vocab_size"])
    return sd


def goldens(model, ids_list, pad):
    mean, cls, hidden = gen.pooled(model, ids_list)  # each text alone
    with torch.no_grad():
        # The same texts in one right-padded batch: pooled over real tokens.
        n = max(len(i) for i in ids_list)
        t = torch.tensor([i + [pad] * (n - len(i)) for i in ids_list], dtype=torch.int64)
        m = (torch.arange(n)[None, :] < torch.tensor([len(i) for i in ids_list])[:, None]).long()
        hs = model(t, m)
        batch_mean = ((hs * m[..., None]).sum(1) / m.sum(1, keepdim=True)).tolist()
    return mean, cls, hidden, batch_mean


def write(out, c, model, ids, texts, seed, tokenizer=None):
    os.makedirs(out, exist_ok=True)
    gen.write_safetensors(os.path.join(out, "model.safetensors"), checkpoint(model, c, seed))
    gen.write_json(os.path.join(out, "config.json"), c, 2)
    if tokenizer is not None:
        gen.write_json(os.path.join(out, "tokenizer.json"), tokenizer)
        gen.write_json(os.path.join(out, "mimo-model.json"), {
            "kind": "native", "name": "mimo/tiny-modernbert", "revision": "gen-v1",
            "weights": "model.safetensors", "config": "config.json", "tokenizer": "tokenizer.json",
            "pooling": "mean", "normalize": True, "max_length": 512, "dim": c["hidden_size"],
            "license": "mit"}, 2)
    mean, cls, hidden, batch_mean = goldens(model, ids, c["pad_token_id"])
    gen.write_json(os.path.join(out, "golden.json"), {
        "about": "ModernBertModel last_hidden_state, mean and CLS pooled (not normalised), computed by the "
                 "PyTorch re-implementation in tools/tinymodel/gen_modernbert.py; each text alone, and "
                 "batch_mean for all texts in one right-padded batch.",
        "texts": texts, "input_ids": ids, "mean": mean, "cls": cls,
        "last_hidden_state": hidden[:2], "batch_mean": batch_mean,
    })


def main():
    seed = 20261201
    torch.manual_seed(seed)
    spm_model = os.path.join(ROOT, "tokenize", "testdata", "spm-unigram", "spm.model")
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=spm_model)
    tj = gen.xlmr_tokenizer_json(spm_model)
    _, heldout = gen.tatoeba_text()
    # Long enough that the 8-token window of the sliding layers cuts.
    texts = [heldout["eng"][0], heldout["deu"][0], heldout["jpn"][0], heldout["rus"][0],
             " ".join(heldout["fra"][:3]), heldout["ara"][0]]
    ids = [gen.xlmr_ids(sp, t) for t in texts]
    base = os.path.join(ROOT, "transformer", "testdata")

    c = config_json(len(tj["model"]["vocab"]), 64, 4, 4, 96, 1, False)
    model = TinyModernBert(c).eval()
    init_weights(model, seed)
    write(os.path.join(base, "tiny-modernbert"), c, model, ids, texts, seed, tj)

    cb = config_json(97, 32, 4, 2, 40, 1, True)
    cb["local_attention"] = 4
    cb["global_attn_every_n_layers"] = 2
    mb = TinyModernBert(cb).eval()
    init_weights(mb, seed + 7)
    g = torch.Generator().manual_seed(seed + 9)
    rids = [[0] + torch.randint(3, 97, (n,), generator=g).tolist() + [2] for n in (5, 13, 21)]
    write(os.path.join(base, "tiny-modernbert-bias"), cb, mb, rids, ["random ids"] * len(rids), seed + 7)
    print("wrote", base)


if __name__ == "__main__":
    main()
