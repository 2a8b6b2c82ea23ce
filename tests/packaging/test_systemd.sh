#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The units under a real systemd: a minimal Debian 12 root (mmdebstrap) with systemd,
# Postfix and the project's .deb installed, booted with systemd as PID 1 of new PID,
# mount, network, UTS, IPC and cgroup namespaces (a container without systemd-nspawn,
# which needs systemd as the host's PID 1). Unchanged units but two drop-ins an admin
# would write (SupplementaryGroups= for ctl_group) or a test needs (the timer's boot run
# after 20 s instead of 2 minutes and no random spread, so the test does not wait up to 12
# minutes; the hourly OnCalendar= and Persistent= stay as shipped), and the conffile with ctl_group and
# journal = yes set. Then:
# - nftarpitd.service is active (Type=notify: READY=1), with its status text, and its
#   watchdog pings arrive (WatchdogTimestamp moves) without the 30 s watchdog killing it;
# - a member of ctl_group runs nftarpitctl status, another user is refused;
# - systemctl reload sends SIGHUP (ExecReload=): same process, one reload more;
# - after kill -9 systemd starts it again (Restart=on-failure), READY again;
# - nftarpit-sync.timer fires nftarpit-sync.service after boot (OnBootSec=, 20 s here),
#   which succeeds under its sandbox;
# - nftarpit-sync-follow.service bans a client the real Postfix (postfix.service)
#   rejected, from Postfix's lines in the journal, and that client's next connection is
#   held by nftarpitd: greeted by it, not Postfix, behind a zero window; on Linux 6.9+ the
#   table is nftarpitd's (owned), so that ban went through the daemon's lease.
# The client lives in a network namespace of its own joined to the container's by a veth
# pair; documentation addresses only, nothing reaches the host's network or ruleset.
# Everything is removed on exit: the container is powered off (killed if it hangs), its
# cgroup removed; its mounts only ever existed in its own mount namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# wait_until, from the integration tests' helpers.
. "$NFTARPIT_SRC/tests/integration/lib.sh"

SRV=192.0.2.1
CLI=192.0.2.2
SPAM=198.51.100.10
CT_GROUP=tarpit

# boot ROOT CGROUP: as PID 1 of the new namespaces, join CGROUP, mount what a container's
# systemd expects, then exec systemd in a new cgroup namespace rooted at CGROUP.
boot() {
	local root=$1 cg=$2
	echo 0 >"$cg/cgroup.procs"
	root_mounts "$root"
	# /proc/sys read-only but the namespace's own net.*: neither systemd nor
	# systemd-sysctl (ConditionPathIsReadWrite=/proc/sys/) change the host's kernel.
	root_mount --bind "$root/proc/sys" "$root/proc/sys"
	root_mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
	mount -o remount,bind,ro "$root/proc/sys"
	# A read-only /sys keeps udev and the like off (ConditionPathIsReadWrite=/sys).
	root_mount -t sysfs -o ro sysfs "$root/sys"
	root_mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
	# mmdebstrap's console node is the host's console: systemd writes to nothing instead.
	root_mount --bind /dev/null "$root/dev/console"
	# systemd as PID 1: no trap can run after the exec; the mounts end with the namespace.
	# Without CAP_SYS_MODULE, CAP_SYS_TIME and the like it can change none of those on
	# the host either. container= tells it that it runs in a container.
	exec unshare --cgroup -- bash -c '
		mount -t cgroup2 cgroup2 "$1/sys/fs/cgroup"
		exec setpriv --bounding-set=-sys_module,-sys_time,-syslog,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-sys_rawio \
			chroot "$1" /usr/bin/env -i container=nftarpit-test /lib/systemd/systemd' - "$root"
}

if [ "${1:-}" = --boot ]; then
	shift
	boot "$@"
fi

pkg_init
[ "$(id -u)" -eq 0 ] || pkg_skip "needs root (mmdebstrap, namespaces, cgroups)"
for t in dpkg-buildpackage mmdebstrap unshare nsenter setpriv findmnt ip ethtool nft python3; do
	command -v "$t" >/dev/null || pkg_skip "needs $t"
done
cg2=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
[ -n "$cg2" ] || pkg_skip "no cgroup2 hierarchy mounted"

CG=
UNSHARE_PID=
CT=
CLI_PID=
HELD_PID=
in_ct() {
	nsenter -t "$CT" -a -r -w "$@"
}
# This machine's tools in the container's network namespace only.
in_ctnet() {
	nsenter -t "$CT" -n "$@"
}
in_cli() {
	nsenter -t "$CLI_PID" -n "$@"
}

ct_stop() {
	local i
	set +e
	if [ -n "$UNSHARE_PID" ] && kill -0 "$UNSHARE_PID" 2>/dev/null; then
		if [ -n "$CT" ]; then
			timeout 10 nsenter -t "$CT" -a -r -w systemctl poweroff >/dev/null 2>&1
		fi
		for ((i = 0; i < 300; i++)); do
			kill -0 "$UNSHARE_PID" 2>/dev/null || break
			sleep 0.1
		done
		# --kill-child: PID 1 dies with unshare, and the namespace's processes with it.
		kill -KILL "$UNSHARE_PID" 2>/dev/null
		wait "$UNSHARE_PID" 2>/dev/null
	fi
	if [ -n "$HELD_PID" ]; then
		kill -KILL "$HELD_PID" 2>/dev/null
		wait "$HELD_PID" 2>/dev/null
	fi
	if [ -n "$CLI_PID" ]; then
		kill -KILL "$CLI_PID" 2>/dev/null
		wait "$CLI_PID" 2>/dev/null
	fi
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		for ((i = 0; i < 50; i++)); do
			find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$CG" ] || break
			sleep 0.1
		done
		[ ! -d "$CG" ] || pkg_log "could not remove the cgroup $CG"
	fi
}
trap 'rc=$?; ct_stop; pkg_cleanup; exit $rc' EXIT

deb_build
root=$PKG_TMP/root
t0=$(date +%s)
# systemd and dbus (logind), Postfix configured as an Internet site, then the .deb with
# its dependencies from the archive. mmdebstrap keeps daemons from starting meanwhile.
debian_root "$root" --include=systemd,dbus,postfix \
	--essential-hook='printf "%s\n" "postfix postfix/main_mailer_type select Internet Site" "postfix postfix/mailname string mx.example.org" | chroot "$1" debconf-set-selections' \
	--customize-hook="copy-in $DEB /tmp" \
	--customize-hook="chroot \"\$1\" apt-get install -y --no-install-recommends /tmp/$(basename "$DEB")"

# The admin's part: a group for the control socket with a member and a non-member, the
# conffile's ctl_group and journal keys, the drop-in the conffile asks for with
# ctl_group, and the timer's boot run sooner and without random spread (OnBootSec= is a
# list: the empty assignment drops the shipped 2min before the new value).
echo nftarpit-test >"$root/etc/hostname"
echo "nameserver 127.0.0.1" >"$root/etc/resolv.conf"
chroot "$root" groupadd "$CT_GROUP"
chroot "$root" useradd -G "$CT_GROUP" alice
chroot "$root" useradd bob
conf=$root/etc/nftarpit/nftarpit.conf
sed -i -e "s/^#ctl_group =\$/ctl_group = $CT_GROUP/" -e 's/^#journal = no$/journal = yes/' "$conf"
grep -qx "ctl_group = $CT_GROUP" "$conf" && grep -qx "journal = yes" "$conf" ||
	pkg_fail "could not set ctl_group and journal in $conf"
mkdir -p "$root/etc/systemd/system/nftarpitd.service.d" "$root/etc/systemd/system/nftarpit-sync.timer.d"
printf '[Service]\nSupplementaryGroups=%s\n' "$CT_GROUP" >"$root/etc/systemd/system/nftarpitd.service.d/ctl-group.conf"
printf '[Timer]\nRandomizedDelaySec=0\nOnBootSec=\nOnBootSec=20s\n' \
	>"$root/etc/systemd/system/nftarpit-sync.timer.d/no-spread.conf"
# Postfix on IPv4, rejecting the spammer by its access map ("Client host rejected"), not
# chrooted, so that its smtpd logs to the journal through /dev/log.
chroot "$root" postconf -e "inet_protocols = ipv4" \
	"smtpd_client_restrictions = check_client_access inline:{ $SPAM=REJECT }"
chroot "$root" postconf -F "smtp/inet/chroot = n"

# Boot.
CG=$cg2/nftarpit-test-$$
mkdir "$CG"
unshare --mount --pid --net --uts --ipc --fork --kill-child bash "$0" --boot "$root" "$CG" \
	>"$PKG_TMP/boot.log" 2>&1 &
UNSHARE_PID=$!
pid1_up() {
	CT=$(pgrep -P "$UNSHARE_PID" | head -n 1)
	[ -n "$CT" ] && [ "$(cat "/proc/$CT/comm" 2>/dev/null)" = systemd ]
}
wait_until 20 pid1_up || { cat "$PKG_TMP/boot.log" >&2; pkg_fail "systemd did not start as PID 1"; }
booted=$(date +%s)
state=
running() {
	state=$(in_ct systemctl is-system-running 2>/dev/null || true)
	[ "$state" = running ] || [ "$state" = degraded ]
}
wait_until 120 running || pkg_fail "the container did not finish booting: $state"
if [ "$state" != running ]; then
	in_ct systemctl --failed --no-pager >&2 || true
	pkg_fail "the container booted degraded"
fi
pkg_log "booted: systemd $(in_ct systemctl --version | awk 'NR == 1 { print $2 }') as PID 1 in $(($(date +%s) - booted)) s"

prop() {
	in_ct systemctl show -P "$2" "$1"
}
ctl_as() {
	in_ct setpriv --reuid="$1" --regid="$1" --init-groups nftarpitctl status --no-sets
}

# nftarpitd.service: READY=1 (Type=notify, so active only after it), status, watchdog.
[ "$(prop nftarpitd ActiveState)/$(prop nftarpitd SubState)" = active/running ] ||
	{ in_ct journalctl -b -u nftarpitd --no-pager >&2; pkg_fail "nftarpitd.service is not running"; }
status_text=$(prop nftarpitd StatusText)
case $status_text in
"tarpitting on queues "*) ;;
*) pkg_fail "nftarpitd.service status text: '$status_text'" ;;
esac
[ "$(prop nftarpitd WatchdogUSec)" = 30s ] || pkg_fail "WatchdogUSec is $(prop nftarpitd WatchdogUSec)"
pid=$(prop nftarpitd MainPID)
pkg_log "nftarpitd.service active (READY), pid $pid, status '$status_text'"

# ctl_group: its member reads the status, another user cannot connect.
ctl_as alice >"$PKG_TMP/status" 2>&1 || { cat "$PKG_TMP/status" >&2; pkg_fail "nftarpitctl status failed for alice (in $CT_GROUP)"; }
grep -q "^nftarpitd " "$PKG_TMP/status" || pkg_fail "no status for alice: $(cat "$PKG_TMP/status")"
ctl_as bob >"$PKG_TMP/status-bob" 2>&1 && pkg_fail "bob (not in $CT_GROUP) got the status"
pkg_log "nftarpitctl status works for alice (in $CT_GROUP): $(grep -m1 '^nftarpitd ' "$PKG_TMP/status"); bob: $(head -n 1 "$PKG_TMP/status-bob")"

# Reload: ExecReload= puts the table back and sends SIGHUP; the same process goes on.
in_ct systemctl reload nftarpitd || pkg_fail "systemctl reload nftarpitd failed"
reloaded() {
	ctl_as alice 2>/dev/null | grep -q 'reloads 1$'
}
wait_until 10 reloaded || pkg_fail "no reload counted: $(ctl_as alice 2>&1 | head -n 1)"
[ "$(prop nftarpitd MainPID)" = "$pid" ] || pkg_fail "the reload replaced the process"
pkg_log "systemctl reload: SIGHUP, $(ctl_as alice | grep -o 'reloads 1'), same pid $pid"

# kill -9: Restart=on-failure brings it back (RestartSec=2s), READY again.
in_ct kill -KILL "$pid"
restarted() {
	[ "$(prop nftarpitd NRestarts)" = 1 ] && [ "$(prop nftarpitd ActiveState)" = active ] &&
		[ "$(prop nftarpitd MainPID)" != "$pid" ] && [ "$(prop nftarpitd MainPID)" != 0 ]
}
wait_until 30 restarted || pkg_fail "nftarpitd not restarted after kill -9: $(prop nftarpitd ActiveState) NRestarts=$(prop nftarpitd NRestarts)"
pid=$(prop nftarpitd MainPID)
pkg_log "kill -9: restarted by systemd (NRestarts=1), active again as pid $pid"

# Watchdog: WATCHDOG=1 every 15 s moves WatchdogTimestamp; the 30 s limit never hits.
wd=$(prop nftarpitd WatchdogTimestampMonotonic)
pinged() {
	[ "$(prop nftarpitd WatchdogTimestampMonotonic)" != "$wd" ]
}
wait_until 40 pinged || pkg_fail "no watchdog ping within 40 s"
pkg_log "watchdog: pings arrive (WatchdogTimestamp $(prop nftarpitd WatchdogTimestamp))"

# The timer: OnBootSec=20s (the drop-in), then nftarpit-sync.service runs under its sandbox.
fired() {
	[ -n "$(prop nftarpit-sync.service ExecMainExitTimestamp)" ]
}
wait_until 200 fired || pkg_fail "nftarpit-sync.timer did not fire within $(($(date +%s) - booted)) s of boot: $(in_ct systemctl list-timers --all --no-pager nftarpit-sync.timer)"
[ "$(prop nftarpit-sync.service Result)" = success ] ||
	{ in_ct journalctl -b -u nftarpit-sync --no-pager >&2; pkg_fail "nftarpit-sync.service failed"; }
[ -n "$(prop nftarpit-sync.timer LastTriggerUSec)" ] || pkg_fail "the run was not the timer's"
pkg_log "nftarpit-sync.timer fired $(($(date +%s) - booted)) s after boot: $(in_ct journalctl -b -u nftarpit-sync -o cat --no-pager | grep -o 'sync mode=[a-z]* .* hits=[0-9]*' | tail -n 1)"

# The follow service (it stops the timer: Conflicts=).
in_ct systemctl start nftarpit-sync-follow || pkg_fail "nftarpit-sync-follow.service did not start"
following() {
	in_ct journalctl -b -u nftarpit-sync-follow -o cat --no-pager | grep -q 'follow started.*journal=yes'
}
wait_until 20 following ||
	{ in_ct journalctl -b -u nftarpit-sync-follow --no-pager >&2; pkg_fail "nftarpit-sync --follow did not start on the journal"; }

# The client's namespace, joined to the container's by a veth pair.
unshare --net sleep 900 &
CLI_PID=$!
cli_netns() {
	[ "$(readlink "/proc/$CLI_PID/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}
wait_until 5 cli_netns || pkg_fail "no client network namespace"
in_ctnet ip link add veth0 type veth peer name veth0 netns "$CLI_PID"
in_ctnet ip addr add $SRV/24 dev veth0
in_ctnet ip link set veth0 up
in_ctnet ip route add 198.51.100.0/24 via $CLI
in_cli ip link set lo up
in_cli ip addr add $CLI/24 dev veth0
in_cli ip addr add $SPAM/32 dev veth0
in_cli ip link set veth0 up
# Full checksums, as from a real network (see tests/integration/lib.sh).
in_cli ethtool -K veth0 tx off >/dev/null
listening() {
	in_ctnet ss -tlnH 'sport = :25' | grep -q '0.0.0.0:25'
}
wait_until 20 listening || pkg_fail "postfix.service does not listen on port 25"

# The spammer reaches Postfix once and is rejected; follow bans it from the journal.
in_cli python3 - "$SPAM" "$SRV" >"$PKG_TMP/spam.log" 2>&1 <<-'PY' || { cat "$PKG_TMP/spam.log" >&2; pkg_fail "the spammer's SMTP session failed"; }
import smtplib, sys
s = smtplib.SMTP(timeout=10, source_address=(sys.argv[1], 0))
s.connect(sys.argv[2], 25)
s.ehlo("spammer.example.net")
s.mail("spam@example.net")
code, msg = s.rcpt("postmaster@example.org")
print(code, msg.decode())
s.quit()
PY
grep -q '^554 .*Client host rejected' "$PKG_TMP/spam.log" || pkg_fail "Postfix did not reject the spammer: $(cat "$PKG_TMP/spam.log")"
banned() {
	in_ctnet nft get element inet nftarpit blockhost4 "{ $SPAM }" >/dev/null 2>&1
}
wait_until 20 banned || {
	in_ct journalctl -b -u nftarpit-sync-follow -u postfix@- --no-pager | tail -n 20 >&2
	pkg_fail "$SPAM not banned 20 s after Postfix rejected it"
}
# Owned mode (issue 20) where the kernel has NFT_TABLE_F_PERSIST: nftarpitd owns the table,
# so the ban above went through its lease, lent to the sync's dynamic user.
if in_ct journalctl -b -u nftarpitd -o cat --no-pager | grep -q 'lacks NFT_TABLE_F_PERSIST'; then
	pkg_log "the kernel lacks NFT_TABLE_F_PERSIST: table unowned, the sync changed it directly"
else
	table=$(in_ctnet nft list table inet nftarpit 2>/dev/null || true)
	grep -q '^[[:space:]]*flags owner' <<<"$table" || {
		in_ct journalctl -b -u nftarpitd -u nftarpit-sync-follow --no-pager | tail -n 20 >&2
		pkg_fail "nftarpitd does not own table inet nftarpit"
	}
	pkg_log "table owned by nftarpitd ($(in_ct journalctl -b -u nftarpitd -o cat --no-pager | grep -o 'table inet nftarpit: claimed[^;]*' | tail -n 1)): follow's ban went through its lease"
fi
line=$(in_ct journalctl -b -t postfix/smtpd -o cat --no-pager | grep -m1 "reject: .*\[$SPAM\]" | cut -c1-110)
pkg_log "Postfix's journal line '$line...' -> $(in_ct journalctl -b -u nftarpit-sync-follow -o cat --no-pager | grep -m1 "ban src=$SPAM" | sed 's/^nftarpit-sync: //')"

# Its next connection is held by nftarpitd; the client reports, then stays connected
# (--linger) while the status is read.
in_cli python3 "$NFTARPIT_SRC/tests/integration/client.py" --src $SPAM --dst $SRV \
	--banner-wait 3 --write 24 --hold 1 --linger 60 >"$PKG_TMP/held.json" &
HELD_PID=$!
wait_until 20 test -s "$PKG_TMP/held.json" || pkg_fail "no report from the held client"
out=$(cat "$PKG_TMP/held.json")
banner=$(json_get "$out" banner)
case $banner in
*Postfix*) pkg_fail "the banned client reached Postfix: $out" ;;
220*) ;;
*) pkg_fail "the banned client got no greeting from nftarpitd: $out" ;;
esac
[ "$(json_get "$out" snd_wnd)" = 0 ] || pkg_fail "the banned client's send window is not 0: $out"
ctl_as alice >"$PKG_TMP/status" 2>&1
grep -q 'held now .*held [1-9]' "$PKG_TMP/status" || pkg_fail "nftarpitd holds no flow: $(cat "$PKG_TMP/status")"
pkg_log "the banned client is held: greeted '$banner' by nftarpitd, send window 0; $(grep -m1 'held now' "$PKG_TMP/status" | tr -s ' ')"
sed 's/^/    /' "$PKG_TMP/status" >&2
pkg_log "whole test $(($(date +%s) - t0)) s (after the .deb's build)"
pkg_log PASS
