#!/usr/bin/python3
"""Generates the tiny test transformer and the tokenizer goldens of mimo.

Everything here is an *independent* implementation of what the Go code does:
SentencePiece (spm_train / spm_encode, the C++ library) tokenises, PyTorch
runs the forward pass. The Go side (tokenize, adapters/onnx, the
GoMLX native encoder) is checked against the files this writes.

Run with Debian's Python (apt-get install -y python3-torch python3-numpy
python3-sentencepiece sentencepiece):

    /usr/bin/python3 tools/tinymodel/gen.py            # committed test data
    /usr/bin/python3 tools/tinymodel/gen.py --bench DIR # larger model, not committed

Outputs (committed):
  tokenize/testdata/spm-unigram/{spm.model,tokenizer.json,golden_ids.json}
  adapters/onnx/testdata/tiny-xlmr/{config.json,model.safetensors,model.onnx,
      tokenizer.json,mimo-model.json,golden.json}

Text comes from /work/shared/data/tatoeba (read here, never committed except
for the few held-out sentences that the goldens are about).
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import sentencepiece as spm
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TATOEBA = os.environ.get("MIMO_TATOEBA", "/work/shared/data/tatoeba")

# Languages of the tatoeba files we read (code in the file name).
LANGS = ["ara", "cmn", "deu", "fra", "hin", "ind", "ita", "jpn", "nld", "por", "rus", "spa", "vie"]
TRAIN_LINES = 800  # lines [0, 800) of each file train the SentencePiece model
HELDOUT_FROM = 900  # lines [900, 1000) are held out; goldens use some of them


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def tatoeba_text():
    train, heldout = [], {}
    for lang in LANGS:
        other = read_lines(os.path.join(TATOEBA, f"tatoeba.{lang}-eng.{lang}"))
        eng = read_lines(os.path.join(TATOEBA, f"tatoeba.{lang}-eng.eng"))
        train += other[:TRAIN_LINES] + eng[:TRAIN_LINES // 4]
        heldout[lang] = other[HELDOUT_FROM:]
        heldout.setdefault("eng", [])
        heldout["eng"] += eng[HELDOUT_FROM:HELDOUT_FROM + 8]
    return train, heldout


# ---------------------------------------------------------------- tokenizer


def train_spm(train, prefix, vocab_size):
    # The corpus path is recorded in the model's trainer_spec: a fixed relative
    # name (spm_train runs in a temporary directory) keeps spm.model byte-stable.
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "corpus.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(train) + "\n")
        subprocess.run([
            "spm_train", "--input=corpus.txt", f"--model_prefix={os.path.abspath(prefix)}",
            "--model_type=unigram", f"--vocab_size={vocab_size}",
            "--character_coverage=0.9995", "--num_threads=1", "--seed_sentencepiece_size=200000",
            "--normalization_rule_name=nmt_nfkc", "--minloglevel=2",
        ], check=True, cwd=tmp)


def read_varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7


def proto_fields(b):
    """Yields (field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(b):
        key, i = read_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"protobuf wire type {wt}")
        yield num, wt, v


def precompiled_charsmap(model_bytes):
    """ModelProto.normalizer_spec (3) .precompiled_charsmap (2)."""
    for num, _, v in proto_fields(model_bytes):
        if num == 3:
            for n2, _, v2 in proto_fields(v):
                if n2 == 2:
                    return bytes(v2)
    return b""


def xlmr_tokenizer_json(model_path):
    """Converts a SentencePiece Unigram model into an XLM-R-style tokenizer.json.

    The fairseq vocabulary layout of XLM-R: <s>=0 <pad>=1 </s>=2 <unk>=3, then
    the SentencePiece pieces from SentencePiece id 3 on, shifted by one, then
    <mask>. The normaliser emulates SentencePiece: the precompiled nmt_nfkc
    charsmap, runs of spaces collapsed, ends stripped; Metaspace prepends ▁.
    """
    import base64
    sp = spm.SentencePieceProcessor(model_file=model_path)
    with open(model_path, "rb") as f:
        charsmap = precompiled_charsmap(f.read())
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    for i in range(3, sp.get_piece_size()):
        vocab.append([sp.id_to_piece(i), float(sp.get_score(i))])
    vocab.append(["<mask>", 0.0])
    mask_id = len(vocab) - 1

    def added(i, content, lstrip=False):
        return {"id": i, "content": content, "single_word": False, "lstrip": lstrip,
                "rstrip": False, "normalized": False, "special": True}

    meta = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"),
                         added(mask_id, "<mask>", lstrip=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            {"type": "Strip", "strip_left": True, "strip_right": True},
        ]},
        "pre_tokenizer": meta,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]},
            },
        },
        "decoder": meta,
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


def xlmr_ids(sp, text, max_len=None):
    """XLM-R ids of text from the C++ SentencePiece encoder: fairseq offset +1
    for pieces, SentencePiece <unk> (0) -> 3, wrapped in <s> ... </s>."""
    ids = [3 if i == 0 else i + 1 for i in sp.encode(text)]
    if max_len is not None:
        ids = ids[:max_len - 2]
    return [0] + ids + [2]


def spm_encode_cli(model_path, texts):
    """Ids from the spm_encode command line tool (one line per text)."""
    out = subprocess.run(["spm_encode", f"--model={model_path}", "--output_format=id"],
                         input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
    lines = out.stdout.split("\n")[:len(texts)]
    return [[int(x) for x in l.split()] for l in lines]


# ---------------------------------------------------------------- model


class SelfAttention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)


class DenseLN(nn.Module):
    def __init__(self, i, h, eps):
        super().__init__()
        self.dense = nn.Linear(i, h)
        self.LayerNorm = nn.LayerNorm(h, eps=eps)


class Attention(nn.Module):
    def __init__(self, h, eps):
        super().__init__()
        self.self = SelfAttention(h)
        self.output = DenseLN(h, h, eps)


class Intermediate(nn.Module):
    def __init__(self, h, i):
        super().__init__()
        self.dense = nn.Linear(h, i)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, i, eps = cfg["hidden_size"], cfg["intermediate_size"], cfg["layer_norm_eps"]
        self.attention = Attention(h, eps)
        self.intermediate = Intermediate(h, i)
        self.output = DenseLN(i, h, eps)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([Layer(cfg) for _ in range(cfg["num_hidden_layers"])])


class Embeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], h)
        self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])


class TinyModel(nn.Module):
    """An XLM-RoBERTa (or BERT, model_type "bert") encoder with Hugging Face
    parameter names, post-LayerNorm, GELU (erf). XLM-R position ids count
    non-padding tokens from padding_idx+1; BERT's are 0..n-1."""

    def __init__(self, cfg, with_token_types):
        super().__init__()
        self.cfg = cfg
        self.with_token_types = with_token_types
        self.embeddings = Embeddings(cfg)
        self.encoder = Encoder(cfg)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        cfg = self.cfg
        pad = cfg["pad_token_id"]
        if cfg["model_type"] == "xlm-roberta":
            m = input_ids.ne(pad).to(torch.int64)
            pos = torch.cumsum(m, dim=1) * m + pad
        else:
            pos = torch.arange(input_ids.shape[1], dtype=torch.int64).unsqueeze(0).expand_as(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        e = self.embeddings
        x = e.word_embeddings(input_ids) + e.position_embeddings(pos) + e.token_type_embeddings(token_type_ids)
        x = e.LayerNorm(x)
        nh = cfg["num_attention_heads"]
        b, s, h = x.shape
        hd = h // nh
        bias = (1.0 - attention_mask.to(torch.float32))[:, None, None, :] * torch.finfo(torch.float32).min
        for layer in self.encoder.layer:
            at = layer.attention.self

            def heads(t):
                return t.view(b, s, nh, hd).transpose(1, 2)
            q, k, v = heads(at.query(x)), heads(at.key(x)), heads(at.value(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + bias
            ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, h)
            ao = layer.attention.output
            x = ao.LayerNorm(ao.dense(ctx) + x)
            inter = torch.nn.functional.gelu(layer.intermediate.dense(x))
            x = layer.output.LayerNorm(layer.output.dense(inter) + x)
        return x


def init_weights(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif "LayerNorm.bias" in name or name.endswith(".bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.08 * torch.randn(p.shape, generator=g))


def write_safetensors(path, tensors):
    """The safetensors format: u64 LE header length, JSON header, raw LE data."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def export_onnx(model, path, with_token_types):
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]], dtype=torch.int64)
    mask = (ids != 1).to(torch.int64)
    args, names = (ids, mask), ["input_ids", "attention_mask"]
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"}}
    if with_token_types:
        args += (torch.zeros_like(ids),)
        names.append("token_type_ids")
        axes["token_type_ids"] = {0: "batch", 1: "sequence"}
    torch.onnx.export(model, args, path, input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes=axes, opset_version=14, do_constant_folding=True)


def pooled(model, batch_ids):
    """Mean and CLS pooling of last_hidden_state, unnormalised, one text at a time
    (no padding, so the golden does not depend on batching)."""
    mean, cls, hidden = [], [], []
    with torch.no_grad():
        for ids in batch_ids:
            t = torch.tensor([ids], dtype=torch.int64)
            h = model(t, torch.ones_like(t))[0]
            mean.append(h.mean(dim=0).tolist())
            cls.append(h[0].tolist())
            hidden.append(h.tolist())
    return mean, cls, hidden


def write_json(path, obj, indent=None):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")
    os.replace(path + ".tmp", path)


def config_json(vocab_size, hidden, layers, heads, inter, model_type):
    return {
        "architectures": ["XLMRobertaModel" if model_type == "xlm-roberta" else "BertModel"],
        "model_type": model_type,
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": inter,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": 514 if model_type == "xlm-roberta" else 512,
        "type_vocab_size": 1 if model_type == "xlm-roberta" else 2,
        "layer_norm_eps": 1e-5 if model_type == "xlm-roberta" else 1e-12,
        "pad_token_id": 1 if model_type == "xlm-roberta" else 0,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
        "torch_dtype": "float32",
    }


GOLDEN_TEXTS = {  # language -> indices into its held-out lines
    "eng": [0, 3], "cmn": [0, 1], "jpn": [0, 1], "ara": [0], "hin": [0], "rus": [0],
    "deu": [0], "vie": [0], "fra": [0], "spa": [0], "ind": [0], "por": [0],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", help="write a larger BERT-shaped bench model (with token_type_ids) to this folder")
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    torch.manual_seed(a.seed)

    tok_dir = os.path.join(ROOT, "tokenize", "testdata", "spm-unigram")
    spm_model = os.path.join(tok_dir, "spm.model")
    train, heldout = tatoeba_text()

    if a.bench:
        # Reuses the committed tokenizer; only the network is bigger.
        tj = xlmr_tokenizer_json(spm_model)
        out = a.bench
        os.makedirs(out, exist_ok=True)
        cfg = config_json(len(tj["model"]["vocab"]), 384, 6, 6, 1536, "bert")
        model = TinyModel(cfg, True).eval()
        init_weights(model, a.seed)
        export_onnx(model, os.path.join(out, "model.onnx"), True)
        write_json(os.path.join(out, "config.json"), cfg, 2)
        write_json(os.path.join(out, "tokenizer.json"), tj)
        write_json(os.path.join(out, "mimo-model.json"), {
            "kind": "onnx", "name": "mimo/bench-bert-384x6", "onnx": "model.onnx",
            "tokenizer": "tokenizer.json", "pooling": "mean", "max_length": 512, "dim": 384}, 2)
        return

    os.makedirs(tok_dir, exist_ok=True)
    train_spm(train, os.path.join(tok_dir, "spm"), 4000)
    os.remove(os.path.join(tok_dir, "spm.vocab"))
    tj = xlmr_tokenizer_json(spm_model)
    write_json(os.path.join(tok_dir, "tokenizer.json"), tj)

    # Tokenizer goldens: every held-out sentence of every language, ids from
    # the spm_encode command line tool, mapped to XLM-R ids.
    golden_ids = []
    for lang in ["eng"] + LANGS:
        texts = heldout[lang][:40]
        for text, ids in zip(texts, spm_encode_cli(spm_model, texts)):
            golden_ids.append({"lang": lang, "text": text,
                               "ids": [0] + [3 if i == 0 else i + 1 for i in ids] + [2]})
    # Whitespace and normalisation edge cases (nmt_nfkc: full-width forms,
    # ideographic space, tabs, leading/trailing/multiple spaces).
    edge = ["  leading and   inner   spaces  ", "ＡＢＣ　全角１２３", "tab\tseparated\twords",
            "ﬁne ligatures ½", "", "   ", "Ünïcödé ÀÉÎ ñ", "emoji 😀 and symbols ©®™"]
    for text, ids in zip(edge, spm_encode_cli(spm_model, edge)):
        golden_ids.append({"lang": "edge", "text": text,
                           "ids": [0] + [3 if i == 0 else i + 1 for i in ids] + [2]})
    write_json(os.path.join(tok_dir, "golden_ids.json"), golden_ids, 1)

    # The tiny model.
    sp = spm.SentencePieceProcessor(model_file=spm_model)
    out = os.path.join(ROOT, "adapters", "onnx", "testdata", "tiny-xlmr")
    os.makedirs(out, exist_ok=True)
    cfg = config_json(len(tj["model"]["vocab"]), 64, 2, 4, 128, "xlm-roberta")
    model = TinyModel(cfg, False).eval()
    init_weights(model, a.seed)
    write_safetensors(os.path.join(out, "model.safetensors"), model.state_dict())
    export_onnx(model, os.path.join(out, "model.onnx"), False)
    write_json(os.path.join(out, "config.json"), cfg, 2)
    write_json(os.path.join(out, "tokenizer.json"), tj)
    write_json(os.path.join(out, "mimo-model.json"), {
        "kind": "onnx", "name": "mimo/tiny-xlmr", "revision": "gen-v1", "onnx": "model.onnx",
        "tokenizer": "tokenizer.json", "pooling": "mean", "normalize": True, "max_length": 512,
        "dim": 64, "license": "mit",
        "prompts": {"query": "query: ", "document": "passage: "},
        "weights": "model.safetensors", "config": "config.json"}, 2)

    texts = [heldout[lang][i] for lang, idx in GOLDEN_TEXTS.items() for i in idx]
    ids = [xlmr_ids(sp, t) for t in texts]
    mean, cls, hidden = pooled(model, ids)
    long_text = " ".join(heldout["eng"][:6])
    trunc_ids = [xlmr_ids(sp, long_text, 16)]
    tmean, tcls, _ = pooled(model, trunc_ids)
    write_json(os.path.join(out, "golden.json"), {
        "about": "Pooled last_hidden_state of model.onnx/model.safetensors computed by PyTorch "
                 "(tools/tinymodel/gen.py) from SentencePiece ids; vectors are NOT L2-normalised; "
                 "each text was run alone (no padding). last_hidden_state is given for texts 0 and 1.",
        "texts": texts, "input_ids": ids, "mean": mean, "cls": cls,
        "last_hidden_state": hidden[:2],
        "truncated": {"text": long_text, "max_length": 16, "input_ids": trunc_ids[0],
                      "mean": tmean[0], "cls": tcls[0]},
    })
    print("wrote", out, "and", tok_dir)


if __name__ == "__main__":
    main()
