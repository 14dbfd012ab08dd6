// park peer: RSS growth per async function suspended on a shared Promise
// (compare with bench/park.c, workload "park (RSS)").
'use strict';
const b = require('./benchlib.js');

async function parked(p) {
  return (await p) + 1;
}

b.main(async () => {
  const n = b.n(500000);
  let release;
  const gate = new Promise((r) => { release = r; });
  const rss0 = process.memoryUsage().rss;
  const all = new Array(n);
  for (let i = 0; i < n; i++) all[i] = parked(gate);
  const rss1 = process.memoryUsage().rss;
  release(41);
  const res = await Promise.all(all);
  let acc = 0;
  for (const v of res) acc += v;
  if (acc !== 42 * n) b.fail('park: wrong results');
  b.row('park (RSS)', 'node', (rss1 - rss0) / n, 'B');
});
