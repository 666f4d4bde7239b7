# tests/bench/compare-lib.sh: the pieces of compare.sh (sourced by it; bash). Every function
# uses $T (the run's temp dir), $BUILD's programs and the token from tests/lib/softhsm.sh.
#
#   cmp_setup BUILD_DIR TOOL...   checks the build's programs and the TOOLs; sets BUILD etc.
#   cmp_workdir PREFIX         temp dir $T; key files $T/rsa.pem, $T/ed.pem (openssl) imported
#                              into a fresh token as bench-rsa, bench-ed; KT; $T/keys.txt
#   cmp_messages DIR MB        m3k.eml (3 KB), m1m.eml (1 MB MIME with a base64 attachment),
#                              mprose.eml, mhtml.eml (1 MB of text, of HTML), mbig.eml (MB
#                              megabytes, the shape of m1m.eml)
#   cmp_p11_conf FILE SOCKET [KEY...]   p11dkim configuration: relaxed/relaxed, default header
#                              list, one signature per KEY (rsa, ed; default rsa)
#   cmp_odk_conf FILE SOCKET [KEY]   OpenDKIM configuration: Mode s, the header list in
#                              $CMP_HLIST, the key file of KEY (rsa or ed; default rsa)
#   cmp_start_p11 NAME CONF    starts p11dkim -f; sets CMP_PID; log in $T/NAME.log
#   cmp_start_odk NAME CONF SOCKET   the same for opendkim -f
#   cmp_stop PID               SIGTERM, then SIGKILL after 10 s
#   cmp_sanity NAME "SOCKET..." N   signs each message once (--print $T/NAME-*.eml), through
#                              the SOCKETs as a chain, each with N signatures, queued for
#                              cmp_verify; prints the h= list of the first signature of m3k.eml
#   cmp_verify                 dkimpy verifies every queued signature; exits if one fails
#   cmp_token_bench NAME THREADS SECONDS   keytool bench, its CPU time in $T/res/NAME.cpu
#   cmp_load NAME "PID..." "SOCKET..." CONNS MSG ARGS...   p11dkim-load, figures in
#                              $T/res/NAME.out, plus daemon_cpu_ms_per_message from the PIDs'
#                              /proc/PID/stat (added: several SOCKETs are a chain of milters)
#                              and, for one p11dkim, the CPU inside C_Sign from its metrics file
#   cmp_mem NAME PID TAG       VmRSS and VmHWM (kB) into $T/res/mem-NAME-TAG
#   cmp_median NAME ROUNDS     $T/res/NAME.out: each figure's median over NAME-r1 ... NAME-rROUNDS
#   cmp_table                  the table, ratios and targets

# cmp_setup BUILD_DIR TOOL...: the build's programs (P11DKIM, LOAD, KEYTOOL) and the system's
# TOOLs must be there; exits 2 naming what is missing.
cmp_setup() {
	local b t
	BUILD=$(cd "${1:-$top_srcdir/_build/plain}" 2>/dev/null && pwd) || {
		echo "$(basename "$0"): no build directory ${1:-$top_srcdir/_build/plain}" >&2
		exit 2
	}
	shift
	P11DKIM=$BUILD/daemon/p11dkim
	LOAD=$BUILD/tools/p11dkim-load
	KEYTOOL=$BUILD/tools/p11dkim-keytool
	for b in "$P11DKIM" "$LOAD" "$KEYTOOL"; do
		[ -x "$b" ] || {
			echo "$(basename "$0"): $b is not built (make -C $BUILD)" >&2
			exit 2
		}
	done
	PATH=$PATH:/usr/sbin
	for t in "$@"; do
		command -v "$t" >/dev/null || {
			echo "$(basename "$0"): $t is not installed" >&2
			exit 2
		}
	done
}

# cmp_workdir PREFIX: the run's temp dir $T (/tmp/PREFIX.XXXXXX: unix socket paths are limited
# to 108 bytes), removed at exit unless KEEP=1, with a fresh SoftHSM token; KT is the keytool
# command line for it. An RSA-2048 and an Ed25519 key are made by openssl as PEM files
# ($T/rsa.pem, $T/ed.pem: OpenDKIM's key files) and imported into the token as "bench-rsa" and
# "bench-ed", so that both daemons sign with the same keys; $T/keys.txt holds their DNS records
# (selectors rsa and ed of example.com) for tests/lib/dkim-verify.py.
cmp_workdir() {
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	chmod 700 "$T"
	mkdir "$T/res"
	trap cmp_cleanup EXIT
	trap 'exit 1' INT TERM
	softhsm_setup "$T/hsm" || cmp_die "softhsm_setup failed"
	KT=("$KEYTOOL" --module "$P11DKIM_MODULE" --token "$P11DKIM_TOKEN" --pin-file "$P11DKIM_PIN_FILE")
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>"$T/keygen.out" &&
		openssl genpkey -algorithm ED25519 -out "$T/ed.pem" 2>>"$T/keygen.out" ||
		cmp_die "openssl genpkey: $(cat "$T/keygen.out")"
	"${KT[@]}" import --label bench-rsa --pem "$T/rsa.pem" >>"$T/keygen.out" 2>&1 &&
		"${KT[@]}" import --label bench-ed --pem "$T/ed.pem" >>"$T/keygen.out" 2>&1 ||
		cmp_die "keytool import: $(cat "$T/keygen.out")"
	{
		echo "rsa._domainkey.example.com $("${KT[@]}" dns --label bench-rsa --domain example.com \
			--selector rsa --one-line)"
		echo "ed._domainkey.example.com $("${KT[@]}" dns --label bench-ed --domain example.com \
			--selector ed --one-line)"
	} >"$T/keys.txt" 2>>"$T/keygen.out" || cmp_die "keytool dns: $(cat "$T/keygen.out")"
	: >"$T/verify.list"
}

CMP_PIDS=""
# p11dkim's metrics file by daemon PID (cmp_start_p11), read by cmp_load.
declare -A CMP_PROM
CLK_TCK=$(getconf CLK_TCK)

cmp_cleanup() {
	local p
	for p in $CMP_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $CMP_PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ "${KEEP:-0}" -eq 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}

cmp_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

cmp_note() {
	printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*"
}

# Whole-number or decimal arithmetic: cmp_calc 'EXPR' [FORMAT].
cmp_calc() {
	awk "BEGIN { x = $1; printf \"${2:-%.2f}\", x }" 2>/dev/null
}

cmp_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmp_machine() {
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
		sort | uniq -c | sed 's/^ *//' | tr '\n' ' ')"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel $(uname -r); $(openssl version | cut -d' ' -f1-2);" \
		"SoftHSM $(dpkg-query -W -f '${Version}' softhsm2 2>/dev/null);" \
		"$(opendkim -V 2>/dev/null | head -1 | sed 's/.*Filter //')"
}

# A message: the headers every message has, then the body on stdin.
cmp_message() {
	printf 'From: Alice Example <alice@example.com>\r\n'
	printf 'To: Bob Example <bob@example.net>\r\n'
	printf 'Subject: quarterly figures\r\n'
	printf 'Date: Mon, 23 Nov 2026 19:00:00 +0000\r\n'
	printf 'Message-ID: <%s@example.com>\r\n' "$1"
	printf 'MIME-Version: 1.0\r\n'
	cat
}

cmp_messages() {
	# 3 KB: a text message of ordinary prose lines.
	$PY - <<'EOF' | cmp_message bench-3k >"$1/m3k.eml"
import sys
w = ("Dear Bob, the figures for the third quarter are attached below. Sales rose in every "
     "region except the north, where two stores closed for  renovation.  Costs were flat. ").split(" ")
out, line, size = [], "", 0
i = 0
while size < 2700:
    word = w[i % len(w)]; i += 1
    if len(line) + len(word) + 1 > 72:
        out.append(line); size += len(line) + 2; line = word
    else:
        line = (line + " " + word) if line else word
out.append(line)
sys.stdout.write("Content-Type: text/plain; charset=us-ascii\r\n\r\n" + "\r\n".join(out) + "\r\n")
EOF
	cmp_mime_big 1 >"$1/m1m.eml"
	cmp_mime_big "$2" >"$1/mbig.eml"
	cmp_text_big prose | cmp_message bench-prose >"$1/mprose.eml"
	cmp_text_big html | cmp_message bench-html >"$1/mhtml.eml"
}

# cmp_text_big prose|html: a single-part 1 MB body with its Content-Type field, as
# tests/dkim/dkim-bench makes its prose and HTML inputs (the same words, xorshift generator and
# seed; the same HTML block), so that its MB/s and these messages/s describe the same bytes.
# Prose: words and single SPs in lines of at most 70 columns. HTML: indented markup with
# attributes, a TAB and trailing SPs, one table block repeated.
cmp_text_big() {
	$PY - "$1" <<'EOF'
import sys
size = 1 << 20
if sys.argv[1] == "prose":
    words = ("the of and a to in is message signed token that it for was on are with as mail "
             "server be at this have from or one had by word but not what all were when we "
             "there can quarterly report, figures. receiver domain header body. signature key "
             "selector").split()
    seed, out, col, n = 17, [], 0, 0
    while n < size - 80:
        # xorshift32, as dkim-bench's rnd()
        seed ^= (seed << 13) & 0xffffffff
        seed ^= seed >> 17
        seed ^= (seed << 5) & 0xffffffff
        w = words[seed % len(words)]
        if col + 1 + len(w) > 70:
            out.append("\r\n"); n += 2; col = 0
        elif col > 0:
            out.append(" "); n += 1; col += 1
        out.append(w); n += len(w); col += len(w)
    body, ctype = "".join(out) + "\r\n", "text/plain; charset=us-ascii"
else:
    block = ("<table class=\"report\">\r\n"
             "  <tr>\r\n"
             "    <td style=\"padding: 4px; font-family: Arial, sans-serif\">Quarterly "
             "figures for the third quarter</td>\r\n"
             "    <td>\t<a href=\"https://example.com/report?id=1234\">open the "
             "report</a></td>  \r\n"
             "  </tr>\r\n"
             "</table>\r\n")
    body, ctype = block * (size // len(block)), "text/html; charset=us-ascii"
sys.stdout.write("Content-Type: " + ctype + "\r\n\r\n" + body)
EOF
}

# A MIME message of MB megabytes: a short text part and a base64 attachment (76-byte lines),
# the usual shape of a large mail.
cmp_mime_big() {
	$PY - "$1" <<'EOF' | cmp_message "bench-$1m"
import base64, random, sys
size = int(sys.argv[1]) << 20
rnd = random.Random(42)
head = ("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nThe report is attached.\r\n\r\n"
        "--b1\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n")
tail = "--b1--\r\n"
room = size - len(head) - len(tail) - 200
raw = rnd.getrandbits(8 * (room * 3 // 4 * 76 // 78)).to_bytes(room * 3 // 4 * 76 // 78, "little")
b = base64.b64encode(raw).decode()
lines = "\r\n".join(b[i:i + 76] for i in range(0, len(b), 76))
sys.stdout.write(head + lines + "\r\n" + tail)
EOF
}

cmp_p11_conf() {
	local conf=$1 sock=$2 k keys=""
	shift 2
	[ $# -gt 0 ] || set -- rsa
	for k in "$@"; do
		keys="$keys${keys:+, }{ selector = \"$k\"; key = \"bench-$k\"; }"
	done
	set -- "$conf" "$sock"
	cat >"$1" <<EOF
socket = "$2";
log = "stderr";
token: {
  module = "$P11DKIM_MODULE";
  token = "$P11DKIM_TOKEN";
  pin_file = "$P11DKIM_PIN_FILE";
};
sign: {
  canonicalization = "relaxed/relaxed";
  internal_hosts = [ "127.0.0.1" ];
};
domains = ( { domain = "example.com"; keys = ( $keys ); } );
metrics_file = "${1%.conf}.prom";
metrics_interval = 1;
EOF
	chmod 600 "$1"
}

cmp_odk_conf() {
	local k=${3:-rsa} alg=rsa-sha256
	[ "$k" = ed ] && alg=ed25519-sha256
	cat >"$1" <<EOF
Mode s
Socket $2
Domain example.com
Selector $k
KeyFile $T/$k.pem
Canonicalization relaxed/relaxed
SignatureAlgorithm $alg
SignHeaders $CMP_HLIST
OversignHeaders $CMP_HLIST
InternalHosts 127.0.0.1
Syslog no
Background no
RequireSafeKeys false
UserID $(id -un)
EOF
}

cmp_start_p11() {
	"$P11DKIM" -f -c "$2" >"$T/$1.log" 2>&1 &
	CMP_PID=$!
	CMP_PIDS="$CMP_PIDS $CMP_PID"
	CMP_PROM[$CMP_PID]=${2%.conf}.prom
	local i=0
	while [ $i -lt 300 ]; do
		grep -q " started: " "$T/$1.log" && return 0
		kill -0 "$CMP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	cmp_die "p11dkim ($1) did not start: $(tail -5 "$T/$1.log")"
}

cmp_start_odk() {
	opendkim -x "$2" -f >"$T/$1.log" 2>&1 &
	CMP_PID=$!
	CMP_PIDS="$CMP_PIDS $CMP_PID"
	local i=0 port
	while [ $i -lt 300 ]; do
		case $3 in
		unix:*) [ -S "${3#unix:}" ] && return 0 ;;
		inet:*)
			port=${3#inet:}
			port=${port%%@*}
			$PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" \
				2>/dev/null && return 0
			;;
		esac
		kill -0 "$CMP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	cmp_die "opendkim ($1) did not start: $(tail -5 "$T/$1.log")"
}

cmp_stop() {
	local i=0
	kill -TERM "$1" 2>/dev/null
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	CMP_PIDS=$(echo "$CMP_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# The h= list of the one signature in FILE, names in order, one line, colon-separated.
cmp_hlist() {
	$PY - "$1" <<'EOF'
import re, sys
m = open(sys.argv[1], "rb").read().decode("latin-1")
sig = re.search(r"(?ims)^DKIM-Signature:(.*?)\r?\n(?![ \t])", m).group(1)
h = re.search(r"(?s)\bh=([^;]*)", sig).group(1)
print(re.sub(r"\s+", "", h))
EOF
}

cmp_sanity() {
	local name=$1 n=$3 m s args=()
	for s in $2; do
		args+=(--socket "$s")
	done
	for m in m3k m1m mprose mhtml; do
		"$LOAD" "${args[@]}" --messages 1 --message "$T/$m.eml" --print "$T/$name-$m.eml" \
			--fail-on-error >"$T/res/$name-$m-sanity.out" 2>&1 ||
			cmp_die "$name did not sign $m.eml: $(cat "$T/res/$name-$m-sanity.out")"
		[ "$(cmp_fig "$name-$m-sanity" signatures)" = "$n" ] ||
			cmp_die "$name added $(cmp_fig "$name-$m-sanity" signatures) DKIM-Signature(s) to $m.eml, not $n"
		echo "$T/$name-$m.eml $n" >>"$T/verify.list"
	done
	cmp_hlist "$T/$name-m3k.eml"
}

# Every sample of cmp_sanity, judged by dkimpy in one Python start.
cmp_verify() {
	$PY "$top_srcdir/tests/lib/dkim-verify.py" --list "$T/verify.list" "$T/keys.txt" \
		>"$T/res/verify.out" 2>&1 ||
		cmp_die "a signature does not verify: $(grep -v '^PASS' "$T/res/verify.out")"
	echo "dkimpy: $(grep -c '^PASS' "$T/res/verify.out") signature(s) verified, none failed"
}

cmp_fig() {
	sed -n "s/^$2=//p" "$T/res/$1.out" | head -1
}

# Process CPU time (user + system, all threads) in clock ticks, of all the PIDs given.
cmp_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# bash's `times` (in FILE): the second line is the children's user and system time, as 1m2.345s.
cmp_children_cpu() {
	sed -n 2p "$1" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.3f\n", t }'
}

cmp_token_bench() {
	(
		"${KT[@]}" bench --label bench-rsa --threads "$2" --seconds "$3" \
			>"$T/res/$1.out" 2>"$T/res/$1.err"
		times >"$T/res/$1.times"
	)
	cmp_children_cpu "$T/res/$1.times" >"$T/res/$1.cpu"
	sed -n 's/^label=.* \(signs=[0-9]*\) .*\(signs_per_sec=[0-9.]*\)$/\1\n\2/p' \
		"$T/res/$1.out" >>"$T/res/$1.out"
	echo "cpu_seconds=$(cat "$T/res/$1.cpu")" >>"$T/res/$1.out"
	[ -n "$(cmp_fig "$1" signs_per_sec)" ] || cmp_die "keytool bench failed: $(cat "$T/res/$1.err")"
	printf '    %-12s %s signatures/s, %s signatures, process CPU %s s\n' "$1" \
		"$(cmp_fig "$1" signs_per_sec)" "$(cmp_fig "$1" signs)" "$(cmp_fig "$1" cpu_seconds)"
}

# A sample of p11dkim's metrics file.
cmp_prom() {
	sed -n "s/^$2 //p" "$1" | head -1
}

# Waits until the daemon has written its metrics file after now (it writes every second), so
# that the file holds the counters as they are: the daemon is idle before and after a run.
cmp_prom_fresh() {
	local t0 i=0
	t0=$(date +%s)
	while [ $i -lt 40 ]; do
		sleep 0.1
		[ "$(cmp_prom "$1" p11dkim_metrics_written_time_seconds)" -gt "$t0" ] 2>/dev/null &&
			return 0
		i=$((i + 1))
	done
	cmp_die "p11dkim did not write $1"
}

# cmp_prom_change A B SAMPLE FORMAT: SAMPLE in snapshot B minus SAMPLE in snapshot A.
cmp_prom_change() {
	cmp_calc "$(cmp_prom "$2" "$3") - $(cmp_prom "$1" "$3")" "$4"
}

# From two snapshots of the metrics file: the CPU inside C_SignInit + C_Sign per signature, and
# the daemon's CPU per signed message beyond it. Both counters come from the same write, so
# the two figures describe the same messages; no separate token run is subtracted.
cmp_prom_delta() {
	local cpu tok signs msgs
	cpu=$(cmp_prom_change "$1" "$2" p11dkim_process_cpu_seconds_total %.9f)
	tok=$(cmp_prom_change "$1" "$2" p11dkim_token_sign_cpu_seconds_total %.9f)
	signs=$(cmp_prom_change "$1" "$2" p11dkim_token_signs_total %d)
	msgs=$(cmp_prom_change "$1" "$2" p11dkim_messages_signed_total %d)
	echo "token_cpu_ms_per_sign=$(cmp_calc "$signs > 0 ? $tok * 1000 / $signs : 0" %.3f)"
	echo "beyond_sign_cpu_ms_per_message=$(cmp_calc "$msgs > 0 ? ($cpu - $tok) * 1000 / $msgs : 0" %.3f)"
}

cmp_load() {
	local name=$1 pids=$2 conns=$4 msg=$5 c0 c1 n s socks=() prom=${CMP_PROM[$2]:-}
	for s in $3; do
		socks+=(--socket "$s")
	done
	shift 5
	if [ -n "$prom" ]; then
		cmp_prom_fresh "$prom"
		cp "$prom" "$T/res/$name.prom0"
	fi
	# shellcheck disable=SC2086
	c0=$(cmp_ticks $pids)
	"$LOAD" "${socks[@]}" --conns "$conns" --message "$msg" "$@" \
		>"$T/res/$name.out" 2>"$T/res/$name.err"
	# shellcheck disable=SC2086
	c1=$(cmp_ticks $pids)
	n=$(cmp_fig "$name" messages)
	[ -n "$n" ] || cmp_die "p11dkim-load failed ($name): $(cat "$T/res/$name.err")"
	echo "daemon_cpu_ms_per_message=$(cmp_calc "$n > 0 ? ($c1 - $c0) * 1000 / $CLK_TCK / $n : 0" %.3f)" \
		>>"$T/res/$name.out"
	if [ -n "$prom" ]; then
		cmp_prom_fresh "$prom"
		cp "$prom" "$T/res/$name.prom1"
		cmp_prom_delta "$T/res/$name.prom0" "$T/res/$name.prom1" >>"$T/res/$name.out"
	fi
	# CMP_SIGS: signatures a message should carry (2 for RSA + Ed25519; set by the caller).
	if [ "$(cmp_fig "$name" signatures)" != "$((n * ${CMP_SIGS:-1}))" ] ||
		[ "$(cmp_fig "$name" errors)" != 0 ]; then
		echo "WARNING: $name: $(cmp_fig "$name" signatures) signatures for $n messages," \
			"$(cmp_fig "$name" errors) errors, $(cmp_fig "$name" tempfails) tempfails:" \
			"$(head -c 300 "$T/res/$name.err")" | tee -a "$T/warnings"
	fi
	printf '    %-12s %8s msg/s  p50 %7s  p99 %8s ms  daemon CPU %7s ms/msg  (load gen %s ms/msg)%s\n' \
		"$name" "$(cmp_fig "$name" messages_per_second)" "$(cmp_fig "$name" latency_p50_ms)" \
		"$(cmp_fig "$name" latency_p99_ms)" "$(cmp_fig "$name" daemon_cpu_ms_per_message)" \
		"$(cmp_fig "$name" cpu_ms_per_message)" \
		"${prom:+; in C_Sign $(cmp_fig "$name" token_cpu_ms_per_sign), beyond it $(cmp_fig "$name" beyond_sign_cpu_ms_per_message)}"
}

# cmp_median_of "LIST" [FORMAT]: the median of a list of numbers (printf FORMAT, else as awk
# prints a number).
cmp_median_of() {
	echo "$1" | tr ' ' '\n' | sort -g | awk -v f="${2:-}" '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		if (f != "") printf f, m; else print m }'
}

cmp_median() {
	local name=$1 n=$2 r files="" key vals
	for r in $(seq 1 "$n"); do
		files="$files $T/res/$name-r$r.out"
	done
	# Each numeric figure with its values in round order, then its median.
	# shellcheck disable=SC2086
	awk -F= 'NF == 2 && $2 ~ /^-?[0-9]+(\.[0-9]+)?$/ {
			if (!($1 in v)) order[++k] = $1
			v[$1] = v[$1] " " $2 }
		END { for (i = 1; i <= k; i++) print order[i] "=" substr(v[order[i]], 2) }' $files |
		while IFS== read -r key vals; do
			echo "$key=$(cmp_median_of "$vals")"
			echo "${key}_rounds=$vals"
		done >"$T/res/$name.out"
}

cmp_mem() {
	grep -E '^(VmRSS|VmHWM):' "/proc/$2/status" |
		awk '{ printf "%s=%s\n", tolower(substr($1, 1, length($1) - 1)), $2 }' \
			>"$T/res/mem-$1-$3.out"
	printf '    memory %-4s after %-4s runs: VmRSS %s kB, VmHWM %s kB\n' "$1" "$3" \
		"$(cmp_fig "mem-$1-$3" vmrss)" "$(cmp_fig "mem-$1-$3" vmhwm)"
}
