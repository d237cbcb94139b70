#!/usr/bin/env node
/**
 * Benchmark: the canary judge on 20 metrics of 10,000 samples a side (latency-like values,
 * a few shifted, one with a heavy tail), judged N times; prints the median time of one
 * judgement. Needs `npm run build`.  node scripts/bench-judge.js [rounds]
 */
const { judgeCanary } = require('../dist/policy/canary-judge');

let s = 42;
const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const latencies = (n, median, tail = 0) => Array.from({ length: n }, () => median * Math.exp(0.3 * normal()) * (uniform() < tail ? 8 : 1));

const metrics = [];
const measured = {};
for (let i = 0; i < 20; i++) {
  const name = `metric-${i}`;
  metrics.push({ name, kind: 'values', group: i < 10 ? 'latency' : 'saturation', direction: 'increase', tolerance: 0.1, tailQuantile: 0.99, noData: 'ignore' });
  measured[name] = { kind: 'values', canary: latencies(10_000, i % 7 === 0 ? 48 : 40, i === 3 ? 0.03 : 0), stable: latencies(10_000, 40) };
}
const config = { metrics, groups: { latency: 50, saturation: 50 }, thresholds: { pass: 95, marginal: 50 }, alpha: 0.05 };

const rounds = Number(process.argv[2] ?? 15);
const times = [];
let verdict;
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  verdict = judgeCanary(config, measured);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
console.log(`20 metrics × 10,000 samples a side: median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms over ${rounds} rounds; verdict ${verdict.verdict}, score ${verdict.score}`);
