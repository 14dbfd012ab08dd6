#!/bin/sh
# run.sh OUTDIR "PROGS" "PEERS"   — run the bench programs and the peers, print one table.
# run.sh --smoke OUTDIR "PROGS"   — quick run of every program (BENCH_QUICK=1); fail
#                                   unless each exits 0 and prints well-formed ROW lines,
#                                   then each COUNT row alone, natively (no callgrind).
# The ROW and COUNT formats are documented at the top of bench/rules.mk.
# Instruction counts: every row a program announced with a COUNT line is run
# again alone (BENCH_ONLY, BENCH_WHO) under callgrind at two sizes (BENCH_N =
# $BENCH_ICOUNT_N1, $BENCH_ICOUNT_N2); (I2 - I1) / (N2 - N1) is printed as the
# row "WORKLOAD, instr/op" (unit instr), its target from bench/instr_targets.txt.
# For the programs named in $BENCH_SYSCALLS (e.g. the libev loop's) the same
# two sizes run under `strace -f -c` too: "WORKLOAD, syscalls/op".
smoke=0; need_rows=1
if [ "$1" = --smoke ]; then smoke=1; shift; fi
out=$1; progs=$2; peers=$3
logs=$out/logs
mkdir -p "$logs"
rows=$logs/rows.tsv; notes=$logs/notes.txt; fails=$logs/failures.txt; times=$logs/times.txt
counts=$logs/counts.tsv
: >"$rows"; : >"$notes"; : >"$fails"; : >"$times"; : >"$counts"
n1=${BENCH_ICOUNT_N1:-1000}; n2=${BENCH_ICOUNT_N2:-6000}
start=$(date +%s)

# A ROW line is valid if it has 7 tab-separated fields, a numeric value and a
# known `better`. Prints the invalid ones.
check_rows() {
    awk -F'\t' '$1 == "ROW" && (NF != 7 || $2 == "" || $3 == "" || $4 !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ || ($6 != "lower" && $6 != "higher")) { print "bad ROW line: " $0 }' "$1"
}

# run_one NAME LOG CMD... — run with a time limit, keep the log, collect ROW/NOTE lines.
# Our programs must print rows (need_rows=1); a peer may print none (e.g. a .py
# peer run under uvloop for a workload without an event loop).
run_one() {
    name=$1; log=$2; shift 2
    t0=$(date +%s.%N)
    timeout -k 5 "${BENCH_TIMEOUT:-90}" "$@" >"$log" 2>"$log.err"
    rc=$?
    echo "$name $(date +%s.%N) $t0" | awk '{ printf "%s %.1f\n", $1, $2 - $3 }' >>"$times"
    bad=$(check_rows "$log")
    if [ $rc -ne 0 ]; then
        echo "$name: exit $rc$( [ $rc -eq 124 ] && echo ' (timed out)'): $(tail -n 3 "$log.err" | tr '\n' ' ')" >>"$fails"
    elif [ -n "$bad" ]; then
        echo "$name: $bad" >>"$fails"
    elif [ "$need_rows" = 1 ] && ! grep -q '^ROW	' "$log"; then
        echo "$name: printed no ROW line" >>"$fails"
    fi
    grep '^ROW	' "$log" >>"$rows"
    grep '^NOTE	' "$log" | cut -f2- | sed "s/^/$name: /" >>"$notes"
    grep '^COUNT	' "$log" | cut -f2- | sed "s|^|$name	|" >>"$counts"
    return $rc
}

# Each counted row (PROG<TAB>workload<TAB>who in $counts): count_one PROG
# WORKLOAD WHO K (smoke: natively; bench: under callgrind; K numbers the row),
# run_counts JOBS at most JOBS at once. The lines are read on fd 3 so that the
# programs may read stdin.
run_counts() {
    k=0
    while IFS='	' read -r cp cw cwho <&3; do
        k=$((k + 1))
        if [ "$1" -gt 1 ]; then
            count_one "$cp" "$cw" "$cwho" $k &
            [ $((k % $1)) -eq 0 ] && wait
        else
            count_one "$cp" "$cw" "$cwho" $k
        fi
    done 3<"$counts"
    wait
}

if [ $smoke = 1 ]; then
    n=0
    for p in $progs; do
        n=$((n + 1))
        if [ ! -x "$out/$p" ]; then echo "$p: not built" >>"$fails"; continue; fi
        BENCH_QUICK=1 run_one "$p" "$logs/$p.smoke.log" "$out/$p"
        echo "$p: $(grep -c '^ROW	' "$logs/$p.smoke.log") rows"
    done
    if [ -s "$fails" ]; then
        echo "bench smoke: FAILED"; cat "$fails"; exit 1
    fi
    # The instruction-count mode, natively at a small size: each counted row
    # alone must run and pass its own checks (callgrind runs only in `make bench`).
    nc=0
    # It may print its own row, no other (else callgrind would count the others too).
    count_one() {
        nc=$((nc + 1))
        if ! BENCH_ONLY=$2 BENCH_WHO=$3 BENCH_N=200 timeout -k 5 60 "$out/$1" >"$logs/count.smoke.log" 2>&1; then
            echo "$1: '$2' ($3) alone (BENCH_ONLY, BENCH_N=200) failed: $(tail -n 2 "$logs/count.smoke.log" | tr '\n' ' ')" >>"$fails"
        elif awk -F'\t' -v w="$2" -v who="$3" '$1 == "ROW" && ($2 != w || $3 != who) { bad = 1 } END { exit !bad }' "$logs/count.smoke.log"; then
            echo "$1: '$2' ($3) alone (BENCH_ONLY) measured other rows too: $(grep '^ROW' "$logs/count.smoke.log" | cut -f2,3 | tr '\n\t' '; ')" >>"$fails"
        fi
    }
    run_counts 1
    if [ -s "$fails" ]; then
        echo "bench smoke: FAILED"; cat "$fails"; exit 1
    fi
    echo "bench smoke: $n programs ran, every ROW line well-formed; $nc counted rows ran alone"
    exit 0
fi

# ---- The machine ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
echo "machine: $cpu, $(nproc 2>/dev/null || echo '?') cores, $(uname -sr); compiler: $(${CC:-cc} --version 2>/dev/null | head -n 1)"
# Other processes make every figure slower: say so (ratios suffer less).
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
if [ -n "$load" ] && awk -v l="$load" -v n="$(nproc 2>/dev/null || echo 1)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "load average $load before the run: other processes compete for the CPU, figures are noisy"
fi

# ---- Our programs ----
echo "running $(echo $progs | wc -w) programs, then the peers (about a minute) ..."
for p in $progs; do
    if [ ! -x "$out/$p" ]; then echo "$p: not built (see $out-build.log)" >>"$fails"; continue; fi
    run_one "$p" "$logs/$p.log" "$out/$p"
done

# ---- Instruction counts (callgrind; exact, whatever else the machine runs) ----
# count_one PROG WORKLOAD WHO: two callgrind runs, one ROW "WORKLOAD, instr/op".
cg_total() { # cg_total PROG WORKLOAD WHO N K -> the program's total instruction count
    f=$logs/callgrind.$5.out
    rm -f "$f"
    BENCH_ONLY=$2 BENCH_WHO=$3 BENCH_N=$4 timeout -k 5 "${BENCH_TIMEOUT:-90}" \
        valgrind --tool=callgrind --callgrind-out-file="$f" "$out/$1" >"$logs/callgrind.$5.log" 2>&1 &&
        sed -n 's/^summary: *//p; s/^totals: *//p' "$f" | head -n 1 | cut -d' ' -f1
}
count_one() {
    t0=$(date +%s.%N)
    i1=$(cg_total "$1" "$2" "$3" "$n1" "$4"); i2=$(cg_total "$1" "$2" "$3" "$n2" "$4")
    echo "callgrind:$1 $(date +%s.%N) $t0" | awk '{ printf "%s %.1f\n", $1, $2 - $3 }' >>"$times"
    if [ -z "$i1" ] || [ -z "$i2" ]; then
        echo "$1: '$2' ($3) under callgrind failed: $(tail -n 2 "$logs/callgrind.$4.log" | tr '\n' ' ')" >>"$fails"
        return
    fi
    tgt=$(awk -F' *[|] *' -v w="$2" '$1 == w { print $2 }' bench/instr_targets.txt 2>/dev/null)
    [ "$3" = ours ] || tgt=""
    awk -v w="$2" -v who="$3" -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" -v t="$tgt" \
        'BEGIN { printf "ROW\t%s, instr/op\t%s\t%.1f\tinstr\tlower\t%s\n", w, who, (b - a) / (n2 - n1), t }' >"$logs/count.$4.row"
}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "runner: valgrind is not installed: no instruction counts (apt-get install valgrind)" >>"$notes"
elif [ -s "$counts" ]; then
    echo "counting instructions of $(wc -l <"$counts") rows under callgrind (N = $n1 and $n2) ..."
    rm -f "$logs"/count.*.row
    run_counts "${BENCH_ICOUNT_JOBS:-2}"
    k=0; while [ $k -lt "$(wc -l <"$counts")" ]; do k=$((k + 1)); cat "$logs/count.$k.row" 2>/dev/null; done >>"$rows"
    echo "runner: instr/op = (callgrind total at N=$n2 - total at N=$n1) / $((n2 - n1)), each row run alone; exact, load does not matter" >>"$notes"
    # The issue's relative goals, as ratios of two counted rows.
    awk -F'\t' '$1 == "ROW" && $3 == "ours" && $5 == "instr" { v[$2] = $4 }
    function r(a, b, what, goal) { if (v[a] > 0 && v[b] > 0) printf "runner: %s: %.2fx (goal %s)\n", what, v[a] / v[b], goal }
    END {
        r("pingpong (libev loop), instr/op", "pingpong, instr/op", "pingpong instructions, libev loop / core loop", "<= 1.5x")
        r("spawn (libev loop), instr/op", "spawn, instr/op", "spawn instructions, libev loop / core loop", "<= 1.5x")
        r("resume depth 64 (send), instr/op", "resume depth 1 (send), instr/op", "resume instructions (send), depth 64 / depth 1", "<= 2x")
        r("resume depth 64 (task), instr/op", "resume depth 1 (task), instr/op", "resume instructions (task), depth 64 / depth 1", "<= 2x")
    }' "$rows" >>"$notes"
fi

# System calls per operation of the counted rows of $BENCH_SYSCALLS (strace -c).
st_total() { # st_total PROG WORKLOAD WHO N -> the number of system calls
    f=$logs/strace.out
    BENCH_ONLY=$2 BENCH_WHO=$3 BENCH_N=$4 timeout -k 5 "${BENCH_TIMEOUT:-90}" \
        strace -f -c -o "$f" "$out/$1" >"$logs/strace.log" 2>&1 && awk '$NF == "total" { print $4 }' "$f"
}
if [ -n "$BENCH_SYSCALLS" ] && [ -s "$counts" ]; then
    if ! command -v strace >/dev/null 2>&1; then
        echo "runner: strace is not installed: no system call counts (apt-get install strace)" >>"$notes"
    else
        while IFS='	' read -r cp cw cwho <&3; do
            case " $BENCH_SYSCALLS " in *" $cp "*) ;; *) continue ;; esac
            s1=$(st_total "$cp" "$cw" "$cwho" "$n1"); s2=$(st_total "$cp" "$cw" "$cwho" "$n2")
            if [ -z "$s1" ] || [ -z "$s2" ]; then
                echo "$cp: '$cw' ($cwho) under strace failed: $(tail -n 2 "$logs/strace.log" | tr '\n' ' ')" >>"$fails"
                continue
            fi
            tgt=$(awk -F' *[|] *' -v w="$cw, syscalls" '$1 == w { print $2 }' bench/instr_targets.txt 2>/dev/null)
            awk -v w="$cw" -v who="$cwho" -v a="$s1" -v b="$s2" -v n1="$n1" -v n2="$n2" -v t="$tgt" \
                'BEGIN { printf "ROW\t%s, syscalls/op\t%s\t%.2f\tsyscalls\tlower\t%s\n", w, who, (b - a) / (n2 - n1), t }' >>"$rows"
        done 3<"$counts"
    fi
fi

# ---- Peers ----
# Python: prefer Debian's interpreter when it has uvloop, so asyncio and uvloop
# are measured with the same Python.
py=""; pyuv=""
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import uvloop' 2>/dev/null; then py=$cand; pyuv=$cand; break; fi
done
[ -n "$py" ] || py=$(command -v python3 || true)
node=$(command -v node || true)
gobin=$(command -v go || true)
missing=""
[ -n "$py" ] || missing="$missing asyncio (python3 not installed)"
[ -n "$pyuv" ] || missing="$missing uvloop (apt-get install python3-uvloop)"
[ -n "$node" ] || missing="$missing node (apt-get install nodejs)"
[ -n "$gobin" ] || missing="$missing go (apt-get install golang-go)"
versions=""
[ -n "$py" ] && versions="$versions $("$py" -c 'import sys; print("python %d.%d.%d" % sys.version_info[:3])')"
[ -n "$pyuv" ] && versions="$versions, uvloop $("$pyuv" -c 'import uvloop; print(uvloop.__version__)')"
[ -n "$node" ] && versions="$versions, node $("$node" --version)"
[ -n "$gobin" ] && versions="$versions, $("$gobin" version | cut -d' ' -f3)"
echo "peers:${versions:- none}"
[ -n "$missing" ] && echo "peers missing (their columns are empty):$missing"

need_rows=0
for f in $peers; do
    b=$(basename "$f")
    case $f in
    *.py)
        [ -n "$py" ] || continue
        BENCH_LOOP=asyncio run_one "$b" "$logs/peer-$b.log" "$py" "$f"
        [ -n "$pyuv" ] && BENCH_LOOP=uvloop run_one "$b(uvloop)" "$logs/peer-uv-$b.log" "$pyuv" "$f"
        ;;
    *.js) [ -n "$node" ] && run_one "$b" "$logs/peer-$b.log" "$node" "$f" ;;
    *.go) [ -n "$gobin" ] && run_one "$b" "$logs/peer-$b.log" "$gobin" run "$f" ;;
    *) echo "$f: unknown peer type" >>"$fails" ;;
    esac
done

# ---- The table ----
awk -F'\t' '
function ratio(o, p, better, unit,   r, good, bad) {
    if (o == "" || p == "" || o + 0 <= 0 || p + 0 <= 0) return ""
    if (unit ~ /^(instr|syscalls)$/) return sprintf("ours: %.3gx the peer'"'"'s count", o / p)
    r = (better == "higher") ? o / p : p / o
    if (unit ~ /^(ns|us|ms|s)$/) { good = "faster"; bad = "slower" }
    else if (unit ~ /^(B|KiB|MiB|bytes)$/) { good = "smaller"; bad = "larger" }
    else { good = "better"; bad = "worse" }
    if (r >= 1) return sprintf("ours is %.3gx %s", r, good)
    return sprintf("ours is %.3gx %s", 1 / r, bad)
}
# The scaling workloads have their own tables below; the sizes that have a
# target stay here too.
function scaling(w) {
    if (w ~ /^resume depth (1|64) / || w == "spawn N=1e6") return 0
    return w ~ /^resume depth [0-9]+ \((send|task)\)(, instr\/op)?$/ || w ~ /^(spawn|sleepers) N=1e[0-9]+( \(virtual\))?$/
}
$1 == "ROW" && !scaling($2) {
    w = $2
    if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
    if (unit[w] == "") { unit[w] = $5; better[w] = $6 }
    if ($3 == "ours") { ours[w] = $4; unit[w] = $5; better[w] = $6; if ($7 != "") target[w] = $7 }
    else { np[w]++; pname[w, np[w]] = $3; pval[w, np[w]] = $4 }
}
END {
    h[1] = "workload"; h[2] = "ours"; h[3] = "unit"; h[4] = "target"; h[5] = "peer"; h[6] = "peer value"; h[7] = "ratio"
    # Each "W, instr/op" and "W, syscalls/op" row right under W.
    m = 0
    for (i = 1; i <= nw; i++) {
        w = order[i]
        b = w; sub(/, (instr|syscalls)\/op$/, "", b)
        if (b != w && b in seen) continue
        o2[++m] = w
        if ((w ", instr/op") in seen) o2[++m] = w ", instr/op"
        if ((w ", syscalls/op") in seen) o2[++m] = w ", syscalls/op"
    }
    n = 0
    for (i = 1; i <= m; i++) {
        w = o2[i]
        k = np[w] ? np[w] : 1
        for (j = 1; j <= k; j++) {
            n++
            c[n, 1] = j == 1 ? w : ""
            c[n, 2] = j == 1 ? (w in ours ? ours[w] : "-") : ""
            c[n, 3] = j == 1 ? unit[w] : ""
            c[n, 4] = j == 1 ? target[w] : ""
            c[n, 5] = np[w] ? pname[w, j] : "-"
            c[n, 6] = np[w] ? pval[w, j] : "-"
            c[n, 7] = np[w] && (w in ours) ? ratio(ours[w], pval[w, j], better[w], unit[w]) : ""
        }
    }
    for (k = 1; k <= 7; k++) wd[k] = length(h[k])
    for (r = 1; r <= n; r++) for (k = 1; k <= 7; k++) if (length(c[r, k]) > wd[k]) wd[k] = length(c[r, k])
    line = ""
    for (k = 1; k <= 7; k++) line = line sprintf("%s%-*s", k > 1 ? " | " : "", wd[k], h[k])
    sub(/ +$/, "", line)
    print line
    line = ""
    for (k = 1; k <= 7; k++) { s = ""; for (m = 0; m < wd[k]; m++) s = s "-"; line = line (k > 1 ? "-|-" : "") s }
    print line
    for (r = 1; r <= n; r++) {
        line = ""
        for (k = 1; k <= 7; k++) {
            fmt = (k == 2 || k == 6) ? "%s%*s" : "%s%-*s"
            line = line sprintf(fmt, k > 1 ? " | " : "", wd[k], c[r, k])
        }
        sub(/ +$/, "", line)
        print line
    }
}' "$rows"
# Scaling: resume cost by nesting depth (ns and instr), spawn cost by live tasks.
awk -F'\t' '
$1 == "ROW" && $3 == "ours" && match($2, /^resume depth [0-9]+ \((send|task)\)/) {
    split(substr($2, 14), a, " ")
    d = a[1] + 0; how = substr(a[2], 2, 4)
    key = how ($2 ~ /instr/ ? ", instr/op" : ", ns")
    if (!(d in isd)) { isd[d] = 1; depths[++nd] = d }
    if (!(key in isk)) { isk[key] = 1; keys[++nk] = key }
    v[key, d] = $4
}
$1 == "ROW" && $3 == "ours" && match($2, /^(spawn|sleepers) N=1e[0-9]+( \(virtual\))?$/) {
    e = substr($2, index($2, "=1e") + 3) + 0
    key = $2 ~ /^spawn/ ? "spawn" : "sleepers (virtual clock)"
    if (!(key in isn)) { isn[key] = 1; nkeys[++nn] = key }
    nv[key, e] = $4
    if (e > emax) emax = e
    if (!emin || e < emin) emin = e
}
END {
    if (nd) {
        print ""
        line = sprintf("%-28s", "resume at depth")
        for (i = 1; i <= nd; i++) line = line sprintf(" %8d", depths[i])
        print line
        for (k = 1; k <= nk; k++) {
            line = sprintf("%-28s", keys[k])
            for (i = 1; i <= nd; i++) line = line sprintf(" %8s", ((keys[k], depths[i]) in v) ? v[keys[k], depths[i]] : "-")
            print line
        }
    }
    if (emax) {
        print ""
        line = sprintf("%-28s", "ns per task, N tasks alive")
        for (e = emin; e <= emax; e++) line = line sprintf(" %8s", "1e" e)
        print line
        for (k = 1; k <= nn; k++) {
            line = sprintf("%-28s", nkeys[k])
            for (e = emin; e <= emax; e++) line = line sprintf(" %8s", ((nkeys[k], e) in nv) ? nv[nkeys[k], e] : "-")
            print line
        }
    }
}' "$rows"
if [ -s "$notes" ]; then echo; echo "notes:"; sed 's/^/  /' "$notes"; fi
if [ -s "$fails" ]; then echo; echo "problems (rows above may be missing):"; sed 's/^/  /' "$fails"; fi
# The whole run should stay under ~2 minutes: name the programs that take longest.
echo "run time $(($(date +%s) - start)) s; slowest: $(sort -k2,2gr "$times" | head -n 6 | awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $1, $2 }')"
echo "logs: $logs"
exit 0
