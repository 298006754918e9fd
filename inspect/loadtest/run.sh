#!/usr/bin/env bash
# Side-by-side load test: the same signed webhook, at the same concurrency, sent
# with wrk to (1) the handler directly, (2) Caddy's reverse_proxy in front of it,
# (3) `swhook listen` in front of it (verifying the signature, storing every
# exchange durably, checking the answer; run with --enforce-signature so a bad
# signature could not go unnoticed, and --keep 0 so every answered webhook can
# be counted in the store afterwards). Prints requests/sec and p50/p99 for
# each, the swhook/Caddy throughput ratio and swhook's p50 added latency over
# the direct baseline.
#
# Everything listens on loopback; every process started here is stopped on
# exit; every wrk run is bounded by --duration.
#
# Usage: inspect/loadtest/run.sh [--duration SECONDS] [--connections N]
#                                [--threads N] [--warmup SECONDS] [--no-install]
#                                [--rounds N] [--swhook PATH]
#
# --rounds N runs the three targets N times, interleaved, and reports the
# median of each figure: on a shared machine it evens out background load.
# --swhook PATH uses a built binary instead of building this tree.
set -euo pipefail

duration=10
connections=16
threads=2
warmup=1
rounds=1
install=1
swhook_bin=""

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration="${2:-}"; shift 2 ;;
	--duration=*) duration="${1#*=}"; shift ;;
	--connections) connections="${2:-}"; shift 2 ;;
	--connections=*) connections="${1#*=}"; shift ;;
	--threads) threads="${2:-}"; shift 2 ;;
	--threads=*) threads="${1#*=}"; shift ;;
	--warmup) warmup="${2:-}"; shift 2 ;;
	--warmup=*) warmup="${1#*=}"; shift ;;
	--rounds) rounds="${2:-}"; shift 2 ;;
	--rounds=*) rounds="${1#*=}"; shift ;;
	--no-install) install=0; shift ;;
	--swhook) swhook_bin="${2:-}"; shift 2 ;;
	--swhook=*) swhook_bin="${1#*=}"; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_int "$duration" && [ "$duration" -ge 1 ] && [ "$duration" -le 60 ] || die "--duration must be whole seconds from 1 to 60, not '$duration'"
is_int "$connections" && [ "$connections" -ge 1 ] && [ "$connections" -le 1000 ] || die "--connections must be from 1 to 1000, not '$connections'"
is_int "$threads" && [ "$threads" -ge 1 ] && [ "$threads" -le "$connections" ] || die "--threads must be from 1 to --connections, not '$threads'"
is_int "$warmup" && [ "$warmup" -le 10 ] || die "--warmup must be whole seconds from 0 to 10, not '$warmup'"
is_int "$rounds" && [ "$rounds" -ge 1 ] && [ "$rounds" -le 9 ] || die "--rounds must be from 1 to 9, not '$rounds'"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# --- tools -------------------------------------------------------------------

need=()
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ "${#need[@]}" -gt 0 ]; then
	[ "$install" = 1 ] || die "missing ${need[*]}; install them or drop --no-install"
	command -v apt-get >/dev/null 2>&1 || die "missing ${need[*]} and no apt-get to install them with"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	for p in "${need[@]}"; do
		apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' || $sudo apt-get update -qq
	done
	echo "installing ${need[*]} ..." >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
for t in go curl openssl base64; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t"
done

# --- processes: everything started is stopped on exit --------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/swhook-loadtest.XXXXXX")"
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		# Give each a moment to flush (swhook commits its store), then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback port nothing listens on.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free loopback port found"
}

# wait_http waits until URL answers HTTP at all (any status), or fails as
# soon as the process behind it has exited.
wait_http() {
	local url="$1" name="$2" log="$3" pid="$4"
	for _ in $(seq 1 100); do
		if curl -s -o /dev/null -m 1 -X POST "$url" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "run.sh: $name did not start; its log:" >&2
	tail -n 20 "$log" >&2 || true
	exit 1
}

# --- build -------------------------------------------------------------------

if [ -n "$swhook_bin" ]; then
	[ -x "$swhook_bin" ] || die "--swhook $swhook_bin is not an executable"
	cp "$swhook_bin" "$tmp/swhook"
	echo "building the handler ..." >&2
	(cd "$repo" && go build -o "$tmp/handler" ./inspect/loadtest/handler)
else
	echo "building swhook and the handler ..." >&2
	(cd "$repo" && go build -o "$tmp/swhook" . && go build -o "$tmp/handler" ./inspect/loadtest/handler)
fi

# --- the request -------------------------------------------------------------

handler_port="$(free_port)"
caddy_port="$(free_port)"
swhook_port="$(free_port)"
key="loadtest-$RANDOM$RANDOM"
path="/voice"

# A realistic inbound-call webhook, as SignalWire posts it.
body='AccountSid=4c7f1f4e-7b3f-4e6d-9a7e-3f2b1c0d9e8a&ApiVersion=2010-04-01&CallSid=b3877c40-da60-4998-90ad-b792e98472ca&CallStatus=ringing&Direction=inbound&ForwardedFrom=&CallerName=&From=%2B15557654321&To=%2B15551234567&ParentCallSid='

urldecode() {
	local s="${1//+/ }"
	printf '%b' "${s//%/\\x}"
}

# sign prints the Compatibility (form) signature of a form body for a URL:
# base64 HMAC-SHA1 over the URL followed by every parameter's name and decoded
# value, sorted by name.
sign() {
	local signing_key="$1" url="$2" data="$3" pair k v
	{
		printf '%s' "$url"
		tr '&' '\n' <<<"$data" | LC_ALL=C sort -t= -k1,1 -s | while IFS= read -r pair; do
			[ -n "$pair" ] || continue
			k="${pair%%=*}"
			v=""
			[ "$pair" = "$k" ] || v="${pair#*=}"
			urldecode "$k"
			urldecode "$v"
		done
	} | openssl dgst -sha1 -hmac "$signing_key" -binary | base64
}

# The published vector (DESIGN.md) guards the shell implementation.
vector="$(sign 12345 'https://mycompany.com/myapp.php?foo=1&bar=2' \
	'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212')"
[ "$vector" = "RSOYDt4T1cUTdK1PDd93/VVr8B8=" ] || die "the signing code is wrong: published vector gave $vector"

# swhook checks the signature against the URL it was reached at.
signature="$(sign "$key" "http://127.0.0.1:$swhook_port$path" "$body")"

lua="$tmp/post.lua"
cat >"$lua" <<EOF
wrk.method = "POST"
wrk.path = "$path"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-SignalWire-Signature"] = "$signature"
wrk.headers["User-Agent"] = "TwilioProxy/1.1"
EOF

# --- start the three targets --------------------------------------------------

"$tmp/handler" -addr "127.0.0.1:$handler_port" >"$tmp/handler.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$handler_port/" handler "$tmp/handler.log" $!

mkdir -p "$tmp/caddy"
cat >"$tmp/Caddyfile" <<EOF
{
	admin off
	auto_https off
	skip_install_trust
	log {
		output discard
	}
}
http://127.0.0.1:$caddy_port {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$handler_port
}
EOF
XDG_DATA_HOME="$tmp/caddy" XDG_CONFIG_HOME="$tmp/caddy" HOME="$tmp/caddy" \
	caddy run --config "$tmp/Caddyfile" --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$caddy_port/" caddy "$tmp/caddy.log" $!

"$tmp/swhook" listen --no-tunnel --no-tui \
	--forward "http://127.0.0.1:$handler_port" \
	--addr "127.0.0.1:$swhook_port" \
	--store "$tmp/x.db" \
	--signing-key "$key" --enforce-signature --keep 0 >"$tmp/swhook.log" 2>&1 </dev/null &
pids+=($!)
wait_http "http://127.0.0.1:$swhook_port/" swhook "$tmp/swhook.log" $!

# Before measuring, one request through swhook must come back 200. swhook runs
# with --enforce-signature, so this also proves the signature wrk sends is
# valid: every measured request takes the full path (verify, forward, store).
code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST \
	-H 'Content-Type: application/x-www-form-urlencoded' \
	-H "X-SignalWire-Signature: $signature" \
	--data-binary "$body" "http://127.0.0.1:$swhook_port$path")"
[ "$code" = 200 ] || { echo "run.sh: swhook answered $code to a signed webhook; its log:" >&2; tail -n 20 "$tmp/swhook.log" >&2; exit 1; }

# --- measure -----------------------------------------------------------------

# to_ms converts a wrk latency ("812.00us", "1.23ms", "2.01s") to milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n = n / 1000
		else if (v ~ /ms$/) n = n
		else if (v ~ /m$/) n = n * 60000
		else if (v ~ /s$/) n = n * 1000
		printf "%.3f", n
	}'
}

declare -A rps p50 p99 errs reqs
sent_to_swhook=1 # the preflight request
# count_requests prints how many requests a wrk output says completed.
count_requests() {
	awk '/ requests in / {print $1}' "$1"
}
run_wrk() {
	local name="$1" url="$2" out="$tmp/wrk-$1.txt"
	if [ "$warmup" -gt 0 ]; then
		wrk -t"$threads" -c"$connections" -d"${warmup}s" -s "$lua" "$url" >"$tmp/warmup.txt" 2>&1 || true
		[ "$name" != swhook ] || sent_to_swhook=$((sent_to_swhook + $(count_requests "$tmp/warmup.txt")))
	fi
	echo "measuring $name: wrk -t$threads -c$connections -d${duration}s --latency ..." >&2
	timeout $((duration + 15)) wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$lua" "$url" >"$out" 2>&1 ||
		{ echo "run.sh: wrk against $name failed:" >&2; cat "$out" >&2; exit 1; }
	[ "$name" != swhook ] || sent_to_swhook=$((sent_to_swhook + $(count_requests "$out")))
	rps[$name]+="$(awk '/^Requests\/sec:/ {print $2}' "$out") "
	p50[$name]+="$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")") "
	p99[$name]+="$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")") "
	reqs[$name]=$((${reqs[$name]:-0} + $(count_requests "$out")))
	errs[$name]=$((${errs[$name]:-0} + $(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' "$out")))
}

# last_word prints the last word of a space-separated list.
last_word() {
	local words
	read -r -a words <<<"$1"
	echo "${words[${#words[@]} - 1]}"
}

# median prints the median of its arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

for round in $(seq 1 "$rounds"); do
	[ "$rounds" = 1 ] || echo "round $round of $rounds" >&2
	run_wrk direct "http://127.0.0.1:$handler_port"
	run_wrk caddy "http://127.0.0.1:$caddy_port"
	run_wrk swhook "http://127.0.0.1:$swhook_port"
	# This round's figures (the last word of each list), so a reader can see
	# the spread behind the medians.
	printf 'round %d: requests/s direct %s, caddy %s, swhook %s\n' "$round" \
		"$(last_word "${rps[direct]}")" "$(last_word "${rps[caddy]}")" "$(last_word "${rps[swhook]}")" >&2
done
for t in direct caddy swhook; do
	# shellcheck disable=SC2086 # word splitting is the point
	rps[$t]="$(median ${rps[$t]})"
	# shellcheck disable=SC2086
	p50[$t]="$(median ${p50[$t]})"
	# shellcheck disable=SC2086
	p99[$t]="$(median ${p99[$t]})"
done

# --- report ------------------------------------------------------------------

echo
printf 'load test: %d connections, %d threads, %ds per target, %d round(s) (medians), %s CPUs, load %s, %s\n' \
	"$connections" "$threads" "$duration" "$rounds" "$(nproc 2>/dev/null || echo '?')" \
	"$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-8s %12s %10s %10s %8s\n' target 'requests/s' 'p50 ms' 'p99 ms' errors
for t in direct caddy swhook; do
	printf '%-8s %12s %10s %10s %8s\n' "$t" "${rps[$t]}" "${p50[$t]}" "${p99[$t]}" "${errs[$t]}"
done
echo
awk -v s="${rps[swhook]}" -v c="${rps[caddy]}" 'BEGIN { printf "swhook/caddy throughput: %.2fx\n", (c > 0 ? s / c : 0) }'
awk -v s="${p50[swhook]}" -v d="${p50[direct]}" 'BEGIN { printf "swhook p50 added latency over direct: %.3f ms\n", s - d }'
awk -v s="${p50[caddy]}" -v d="${p50[direct]}" 'BEGIN { printf "caddy p50 added latency over direct: %.3f ms\n", s - d }'

# Every request swhook answered must be in its store, validly signed (a few
# more may be: wrk does not count requests still in flight when it stops, and
# the unsigned readiness probe is stored too).
if stored="$("$tmp/swhook" list --store "$tmp/x.db" --json --limit 0 2>/dev/null)"; then
	total="$(grep -c '"kind":' <<<"$stored" || true)"
	valid="$(grep -c '"status": *"valid"' <<<"$stored" || true)"
	echo "stored by swhook: $total exchanges ($valid with a valid signature) for $sent_to_swhook answered requests"
	if [ "$valid" -lt "$sent_to_swhook" ]; then
		echo "run.sh: swhook's store is missing answered webhooks or holds invalid signatures" >&2
		exit 1
	fi
else
	echo "run.sh: could not read swhook's store with swhook list" >&2
	exit 1
fi
# A non-2xx answer or a socket error is a fault, but a handful of socket
# timeouts on a busy shared machine are not worth throwing a run away for:
# more than 0.1% of a target's requests is.
for t in direct caddy swhook; do
	if [ "${errs[$t]}" != 0 ]; then
		if [ $((errs[$t] * 1000)) -gt "${reqs[$t]}" ]; then
			echo "run.sh: $t had ${errs[$t]} errors or non-2xx answers in ${reqs[$t]} requests; the figures above are not comparable" >&2
			exit 1
		fi
		echo "note: $t had ${errs[$t]} socket errors or non-2xx answers in ${reqs[$t]} requests (see wrk's output)"
	fi
done
