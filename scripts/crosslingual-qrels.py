"""crosslingual-qrels.py ROOT DATA OUT: TREC qrels of the cross-lingual view.

Writes OUT/xl.MiniMLIR.qrels and OUT/xl.XQuADHeldOut.qrels: for every query,
its relevant documents in other languages than its own (the same-language
version of the gold passage left out). Scoring a run of the whole pooled
corpus against them (`mimo-eval score`) gives the cross-lingual-only scores
of scripts/default-model.sh and scripts/paper-mini.sh. The held-out split is
training/data.XQuADHeldOut's: articles i % 4 == 3.
"""
import json
import os
import sys

root, data, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
with open(f"{out}/xl.MiniMLIR.qrels", "w") as f:
    for line in open(f"{root}/tasks/mini/data/qrels.jsonl"):
        for qid, rel in json.loads(line).items():
            for did, g in sorted(rel.items()):
                if did.split("_")[0] != qid.split("_")[0]:
                    f.write(f"{qid} 0 {did} {g}\n")
langs = ["ar", "de", "en", "es", "hi", "ru", "vi", "zh"]
with open(f"{out}/xl.XQuADHeldOut.qrels", "w") as f:
    arts = json.load(open(f"{data}/xquad/xquad.en.json"))["data"]
    for a, art in enumerate(arts):
        if a % 4 != 3:  # training articles
            continue
        for p, par in enumerate(art["paragraphs"]):
            for qa in par["qas"]:
                for ql in langs:
                    for dl in langs:
                        if dl != ql:
                            f.write(f"{ql}_{qa['id']} 0 {dl}_{a}_{p} 1\n")
