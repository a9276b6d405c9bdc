#!/usr/bin/env node
// Runs an ONNX test case (model.onnx + test_data_set_0/input_K.pb) in
// onnxruntime-node and compares with output_K.pb.
//
//   node bench/ort_run.js CASE_DIR [--model FILE] [--threads N] [--repeat R]
//        [--rtol X] [--atol X] [--ort DIR]
//
// --ort names the directory holding node_modules/onnxruntime-node (default:
// $ORT_NODE_DIR, else the current directory). Prints one line per output
// (max abs / rel error, ok or MISMATCH) and a final JSON line
// {"load_ms":..,"first_ms":..,"run_ms":[..],"median_ms":..,"threads":N}.
// Exit status 1 on a mismatch. Tolerance: |a-b| <= atol + rtol*|b|.
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const a = {threads: 1, repeat: 1, rtol: 1e-4, atol: 1e-5, ort: process.env.ORT_NODE_DIR || process.cwd()};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--model') a.model = argv[++i];
    else if (k === '--threads') a.threads = parseInt(argv[++i], 10);
    else if (k === '--repeat') a.repeat = parseInt(argv[++i], 10);
    else if (k === '--rtol') a.rtol = parseFloat(argv[++i]);
    else if (k === '--atol') a.atol = parseFloat(argv[++i]);
    else if (k === '--ort') a.ort = argv[++i];
    else rest.push(k);
  }
  if (rest.length !== 1) throw new Error('usage: ort_run.js CASE_DIR [options]');
  a.caseDir = rest[0];
  a.model = a.model || path.join(a.caseDir, 'model.onnx');
  return a;
}

// Minimal protobuf reader for onnx.TensorProto (the fields numpy_helper and
// the ONNX test data use: dims=1, data_type=2, float_data=4, int32_data=5,
// int64_data=7, name=8, raw_data=9, double_data=10).
function readVarint(buf, pos) {
  let result = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

function parseTensor(buf) {
  const t = {dims: [], dataType: 0, name: '', raw: null, floats: [], ints: [], doubles: []};
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) t.dims.push(Number(BigInt.asIntN(64, v)));
      else if (field === 2) t.dataType = Number(v);
      else if (field === 5 || field === 7) t.ints.push(BigInt.asIntN(64, v));
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      const body = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 8) t.name = body.toString('utf8');
      else if (field === 9) t.raw = body;
      else if (field === 1 || field === 5 || field === 7) {
        let p = 0;
        while (p < body.length) {
          let v;
          [v, p] = readVarint(body, p);
          if (field === 1) t.dims.push(Number(BigInt.asIntN(64, v)));
          else t.ints.push(BigInt.asIntN(64, v));
        }
      } else if (field === 4) {
        for (let p = 0; p < body.length; p += 4) t.floats.push(body.readFloatLE(p));
      } else if (field === 10) {
        for (let p = 0; p < body.length; p += 8) t.doubles.push(body.readDoubleLE(p));
      }
    } else if (wire === 5) {
      if (field === 4) t.floats.push(buf.readFloatLE(pos));
      pos += 4;
    } else if (wire === 1) {
      if (field === 10) t.doubles.push(buf.readDoubleLE(pos));
      pos += 8;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return t;
}

const TYPES = {
  1: ['float32', Float32Array], 6: ['int32', Int32Array], 7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array], 11: ['float64', Float64Array],
};

function toOrtTensor(ort, t) {
  const entry = TYPES[t.dataType];
  if (!entry) throw new Error(`tensor ${t.name}: element type ${t.dataType} not handled`);
  const [type, Arr] = entry;
  let data;
  if (t.raw) {
    const copy = Buffer.from(t.raw);  // aligned copy
    data = new Arr(copy.buffer, copy.byteOffset, copy.length / Arr.BYTES_PER_ELEMENT);
  } else if (type === 'float32') data = Float32Array.from(t.floats);
  else if (type === 'float64') data = Float64Array.from(t.doubles);
  else if (type === 'int64') data = BigInt64Array.from(t.ints);
  else data = Arr.from(t.ints.map(Number));
  return new ort.Tensor(type, data, t.dims);
}

function loadCase(dir, prefix) {
  const out = [];
  for (let k = 0; ; k++) {
    const f = path.join(dir, 'test_data_set_0', `${prefix}_${k}.pb`);
    if (!fs.existsSync(f)) return out;
    out.push(parseTensor(fs.readFileSync(f)));
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ort = require(path.join(path.resolve(a.ort), 'node_modules', 'onnxruntime-node'));
  const opts = {intraOpNumThreads: a.threads, interOpNumThreads: 1, executionMode: 'sequential'};
  let t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(a.model, opts);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const inputs = loadCase(a.caseDir, 'input');
  const feeds = {};
  inputs.forEach((t, k) => {
    feeds[t.name || session.inputNames[k]] = toOrtTensor(ort, t);
  });
  const times = [];
  let result;
  for (let r = 0; r < Math.max(1, a.repeat); r++) {
    t0 = process.hrtime.bigint();
    result = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  let ok = true;
  const expected = loadCase(a.caseDir, 'output');
  expected.forEach((t, k) => {
    const name = t.name || session.outputNames[k];
    const got = result[name];
    const want = toOrtTensor(ort, t);
    if (!got) {
      console.log(`output ${name}: missing`);
      ok = false;
      return;
    }
    let maxAbs = 0, maxRel = 0, bad = 0;
    for (let i = 0; i < want.data.length; i++) {
      const w = Number(want.data[i]), g = Number(got.data[i]);
      const d = Math.abs(g - w);
      maxAbs = Math.max(maxAbs, d);
      if (w !== 0) maxRel = Math.max(maxRel, d / Math.abs(w));
      if (!(d <= a.atol + a.rtol * Math.abs(w))) bad++;
    }
    const shapeOk = JSON.stringify(got.dims) === JSON.stringify(want.dims);
    if (bad || !shapeOk) ok = false;
    console.log(`output ${name}: max abs err ${maxAbs.toPrecision(3)}, max rel err ` +
                `${maxRel.toPrecision(3)}: ${bad || !shapeOk ? `MISMATCH (${bad} elements)` : 'ok'}`);
  });
  const steady = times.length > 1 ? times.slice(1) : times;
  const sorted = [...steady].sort((x, y) => x - y);
  console.log(JSON.stringify({
    load_ms: loadMs, first_ms: times[0], run_ms: steady,
    median_ms: sorted[Math.floor(sorted.length / 2)], threads: a.threads,
  }));
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`ort_run.js: ${e.message}`);
  process.exit(2);
});
