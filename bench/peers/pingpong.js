// pingpong peer: two async functions hand a token back and forth through
// Promises, per round trip. Each side resolves the other's promise and awaits a
// fresh one of its own (the protocol of bench/pingpong.c and pingpong.py).
'use strict';
const b = require('./benchlib.js');

async function game(n) {
  let pingResolve, pongResolve;
  let pong = new Promise((r) => { pongResolve = r; });
  async function ponger() {
    for (let i = 0; i < n; i++) {
      const v = await pong;
      pong = new Promise((r) => { pongResolve = r; });
      pingResolve(v + 1);
    }
  }
  async function pinger() {
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const ping = new Promise((r) => { pingResolve = r; });
      pongResolve(i);
      acc += await ping;
    }
    return acc;
  }
  const tb = ponger();
  const acc = await pinger();
  await tb;
  if (acc !== n + n * (n - 1) / 2) b.fail('pingpong: wrong sum');
}

b.main(async () => {
  b.row('pingpong', 'node', await b.nsPerOp(game, b.n(1000000)), 'ns');
});
