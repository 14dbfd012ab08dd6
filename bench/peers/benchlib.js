// Helpers for the Node peers (same ROW format as bench/bench.h; see bench/rules.mk).
'use strict';

const quick = !['', '0', undefined].includes(process.env.BENCH_QUICK);

function n(count) {
  return quick ? Math.max(1, Math.floor(count / 100)) : count;
}

// Median ns per operation of `await fn(count)` over reps runs, after a warm-up.
async function nsPerOp(fn, count, reps = 5) {
  await fn(Math.min(count, 1000));
  const t = [];
  for (let i = 0; i < (quick ? 3 : reps); i++) {
    const t0 = process.hrtime.bigint();
    await fn(count);
    t.push(Number(process.hrtime.bigint() - t0) / count);
  }
  t.sort((a, c) => a - c);
  return t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
}

function row(workload, who, value, unit, better = 'lower', target = '') {
  process.stdout.write(`ROW\t${workload}\t${who}\t${Number(value.toPrecision(4))}\t${unit}\t${better}\t${target}\n`);
}

function fail(what) {
  process.stderr.write(`bench: FAILED: ${what}\n`);
  process.exit(1);
}

function main(f) {
  f().catch((e) => fail(String(e && e.stack ? e.stack : e)));
}

module.exports = { quick, n, nsPerOp, row, fail, main };
