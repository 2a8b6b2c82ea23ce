# SPDX-License-Identifier: GPL-2.0-or-later
# A CrowdSec Local API of our own (Debian's crowdsec), for the fleet test and the bench.
# Source after lib.sh (or bench/lib.sh). Everything lives in one folder: the config is a
# copy of /etc/crowdsec/config.yaml with every path, the sqlite db and the listen address
# pointed into it, the Central API (online_client) left out, prometheus off. The host's
# /etc/crowdsec, /var/lib/crowdsec and its services are never touched.

CROWDSEC=${CROWDSEC:-crowdsec}
CSCLI=${CSCLI:-cscli}
LAPI_PID=

# lapi_config DIR LISTEN: write DIR/config.yaml for a LAPI listening on LISTEN (addr:port).
lapi_config() {
	local dir=$1 listen=$2
	mkdir -p "$dir/data" "$dir/hub" "$dir/notifications" "$dir/acquis.d"
	cp /etc/crowdsec/profiles.yaml /etc/crowdsec/simulation.yaml "$dir/"
	: >"$dir/acquis.yaml"
	"$PY" - "$dir" "$listen" <<-'PYEOF'
	import sys, yaml
	d, listen = sys.argv[1], sys.argv[2]
	c = yaml.safe_load(open("/etc/crowdsec/config.yaml"))
	c["common"].update(daemonize=False, log_media="stdout", log_dir=d, working_dir=d)
	p = c["config_paths"]
	p.update(config_dir=d + "/", data_dir=d + "/data/", simulation_path=d + "/simulation.yaml",
	         hub_dir=d + "/hub/", index_path=d + "/hub/.index.json",
	         notification_dir=d + "/notifications/")
	c["crowdsec_service"].update(acquisition_path=d + "/acquis.yaml",
	                             acquisition_dir=d + "/acquis.d")
	c["db_config"]["db_path"] = d + "/data/crowdsec.db"
	c["api"]["client"]["credentials_path"] = d + "/local_api_credentials.yaml"
	s = c["api"]["server"]
	s["listen_uri"] = listen
	s["profiles_path"] = d + "/profiles.yaml"
	s["console_path"] = d + "/console.yaml"
	# No Central API: nothing is sent outside, and the LAPI runs alone.
	s.pop("online_client", None)
	c["prometheus"]["enabled"] = False
	yaml.safe_dump(c, open(d + "/config.yaml", "w"))
	PYEOF
	: >"$dir/console.yaml"
}

# in_lapi NS DIR CMD...: CMD in namespace NS with the folder's config (crowdsec, cscli).
lapi_cscli() {
	local ns=$1 dir=$2
	shift 2
	ip netns exec "$ns" "$CSCLI" -c "$dir/config.yaml" "$@"
}

# lapi_start NS DIR URL: the LAPI alone (-no-cs) in NS, logging to DIR/lapi.log; ready once
# it answers. The first start also registers the machine cscli itself uses.
lapi_start() {
	local ns=$1 dir=$2 url=$3
	if [ ! -s "$dir/local_api_credentials.yaml" ]; then
		lapi_cscli "$ns" "$dir" machines add cscli-local --auto --force \
			-f "$dir/local_api_credentials.yaml" --url "$url" >"$dir/machines.log" 2>&1 ||
			{ cat "$dir/machines.log" >&2; fail "cscli machines add for the LAPI's own cscli failed"; }
	fi
	ip netns exec "$ns" "$CROWDSEC" -c "$dir/config.yaml" -no-cs >>"$dir/lapi.log" 2>&1 &
	LAPI_PID=$!
	wait_until 30 lapi_cscli "$ns" "$dir" decisions list -o json >/dev/null 2>&1 ||
		{ tail -n 20 "$dir/lapi.log" >&2; fail "the LAPI in $ns does not answer"; }
}

lapi_stop() {
	local i
	[ -n "$LAPI_PID" ] || return 0
	kill -TERM "$LAPI_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$LAPI_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$LAPI_PID" 2>/dev/null || true
	wait "$LAPI_PID" 2>/dev/null || true
	LAPI_PID=
}
