// Node.js side of scripts/bench-encode.sh: runs the same ONNX model with
// onnxruntime-node (the same ONNX Runtime 1.30.0 library) on pre-tokenised
// ids written by internal/cmd/benchencode (tokenisation is NOT timed on
// this side), batch by batch, with mean pooling and L2 normalisation in JS.
// session_s is the time inside session.run alone: the raw session time that
// the script compares mimo's end-to-end encode time with.
//
//   node scripts/bench-encode.cjs NODE_DIR MODEL.onnx IDS.json BATCH THREADS ROUNDS
'use strict';
const path = require('path');
const fs = require('fs');

async function main() {
  const [nodeDir, modelPath, idsPath, batchS, threadsS, roundsS] = process.argv.slice(2);
  const ort = require(path.join(nodeDir, 'node_modules', 'onnxruntime-node'));
  const batch = parseInt(batchS, 10), threads = parseInt(threadsS, 10), rounds = parseInt(roundsS, 10);
  const ids = JSON.parse(fs.readFileSync(idsPath, 'utf8'));
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const names = session.inputNames;

  let sessionSecs = 0; // time inside session.run alone
  async function encode(texts) {
    const out = [];
    for (let s = 0; s < texts.length; s += batch) {
      const rows = texts.slice(s, s + batch);
      const b = rows.length, len = Math.max(...rows.map(r => r.length));
      const inputIds = new BigInt64Array(b * len), mask = new BigInt64Array(b * len), types = new BigInt64Array(b * len);
      rows.forEach((r, i) => r.forEach((id, k) => { inputIds[i * len + k] = BigInt(id); mask[i * len + k] = 1n; }));
      const feeds = {};
      if (names.includes('input_ids')) feeds.input_ids = new ort.Tensor('int64', inputIds, [b, len]);
      if (names.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [b, len]);
      if (names.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', types, [b, len]);
      const t0 = process.hrtime.bigint();
      const res = await session.run(feeds);
      sessionSecs += Number(process.hrtime.bigint() - t0) / 1e9;
      const h = res.last_hidden_state, dim = h.dims[2], data = h.data;
      for (let i = 0; i < b; i++) {
        const v = new Float32Array(dim);
        let n = 0;
        for (let k = 0; k < len; k++) {
          if (mask[i * len + k] === 0n) continue;
          n++;
          const off = (i * len + k) * dim;
          for (let d = 0; d < dim; d++) v[d] += data[off + d];
        }
        let norm = 0;
        for (let d = 0; d < dim; d++) { v[d] /= n; norm += v[d] * v[d]; }
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < dim; d++) v[d] /= norm;
        out.push(v);
      }
    }
    return out;
  }

  // Warm-up, and a check that both runtimes compute the same vectors.
  const warm = await encode(ids.slice(0, batch));
  const goVecs = JSON.parse(fs.readFileSync(idsPath.replace(/\.json$/, '.vectors.json'), 'utf8'));
  let maxDiff = 0;
  goVecs.forEach((v, i) => v.forEach((x, d) => { maxDiff = Math.max(maxDiff, Math.abs(x - warm[i][d])); }));
  if (!(maxDiff < 1e-4)) throw new Error(`vectors differ from Go's by ${maxDiff}`);
  let best = Infinity, bestSession = Infinity;
  for (let r = 0; r < rounds; r++) {
    sessionSecs = 0;
    const t = process.hrtime.bigint();
    await encode(ids);
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    best = Math.min(best, secs);
    bestSession = Math.min(bestSession, sessionSecs);
  }
  console.log(`node texts/s=${(ids.length / best).toFixed(2)} encode_s=${best.toFixed(3)} session_s=${bestSession.toFixed(3)} max_abs_diff_vs_go=${maxDiff.toExponential(2)}`);
}

main().catch(e => { console.error('bench-encode.cjs:', e); process.exit(1); });
