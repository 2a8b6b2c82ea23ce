// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpitctl status/metrics: the daemon's reply parsed, /proc's queue lines, the views. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "http.h"
#include "metrics.h"
#include "status.h"

static const char reply[] = "version=0.1.0\n"
			    "uptime=11520\n"
			    "started=1764200000\n"
			    "reloads=2\n"
			    "queues=25-26\n"
			    "packets=1234\n"
			    "synack_sent=40\n"
			    "probes=900\n"
			    "flows_held=2\n"
			    "flows_quiet=1\n"
			    "attacker_seconds=7300\n"
			    "snapshot_flows=3\n"
			    "snapshot_queues=2\n"
			    "snapshot_missing=0\n"
			    "flow src=198.51.100.10 sport=40000 dport=25 queue=25 state=held "
			    "held=11520 idle=1 bytes=900 probes=800\n"
			    "flow src=2001:db8:bad::10 sport=40001 dport=25 queue=26 state=quiet "
			    "held=60 idle=0 bytes=20 probes=3\n"
			    "end\n";

static struct status *parsed(const char *text, bool need_end, int want_rc)
{
	struct status *st = malloc(sizeof(*st));
	char err[160];

	assert_non_null(st);
	status_init(st);
	assert_int_equal(status_parse(st, text, need_end, err, sizeof(err)), want_rc);
	return st;
}

static void test_parse(void **state)
{
	struct status *st = parsed(reply, true, 0);

	assert_true(st->daemon);
	assert_string_equal(status_get(st, "queues"), "25-26");
	assert_int_equal(status_u64(st, "packets"), 1234);
	assert_int_equal(status_u64(st, "missing_key"), 0);
	assert_int_equal(st->nflows, 2);
	assert_string_equal(st->flows[1].src, "2001:db8:bad::10");
	assert_int_equal(st->flows[0].held, 11520);
	assert_string_equal(st->flows[1].state, "quiet");
	free(st);
}

/* A reply cut short, an error line, a broken flow line: refused, never half-read. */
static void test_refused(void **state)
{
	static const char *const bad[] = {
		"version=0.1.0\npackets=1\n",
		"error unknown request (try: stats, status [N], ping)\n",
		"version=0.1.0\nflow src=1.2.3.4 sport=x dport=25 queue=25 state=held held=1 "
		"idle=0 bytes=0 probes=0\nend\n",
		"version=0.1.0\nflow src=1.2.3.4 dport=25\nend\n",
		"version=0.1.0\nno equals sign\nend\n",
		"version=0.1.0\nend\npackets=2\n",
		"packets=1\nend\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct status *st = parsed(bad[i], true, -1);

		assert_false(st->daemon);
		free(st);
	}
}

static void test_proc(void **state)
{
	struct status_kernel k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(status_parse_proc(&k,
					   "   25   4242     3 2   256     7     1      999  1\n"
					   "   26   4243     0 2   256     0     0        5  1\n"),
			 0);
	assert_true(k.proc);
	assert_int_equal(k.nqueues, 2);
	assert_int_equal(k.q[0].num, 25);
	assert_int_equal(k.q[0].waiting, 3);
	assert_int_equal(k.q[0].dropped, 7);
	assert_int_equal(k.q[0].user_dropped, 1);
	assert_int_equal(k.q[0].id, 999);
	assert_int_equal(k.q[1].portid, 4243);
	memset(&k, 0, sizeof(k));
	assert_int_equal(status_parse_proc(&k, "25 garbage\n"), -1);
	assert_int_equal(status_parse_proc(&k, ""), 0);
	assert_int_equal(k.nqueues, 0);
}

static void test_duration(void **state)
{
	static const struct {
		uint64_t s;
		const char *text;
	} cases[] = {
		{0, "0s"},	   {59, "59s"},	     {60, "1m00s"},
		{427, "7m07s"},	   {3600, "1h00m"},  {11520, "3h12m"},
		{86399, "23h59m"}, {86400, "1d00h"}, {200000, "2d07h"},
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status_duration(cases[i].s, out, sizeof(out));
		assert_string_equal(out, cases[i].text);
	}
}

static char *render(void (*fn)(FILE *, const struct status *), const struct status *st)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fn(f, st);
	fclose(f);
	return out;
}

static void print_human(FILE *f, const struct status *st)
{
	status_print(f, st, 0);
}

/* The views say what a user looks for, and metrics carry no address anywhere. */
static void test_views(void **state)
{
	struct status *st = parsed(reply, true, 0);
	char *text;

	st->k.ruleset = 1;
	memcpy(st->k.via, "xt", 3);
	st->k.qnum = 25;
	st->k.qtotal = 2;
	st->k.sets[0] = 5;
	text = render(print_human, st);
	assert_non_null(strstr(text, "up 3h12m"));
	assert_non_null(strstr(text, "queue 25 (by address) via xt NFQUEUE target, fail-closed"));
	assert_non_null(strstr(text, "held now     3 flows (held 2, quiet 1)"));
	assert_non_null(strstr(text, "attacker time  2h01m"));
	assert_non_null(strstr(text, "198.51.100.10"));
	assert_non_null(strstr(text, "blockhost4 5, blocknet4 ?"));
	free(text);

	text = render(status_print_json, st);
	assert_non_null(strstr(text, "\"flows_now\": 3"));
	assert_non_null(strstr(text, "\"queue_expr\": \"xt\""));
	assert_non_null(strstr(text, "\"src\": \"2001:db8:bad::10\""));
	assert_non_null(strstr(text, "\"totals_since_start\": {\n    \"packets\": 1234"));
	free(text);

	text = render(metrics_print, st);
	assert_non_null(strstr(text, "nftarpit_up 1\n"));
	assert_non_null(strstr(text, "nftarpit_flows{state=\"held\"} 2\n"));
	assert_non_null(strstr(text, "nftarpit_replies_total{kind=\"probe_ack\"} 900\n"));
	assert_non_null(strstr(text, "# TYPE nftarpit_packets_total counter\n"));
	assert_non_null(strstr(text, "nftarpit_set_ranges{set=\"blockhost4\"} 5\n"));
	assert_null(strstr(text, "198.51.100"));
	assert_null(strstr(text, "blocknet4\"}"));
	free(text);
	free(st);
}

/* Bans by prefix length in the three views; an unread master list shows nothing. */
static void test_bans(void **state)
{
	struct status *st = parsed(reply, true, 0);
	char *text;

	text = render(status_print_json, st);
	assert_non_null(strstr(text, "\"bans\": null,"));
	free(text);
	st->bans_known = true;
	text = render(print_human, st);
	assert_non_null(strstr(text, "bans now     none (master list)\n"));
	free(text);
	st->bans.n[1][64][STATE_BAN_LOG] = 3;
	st->bans.n[0][32][STATE_BAN_LOG] = 1;
	st->bans.n[1][48][STATE_BAN_ESCALATED] = 1;
	st->bans.n[0][STATE_BAN_RANGE][STATE_BAN_ADMIN] = 2;
	text = render(print_human, st);
	assert_non_null(strstr(text, "bans now     log IPv4/32 1, IPv6/64 3; escalated IPv6/48 1; "
				     "admin IPv4 ranges 2 (master list)\n"));
	free(text);
	text = render(status_print_json, st);
	assert_non_null(strstr(text,
			       "\"bans\": [{\"family\": 4, \"prefix\": 32, \"source\": "
			       "\"log\", \"count\": 1}, {\"family\": 6, \"prefix\": 64, "
			       "\"source\": \"log\", \"count\": 3}, {\"family\": 6, \"prefix\": "
			       "48, \"source\": \"escalated\", \"count\": 1}, {\"family\": 4, "
			       "\"prefix\": \"range\", \"source\": \"admin\", \"count\": 2}],"));
	free(text);
	text = render(metrics_print, st);
	assert_non_null(strstr(
		text, "# TYPE nftarpit_bans gauge\n"
		      "nftarpit_bans{family=\"ipv4\",prefix=\"32\",source=\"log\"} 1\n"
		      "nftarpit_bans{family=\"ipv6\",prefix=\"64\",source=\"log\"} 3\n"
		      "nftarpit_bans{family=\"ipv6\",prefix=\"48\",source=\"escalated\"} 1\n"
		      "nftarpit_bans{family=\"ipv4\",prefix=\"range\",source=\"admin\"} 2\n"));
	free(text);
	free(st);
}

/* Daemon down: metrics still say so (nftarpit_up 0), status names the reason. */
static void test_down(void **state)
{
	struct status *st = malloc(sizeof(*st));
	char *text;

	status_init(st);
	memcpy(st->daemon_err, "ctl.sock: Connection refused", 29);
	text = render(metrics_print, st);
	assert_string_equal(text, "# HELP nftarpit_up Whether nftarpitd answered on its control "
				  "socket.\n# TYPE nftarpit_up gauge\nnftarpit_up 0\n");
	free(text);
	text = render(print_human, st);
	assert_non_null(strstr(text, "not answering: ctl.sock: Connection refused"));
	free(text);
	free(st);
}

/* --listen's address and the only route: GET /metrics. */
static void test_http(void **state)
{
	static const char *const bad[] = {"",
					  "9525",
					  "127.0.0.1",
					  "127.0.0.1:",
					  "127.0.0.1:0",
					  "127.0.0.1:65536",
					  "localhost:9525",
					  "::1:9525",
					  "[::1]9525",
					  "300.0.0.1:80"};
	struct sockaddr_storage ss;
	socklen_t len;
	int code;
	size_t i;

	assert_int_equal(http_parse_listen("127.0.0.1:9525", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9525);
	assert_int_equal(http_parse_listen("[::1]:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_parse_listen(bad[i], &ss, &len), -1);

	assert_null(http_route("GET /metrics HTTP/1.1\r\n", 23, &code));
	assert_int_equal(code, 200);
	assert_null(http_route("GET /metrics?x=1 HTTP/1.1\r\n", 27, &code));
	assert_int_equal(code, 200);
	assert_non_null(http_route("GET / HTTP/1.1\r\n", 16, &code));
	assert_int_equal(code, 404);
	assert_non_null(http_route("GET /metricsX HTTP/1.1\r\n", 24, &code));
	assert_int_equal(code, 404);
	assert_non_null(http_route("POST /metrics HTTP/1.1\r\n", 24, &code));
	assert_int_equal(code, 405);
	assert_non_null(http_route("", 0, &code));
	assert_int_equal(code, 405);
}

/* nftarpit-sync's LAPI client: its store's status line shown in all three views. */
static void test_crowdsec(void **state)
{
	struct status *st = malloc(sizeof(*st));
	char *text;

	status_init(st);
	memcpy(st->daemon_err, "down", 5);
	assert_int_equal(status_parse_crowdsec(&st->cs,
					       "url=http://198.18.2.1:8080 state=down held=4 "
					       "last_pull=0 pulls=7 errors=3 pushed=2 "
					       "last_error=\"Failed to connect to 198.18.2.1\""),
			 0);
	assert_true(st->cs.known);
	assert_int_equal(st->cs.held, 4);
	assert_string_equal(st->cs.last_error, "Failed to connect to 198.18.2.1");
	text = render(print_human, st);
	assert_non_null(strstr(text, "crowdsec     http://198.18.2.1:8080 down, 4 decisions held, "
				     "last pull never, 7 pulls, 3 errors, 2 bans pushed; last "
				     "error: Failed to connect"));
	free(text);
	text = render(metrics_print, st);
	assert_non_null(strstr(text, "nftarpit_crowdsec_up 0\n"));
	assert_non_null(strstr(text, "nftarpit_crowdsec_decisions_held 4\n"));
	assert_non_null(strstr(text, "nftarpit_crowdsec_errors_total 3\n"));
	free(text);
	text = render(status_print_json, st);
	assert_non_null(strstr(text, "\"crowdsec\": {\"url\": \"http://198.18.2.1:8080\", "
				     "\"state\": \"down\", \"held\": 4"));
	free(text);
	assert_int_equal(status_parse_crowdsec(&st->cs, "garbage"), -1);
	assert_false(st->cs.known);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_proc),  cmocka_unit_test(test_duration),
		cmocka_unit_test(test_views), cmocka_unit_test(test_down),
		cmocka_unit_test(test_http),  cmocka_unit_test(test_crowdsec),
		cmocka_unit_test(test_bans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
