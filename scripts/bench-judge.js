#!/usr/bin/env node
/**
 * Benchmark: the canary judge on 20 metrics of 10,000 samples a side (latency-like values,
 * a few shifted, one with a heavy tail), judged N times; prints the median time of one
 * judgement. Needs `npm run build`.  node scripts/bench-judge.js [rounds] [other dist/]
 *
 * Given another build's dist/ (e.g. a copy of an earlier one), times both in turns in the
 * same process, so that a shared, busy machine slows both alike, checks they judge alike,
 * and prints the ratio.
 */
const path = require('node:path');

const builds = [{ name: 'dist', judgeCanary: require('../dist/policy/canary-judge').judgeCanary }];
if (process.argv[3]) {
  const other = path.resolve(process.argv[3]);
  builds.unshift({ name: other, judgeCanary: require(path.join(other, 'policy/canary-judge')).judgeCanary });
}

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
const times = builds.map(() => []);
const verdicts = builds.map(() => undefined);
for (let r = 0; r < rounds; r++) {
  builds.forEach((build, b) => {
    const t0 = process.hrtime.bigint();
    verdicts[b] = build.judgeCanary(config, measured);
    times[b].push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
}
const medians = times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]);
builds.forEach((build, b) => {
  const t = times[b];
  console.log(
    `${build.name}: 20 metrics × 10,000 samples a side: median ${medians[b].toFixed(1)} ms, min ${t[0].toFixed(1)} ms, max ${t[t.length - 1].toFixed(1)} ms over ${rounds} rounds; verdict ${verdicts[b].verdict}, score ${verdicts[b].score}`,
  );
});
if (builds.length === 2) {
  const alike = JSON.stringify(verdicts[0]) === JSON.stringify(verdicts[1]);
  console.log(`${alike ? 'identical judgements' : 'JUDGEMENTS DIFFER'}; dist is ${(medians[0] / medians[1]).toFixed(2)}× as fast`);
  if (!alike) process.exitCode = 1;
}
