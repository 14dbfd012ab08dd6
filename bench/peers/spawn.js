// spawn peer: call an async function (Node's nearest thing to creating a task),
// let it run to completion and collect its result, per task:
// `acc += await child(i)` (bench/spawn.c and spawn.py do the same with tasks).
'use strict';
const b = require('./benchlib.js');

async function child(x) {
  return x * 2;
}

async function parent(n) {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += await child(i);
  if (acc !== n * (n - 1)) b.fail('spawn: wrong sum');
}

b.main(async () => {
  b.row('spawn', 'node', await b.nsPerOp(parent, b.n(1000000)), 'ns');
});
