#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo behind `./quickstart demo`: a spammer held in the tarpit next to a clean client
# whose mail Postfix accepts, over IPv4 and IPv6, in two throwaway network namespaces.
# Only documentation addresses; the host's own firewall is never touched; everything it
# creates is removed on exit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BANNER_WAIT=5

say() {
	printf '%s\n' "$*"
}

indent() {
	sed 's/^/    /'
}

# ss_brief: the fields of ss -tino that tell the tarpit story. ss prints snd_wnd only when
# it is not 0, so its absence here is the zero window.
ss_brief() {
	awk 'NR == 1 { printf "%s %s -> %s", $1, $4, $5 }
	{ for (i = 1; i <= NF; i++) if ($i ~ /^(timer:|notsent:|snd_wnd:|bytes_acked:|backoff:)/) printf " %s", $i }
	END { print "" }'
}

lib_init
require_prog "$NFTARPITD" "$NFTARPITCTL"

say "nftarpit demo: two network namespaces joined by a veth pair; nothing leaves them."
topo_up
postfix_start
ruleset_setup 2>/dev/null
lists_fill
daemon_start
say "  server $NS_SRV: Postfix on $SRV4 and $SRV6 port 25, ruleset 'inet nftarpit',"
say "         nftarpitd (queue $QUEUE), and a host firewall table 'inet host' using conntrack"
say "  client $NS_CLI: spammer $SPAM4 and $SPAM6, clean client $CLEAN4 and $CLEAN6"
say "  blocklist4 { $BLOCK4 }, blocklist6 { $BLOCK6 }"
say "  $(cat "$WORK/nftarpitctl.log")"
say ""

# Both spammers at once: they only wait.
for src in $SPAM4 $SPAM6; do
	case $src in *:*) dst=$SRV6 ;; *) dst=$SRV4 ;; esac
	client_bg "$WORK/spam-$src.json" --src "$src" --dst "$dst" --banner-wait $BANNER_WAIT \
		--write 64 --hold 1 --linger 60
done
say "spammers connect to port 25 and wait ${BANNER_WAIT} s for a banner..."
wait_until $((BANNER_WAIT + 10)) test -s "$WORK/spam-$SPAM4.json" -a -s "$WORK/spam-$SPAM6.json" ||
	fail "the spammer clients gave no report"
SPAM_T0=$(date +%s)

spammer() {
	local src=$1 dst=$2 out
	out=$(cat "$WORK/spam-$src.json")
	if [ "$(json_get "$out" connected)" != true ]; then
		fail "spammer $src could not connect: $out"
	fi
	if real_banner "$out"; then
		fail "spammer $src got Postfix's banner: $(json_get "$out" banner)"
	fi
	say "spammer $src connects: TCP handshake completed in $(json_get "$out" connect_ms) ms," \
		"greeted by nftarpitd, not Postfix: '$(json_get "$out" banner)'"
	say "  it wrote $(json_get "$out" written) bytes; they stay stuck behind send window (tcp_info) $(json_get "$out" snd_wnd)," \
		"while nftarpitd feeds it an endless reply, one byte every 10 s"
	say "  ss in the client: $(ss_conn "$src" "$dst" | ss_brief)"
	if maillog_saw "$src"; then
		fail "Postfix saw the spammer $src"
	fi
	say "  Postfix's log has no line for $src; conntrack entries for it: $(conntrack_count "$src")"
}

clean() {
	local src=$1 dst=$2 tag=$3 queued
	send_mail "$src" "$dst" "$tag" || { cat "$WORK/swaks-$tag.log" >&2; fail "swaks from $src failed"; }
	queued=$(grep -oE '<- +250 .*queued as [0-9A-F]+' "$WORK/swaks-$tag.log" | sed 's/^<- *//')
	wait_until 10 mailbox_has "$tag" || fail "message from $src not in the mailbox"
	say "clean client $src sends mail: $queued; message in mailbox" \
		"($(grep -c '^From ' "$WORK/mail/postmaster") so far, Subject: nftarpit test $tag)"
}

spammer $SPAM4 $SRV4
say "  (ss prints snd_wnd only when it is not 0; notsent: the bytes waiting behind the zero"
say "  window; timer:(persist,1.448ms,0) is ss's way of writing 1.448 s)"
clean $CLEAN4 $SRV4 demo-ipv4
say ""
spammer $SPAM6 $SRV6
clean $CLEAN6 $SRV6 demo-ipv6
say ""

held=$(($(date +%s) - SPAM_T0 + BANNER_WAIT + 1))
say "after ~${held} s both spammers are still held:"
say "$(ss_conn $SPAM4 $SRV4 | ss_brief)" | indent
say "$(ss_conn $SPAM6 $SRV6 | ss_brief)" | indent
say "Postfix's log, all of it: connections only from the clean clients:"
grep -E ': (connect|disconnect) from' "$WORK/maillog" | sed -E 's/^.* (postfix\/)/\1/' | indent
say "nftarpitd stats (control socket):"
{ stats | tr '\n' ' '; echo; } | fold -s -w 90 | sed 's/ *$//' | indent
say ""
say "cleaning up: namespaces, Postfix, nftarpitd and temporary files are removed."
