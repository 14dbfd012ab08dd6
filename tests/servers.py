#!/usr/bin/env python3
"""servers.py http|resp BINARY — examples/http_server and examples/resp_server
against real clients (curl, redis-cli) and a raw-socket client sending what
real clients should not: malformed requests, oversized heads and arguments,
peers that vanish mid-request, pipelined floods. Loopback only; the server
picks a free port and prints it; SIGTERM must shut it down gracefully (exit 0,
nothing on stderr). Asserts orders and counts, never how fast."""
import os, re, signal, socket, subprocess, sys, threading, time

kind, binary = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# SERVERS_WRAP="valgrind -q --error-exitcode=9 --leak-check=full" runs the
# server under a tool (the memory bounds are then not checked).
wrap = os.environ.get("SERVERS_WRAP", "").split()


started = []


def start(args):
    p = subprocess.Popen(wrap + [binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started.append(p)
    line = p.stdout.readline().decode()
    m = re.search(r"(?:port |:)(\d+)/?$", line.strip())
    if not m:
        p.kill()
        sys.exit("no port in %r" % line)
    return p, int(m.group(1))


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def recv_until_closed(s, limit=1 << 24):
    data = b""
    try:
        while len(data) < limit:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def recv_count(s, token, n):
    data = b""
    while data.count(token) < n:
        b = s.recv(65536)
        if not b:
            break
        data += b
    return data


def hwm_kib(p):
    if wrap:
        return 0
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def stop(p, want_cancelled=None):
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    out, err = out.decode(), err.decode()
    print(out, end="")
    check(p.returncode == 0, "exit 0 after SIGTERM (got %s)" % p.returncode)
    check(err == "", "nothing on stderr (%r)" % err[:300])
    if want_cancelled is not None:
        m = re.search(r"(\d+) cancelled at shutdown", out)
        check(m and int(m.group(1)) == want_cancelled, "%s connections cancelled at shutdown" % want_cancelled)
    return out


def send_flood(s, chunk, total):
    """Send up to total bytes; returns how many the server took before closing."""
    sent = 0
    try:
        while sent < total:
            sent += s.send(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    return sent


def test_http():
    p, port = start(["-i", "1", "-g", "1"])
    url = "http://127.0.0.1:%d/" % port
    r = subprocess.run(["curl", "-s", "-i", url], capture_output=True, timeout=20)
    check(r.stdout.startswith(b"HTTP/1.1 200 OK") and r.stdout.endswith(b"Hello, World!"), "curl: 200 Hello, World!")
    r = subprocess.run(["curl", "-s", "-v", url, url + "missing"], capture_output=True, timeout=20)
    check(b"Re-using existing connection" in r.stderr or b"Reusing existing connection" in r.stderr,
          "curl: keep-alive (the second request reuses the connection)")
    check(r.stdout == b"Hello, World!not found\n", "curl: / then a 404")
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: " + "a" * 20000, url],
                       capture_output=True, timeout=20)
    check(r.stdout == b"431", "curl: a 20 kB header gets 431 (got %r)" % r.stdout)
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", url],
                       capture_output=True, timeout=20)
    check(r.stdout == b"405", "curl: DELETE gets 405")
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", "x" * 5000, url, url],
                       capture_output=True, timeout=20)
    check(r.stdout == b"405405", "curl: a POST body is read and dropped, the connection goes on (%r)" % r.stdout)

    s = connect(port)  # pipelining: 16 requests in one send
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 16)
    data = recv_count(s, b"Hello, World!", 16)
    check(data.count(b"HTTP/1.1 200 OK") == 16, "16 pipelined requests, 16 answers in order")
    s.sendall(b"GARBAGE\r\n\r\n")
    data = recv_until_closed(s)
    check(data.startswith(b"HTTP/1.1 400 Bad Request"), "a malformed request line gets 400, then close")
    s.close()

    for bad in (b"GET / HTTP/9.9\r\n\r\n", b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", b"\x00\xff\xfe\r\n\r\n"):
        s = connect(port)
        s.sendall(bad)
        check(recv_until_closed(s).startswith(b"HTTP/1.1 400"), "400 for %r" % bad[:24])
        s.close()

    s = connect(port)  # a head that never ends: answered and cut off, memory bounded
    s.sendall(b"GET / HTTP/1.1\r\n")
    sent = send_flood(s, b"X-Filler: " + b"y" * 1000 + b"\r\n", 64 << 20)
    data = recv_until_closed(s)
    check(data.startswith(b"HTTP/1.1 431"), "an endless head gets 431 (%d bytes sent)" % sent)
    check(sent < 64 << 20, "the server closed before taking 64 MB of head")
    s.close()
    s = connect(port)  # one line that never ends
    sent = send_flood(s, b"G" * 65536, 64 << 20)
    check(recv_until_closed(s).startswith(b"HTTP/1.1 431") and sent < 64 << 20, "an endless request line: 431")
    s.close()

    s = connect(port)  # a client sending many requests and reading late
    def writer():
        try:
            s.sendall(b"GET / HTTP/1.1\r\n\r\n" * 20000)
        except OSError:
            pass
    w = threading.Thread(target=writer)
    w.start()
    data = recv_count(s, b"Hello, World!", 20000)
    w.join()
    check(data.count(b"Hello, World!") == 20000, "20000 pipelined requests from a slow reader all answered")
    s.close()

    for partial in (b"GET / HTTP/1.1\r\nHost: x", b"GET / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc", b"GE"):
        s = connect(port)  # a peer that vanishes mid-request
        s.sendall(partial)
        s.close()

    s = connect(port)  # idle: closed by the idle timeout (1 s), well before ours
    s.settimeout(60)
    try:
        closed = s.recv(100) == b""
    except socket.timeout:
        closed = False
    check(closed, "an idle connection is closed by the idle timeout")
    s.close()
    check(hwm_kib(p) < 64 * 1024, "peak RSS %d KiB stays bounded" % hwm_kib(p))

    # graceful shutdown: an idle keep-alive client is cancelled at once, one
    # with a half-sent request after the grace (1 s); curl mid-transfer of a
    # request that completes is answered before the exit.
    idle = connect(port)
    idle.sendall(b"GET / HTTP/1.1\r\n\r\n")
    recv_count(idle, b"Hello, World!", 1)
    half = connect(port)
    half.sendall(b"GET / HTTP/1.1\r\n")
    time.sleep(0.2)  # let the server see both (the counts below need it)
    stop(p, want_cancelled=2)
    a, b = recv_until_closed(idle), recv_until_closed(half)
    check(a == b"" and b == b"", "both closed by the shutdown (%r, %r)" % (a[:40], b[:40]))


def redis(port, *args, stdin=None):
    r = subprocess.run(["redis-cli", "-p", str(port)] + list(args), input=stdin, capture_output=True, timeout=20)
    return r.stdout.decode().strip()


def test_resp():
    p, port = start([])
    check(redis(port, "ping") == "PONG", "redis-cli ping")
    check(redis(port, "ping", "hi there") == "hi there", "redis-cli ping with a message")
    check(redis(port, "set", "greeting", "hello world") == "OK", "redis-cli set")
    check(redis(port, "get", "greeting") == "hello world", "redis-cli get")
    check(redis(port, "get", "nothing") == "", "redis-cli get of a missing key (nil)")
    check(redis(port, "del", "greeting", "nothing") == "1", "redis-cli del")
    check(redis(port, "frobnicate").startswith("ERR unknown command"), "an unknown command is an error")
    check(redis(port, "get").startswith("ERR wrong number"), "a missing argument is an error")
    pipe = "".join("SET key:%d %d\r\n" % (i, i) for i in range(1000)).encode()
    out = redis(port, "--pipe", stdin=pipe)
    check("errors: 0, replies: 1000" in out, "redis-cli --pipe: 1000 inline SETs (%s)" % out.splitlines()[-1:])
    check(redis(port, "get", "key:999") == "999", "the piped keys are there")
    big = "v" * 100000
    check(redis(port, "set", "big", big) == "OK" and redis(port, "get", "big") == big, "a 100 kB value")

    s = connect(port)  # inline and multibulk, pipelined
    s.sendall(b"PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET k\r\n\r\n*0\r\nPING\r\n")
    data = recv_count(s, b"\r\n", 7)
    check(data == b"+PONG\r\n+OK\r\n$2\r\nv1\r\n$2\r\nv1\r\n+PONG\r\n", "pipelined inline + multibulk: %r" % data)
    s.close()
    for bad, what in ((b"*x\r\n", b"invalid multibulk length"), (b"*99\r\n", b"invalid multibulk length"),
                      (b"*1\r\n$-5\r\n", b"invalid bulk length"), (b"*1\r\n$999999999\r\n", b"invalid bulk length"),
                      (b"*1\r\n:12\r\n", b"invalid bulk length"), (b"*1\r\n$3\r\nabcde\r\n", b"expected")):
        s = connect(port)
        s.sendall(bad)
        data = recv_until_closed(s)
        check(data.startswith(b"-ERR Protocol error") and what in data, "%r: %r, then close" % (bad, data[:60]))
        s.close()
    s = connect(port)  # an inline line that never ends
    sent = send_flood(s, b"A" * 65536, 64 << 20)
    check(recv_until_closed(s).startswith(b"-ERR Protocol error: too big") and sent < 64 << 20,
          "an endless inline command is refused and cut off")
    s.close()
    for partial in (b"*3\r\n$3\r\nSET\r\n$1\r\nk", b"*2\r\n$3\r\nGET\r\n$100\r\nab", b"PIN"):
        s = connect(port)  # vanishing mid-command
        s.sendall(partial)
        s.close()
    s = connect(port)
    s.sendall(b"QUIT\r\n")
    check(recv_until_closed(s) == b"+OK\r\n", "QUIT answers and closes")
    s.close()
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-q", "-n", "2000", "-c", "20", "-P", "16", "-t",
                        "set,get,ping"], capture_output=True, timeout=60)
    check(r.returncode == 0 and r.stdout.count(b"requests per second") >= 3, "redis-benchmark -P 16 runs clean")
    check(hwm_kib(p) < 128 * 1024, "peak RSS %d KiB stays bounded" % hwm_kib(p))
    idle = connect(port)
    idle.sendall(b"PING\r\n")
    recv_count(idle, b"\r\n", 1)
    time.sleep(0.2)
    out = stop(p)
    check("connections open" in out and "ran" in out, "the shutdown report")
    check(recv_until_closed(idle) == b"", "the idle client is closed by the shutdown")


try:
    {"http": test_http, "resp": test_resp}[kind.split("_")[0]]()
except Exception as e:  # a client step raised: report it, never leave the server behind
    failures.append("%s: %s" % (type(e).__name__, e))
    print("FAIL " + failures[-1])
finally:
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()
print("%s: %s" % (kind, "OK" if not failures else "%d failed" % len(failures)))
sys.exit(1 if failures else 0)
