// Echo server peer for bench/echo.c (Node's net). Prints its port on the
// first line, then serves until killed; bench/echo.c is the client.
'use strict';
const net = require('net');
const server = net.createServer({ noDelay: true }, (sock) => {
  sock.setNoDelay(true);
  sock.on('data', (d) => { if (!sock.write(d)) { sock.pause(); sock.once('drain', () => sock.resume()); } });
  sock.on('error', () => {});
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => {
  process.stdout.write(server.address().port + '\n');
});
