#!/usr/bin/env python3
"""check_tutorial.py BUILD — the tutorial cannot rot.

Every fenced block in tutorial/NN-*.md is tied to the code by the HTML comment
on the line just before it:
  <!-- source: examples/X.c -->   the block is the whole file, exactly;
  <!-- excerpt: examples/X.c -->  the block's lines appear in the file, in one
                                  piece, exactly (a clearly delimited excerpt);
  <!-- output: X -->              the block is exactly what BUILD/examples/X
                                  prints now (run with ASYNC_VIRTUAL_TIME=1);
  <!-- output-shape: X -->        for outputs with measured numbers: the block
                                  is a real run's output: it matches
                                  examples/expected/X.re line by line and
                                  passes examples/expected/X.claim.
Blocks in C must carry source/excerpt, plain/text blocks output/output-shape;
sh, console and python blocks are free. Every example program is quoted by at
least one chapter. Exit status 1 with a list of every mismatch."""
import glob, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else "build"
if not os.path.isabs(build):
    build = os.path.join(root, build)
errors, outputs, quoted = [], {}, set()
FREE = {"sh", "console", "python", "make"}


def run(name):
    if name not in outputs:
        exe = os.path.join(build, "examples", name)
        if not os.access(exe, os.X_OK):
            outputs[name] = None
        else:
            env = dict(os.environ, ASYNC_VIRTUAL_TIME="1")
            p = subprocess.run([exe], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=60)
            outputs[name] = p.stdout.decode()
    return outputs[name]


def first_diff(want, got):
    w, g = want.splitlines(), got.splitlines()
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<missing>"
        b = g[i] if i < len(g) else "<missing>"
        if a != b:
            return "line %d: tutorial has %r, now %r" % (i + 1, a, b)
    return "differs"


def check_block(where, marker, lang, body):
    kind, _, arg = marker.partition(":")
    kind, arg = kind.strip(), arg.strip()
    if kind in ("source", "excerpt"):
        if lang != "c":
            errors.append("%s: %s block should be ```c" % (where, kind))
        path = os.path.join(root, arg)
        if not os.path.exists(path):
            errors.append("%s: %s does not exist" % (where, arg))
            return
        text = open(path).read()
        quoted.add(os.path.basename(arg)[:-2])
        if kind == "source" and body != text:
            errors.append("%s: quoted %s differs from the file (%s)" % (where, arg, first_diff(body, text)))
        if kind == "excerpt":
            lines, flines = body.splitlines(), text.splitlines()
            n = len(lines)
            if not n or not any(flines[i:i + n] == lines for i in range(len(flines) - n + 1)):
                errors.append("%s: excerpt is not a contiguous piece of %s (%r...)" % (where, arg, lines[:1]))
    elif kind == "output":
        got = run(arg)
        if got is None:
            errors.append("%s: example %s is not built in %s/examples" % (where, arg, build))
        elif body != got:
            errors.append("%s: output of %s changed (%s)" % (where, arg, first_diff(body, got)))
    elif kind == "output-shape":
        re_path = os.path.join(root, "examples", "expected", arg + ".re")
        claim = os.path.join(root, "examples", "expected", arg + ".claim")
        if os.path.exists(re_path):
            pats = open(re_path).read().splitlines()
            lines = body.splitlines()
            if len(pats) != len(lines):
                errors.append("%s: %s output has %d lines, the program prints %d" % (where, arg, len(lines), len(pats)))
            for i, (p, l) in enumerate(zip(pats, lines)):
                if not re.fullmatch(p, l):
                    errors.append("%s: %s output line %d %r does not match /%s/" % (where, arg, i + 1, l, p))
        if os.path.exists(claim):
            p = subprocess.run(["sh", claim], input=body.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode:
                errors.append("%s: quoted %s output fails its claim: %s" % (where, arg, p.stdout.decode().strip()))
        if not os.path.exists(re_path) and not os.path.exists(claim):
            errors.append("%s: no examples/expected/%s.re or .claim to check the shape against" % (where, arg))
    else:
        errors.append("%s: unknown marker %r" % (where, marker))


chapters = sorted(glob.glob(os.path.join(root, "tutorial", "[0-9][0-9]-*.md")))
if not chapters:
    errors.append("no chapters in tutorial/")
nblocks = 0
for path in chapters:
    name = os.path.relpath(path, root)
    lines = open(path).read().split("\n")
    i, marker = 0, None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^```(\S*)\s*$", line)
        if m:
            lang, start = m.group(1), i
            i += 1
            body = []
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                errors.append("%s:%d: unterminated code block" % (name, start + 1))
                break
            text = "\n".join(body) + "\n"
            where = "%s:%d" % (name, start + 1)
            nblocks += 1
            if marker:
                check_block(where, marker, lang, text)
            elif lang not in FREE:
                errors.append("%s: ```%s block without a source/excerpt/output marker" % (where, lang))
            marker = None
        else:
            mm = re.match(r"^<!--\s*(.*?)\s*-->\s*$", line)
            if mm:
                marker = mm.group(1)
            elif line.strip():
                marker = None
        i += 1

examples = {os.path.basename(p)[:-2] for p in glob.glob(os.path.join(root, "examples", "*.c"))}
for missing in sorted(examples - quoted - {"port_host", "port_fmt", "tour"}):
    errors.append("examples/%s.c is not quoted by any chapter" % missing)

for e in errors:
    print("tutorial: " + e)
print("tutorial: %d chapters, %d code blocks, %d examples quoted: %s" %
      (len(chapters), nblocks, len(quoted), "OK" if not errors else "%d problems" % len(errors)))
sys.exit(1 if errors else 0)
