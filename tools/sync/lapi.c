// SPDX-License-Identifier: GPL-2.0-or-later
/* nftarpit-sync's CrowdSec Local API client: stream pulls, alert pushes, backoff (libcurl). */
#include "lapi.h"

#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "csjson.h"
#include "log.h"
#include "mlog.h"

/* An answer larger than this is refused: 100k decisions take about 20 MB. */
#define LAPI_BODY_MAX (256u << 20)
/* Backoff after a failure: doubled each time from poll_interval, capped here. */
#define LAPI_BACKOFF_MAX 300
/* A deletion this long before a decision's end is the admin's, not its expiry. */
#define LAPI_EARLY 30
/*
 * How long one request may take: a startup answer carries every decision (100k are about
 * 20 MB), a delta or a push is small, and a slow LAPI must not stall --follow's log
 * reading for long.
 */
#define LAPI_TIMEOUT_STARTUP 120
#define LAPI_TIMEOUT	     5
/* Alerts per POST. */
#define LAPI_PUSH_BATCH 100

struct lapi_buf {
	char *p;
	size_t n;
	size_t cap;
};

static void lapi_status_save(struct lapi *l);

struct lapi {
	const struct crowdsec_conf *c;
	char store[PATH_MAX + 16];
	CURL *curl;
	char key[256];
	char machine_url[256];
	char login[128];
	char password[256];
	char token[4096]; /* JWT, "" until logged in */
	struct crowdsec_list held;
	struct crowdsec_list pushed;
	bool started; /* the stream said startup=true once to this process */
	int64_t next_pull;
	int64_t next_push;
	int64_t backoff;
	int64_t last_pull; /* last successful pull */
	uint64_t pulls;
	uint64_t errors;
	uint64_t pushes;
	bool push_owed;
	bool dry_run;	   /* --dry-run: nothing written */
	const char *state; /* "up", "down", "refused", "new" */
	char last_error[256];
};

static size_t lapi_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct lapi_buf *b = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (b->n + n + 1 > LAPI_BODY_MAX)
		return 0;
	if (b->n + n + 1 > b->cap) {
		cap = b->cap == 0 ? 65536 : b->cap;
		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* Read the first line of path into out (a key file or similar); 0 or -1 (logged). */
static int lapi_read_file(const char *path, char *out, size_t len, bool first_line)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		log_warn("crowdsec: %s", path);
		return -1;
	}
	n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = '\0';
	if (first_line)
		out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		log_warnx("crowdsec: %s is empty", path);
		return -1;
	}
	return 0;
}

struct lapi *lapi_open(const struct crowdsec_conf *c, const char *store, bool dry_run)
{
	struct lapi *l = calloc(1, sizeof(*l));
	char text[1024], err[PATH_MAX + 64];

	if (l == NULL)
		return NULL;
	l->c = c;
	l->state = "new";
	l->dry_run = dry_run;
	snprintf(l->store, sizeof(l->store), "%s", store);
	crowdsec_list_init(&l->held);
	crowdsec_list_init(&l->pushed);
	if (c->bouncer_key_file[0] == '\0' && !c->push) {
		log_warnx("crowdsec: url is set but neither bouncer_key_file nor push = yes");
		goto fail;
	}
	if (c->bouncer_key_file[0] != '\0' &&
	    lapi_read_file(c->bouncer_key_file, l->key, sizeof(l->key), true) < 0)
		goto fail;
	if (c->push) {
		if (c->machine_credentials[0] == '\0') {
			log_warnx("crowdsec: push = yes needs machine_credentials");
			goto fail;
		}
		if (lapi_read_file(c->machine_credentials, text, sizeof(text), false) < 0)
			goto fail;
		if (crowdsec_parse_credentials(text, l->machine_url, sizeof(l->machine_url),
					       l->login, sizeof(l->login), l->password,
					       sizeof(l->password), err, sizeof(err)) < 0) {
			log_warnx("crowdsec: %s: %s", c->machine_credentials, err);
			goto fail;
		}
	}
	if (crowdsec_store_load(l->store, &l->held, &l->pushed, err, sizeof(err)) < 0) {
		log_warnx("crowdsec: decisions store refused: %s", err);
		goto fail;
	}
	crowdsec_list_sort_addr(&l->pushed);
	l->curl = curl_easy_init();
	if (l->curl == NULL) {
		log_warnx("crowdsec: curl_easy_init failed");
		goto fail;
	}
	return l;
fail:
	lapi_close(l);
	return NULL;
}

void lapi_close(struct lapi *l)
{
	if (l == NULL)
		return;
	if (l->curl != NULL)
		curl_easy_cleanup(l->curl);
	crowdsec_list_free(&l->held);
	crowdsec_list_free(&l->pushed);
	explicit_bzero(l->password, sizeof(l->password));
	explicit_bzero(l->key, sizeof(l->key));
	free(l);
}

/*
 * One request: GET when body is NULL, else POST of JSON. The answer in out (caller frees
 * out->p). Returns the HTTP status, or -1 with the transport error in err.
 */
static long lapi_request(struct lapi *l, const char *url, const char *header, const char *body,
			 long timeout, struct lapi_buf *out, char *err, size_t errlen)
{
	struct curl_slist *h = NULL, *t;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	long status = -1;

	memset(out, 0, sizeof(*out));
	curl_easy_reset(l->curl);
	if (header != NULL) {
		t = curl_slist_append(h, header);
		if (t == NULL)
			goto nomem;
		h = t;
	}
	if (body != NULL) {
		t = curl_slist_append(h, "Content-Type: application/json");
		if (t == NULL)
			goto nomem;
		h = t;
		curl_easy_setopt(l->curl, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(l->curl, CURLOPT_URL, url);
	curl_easy_setopt(l->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(l->curl, CURLOPT_USERAGENT, "nftarpit-sync/" NFTARPIT_VERSION);
	curl_easy_setopt(l->curl, CURLOPT_WRITEFUNCTION, lapi_write);
	curl_easy_setopt(l->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(l->curl, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(l->curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(l->curl, CURLOPT_CONNECTTIMEOUT, (long)LAPI_TIMEOUT);
	curl_easy_setopt(l->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(l->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Accept any compression libcurl knows: a startup answer is big and very regular. */
	curl_easy_setopt(l->curl, CURLOPT_ACCEPT_ENCODING, "");
	rc = curl_easy_perform(l->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &status);
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	curl_slist_free_all(h);
	return status;
}

/* A failure: count it, remember why, and back off from poll_interval up to the cap. */
static int lapi_failed(struct lapi *l, int64_t now, int kind, const char *what, const char *why)
{
	l->errors++;
	l->backoff = l->backoff == 0 ? l->c->poll_interval : l->backoff * 2;
	if (l->backoff > LAPI_BACKOFF_MAX)
		l->backoff = LAPI_BACKOFF_MAX;
	l->next_pull = now + l->backoff;
	l->state = kind == LAPI_REFUSED ? "refused" : "down";
	snprintf(l->last_error, sizeof(l->last_error), "%s", why);
	log_warnx("crowdsec %s failed url=%s error=\"%s\" held=%zu retry_in=%llds", what, l->c->url,
		  why, l->held.n, (long long)l->backoff);
	lapi_status_save(l);
	return kind;
}

/*
 * Deletions that end a ban we pushed: looked up before the delta is applied, while the
 * held list still has the deleted decision and its end.
 */
static void lapi_release(struct lapi *l, const struct crowdsec_delta *d, struct state *st,
			 int64_t now)
{
	const struct crowdsec_decision *held;
	struct crowdsec_decision key, *p;
	struct state_entry *e;
	char a[CIDR_TEXT_MAX];
	size_t i;
	int len;

	for (i = 0; i < d->del.n; i++) {
		key = d->del.d[i];
		held = crowdsec_list_find(&l->held, key.id);
		len = cidr_range_prefix_len(&key.range, key.family);
		if (held == NULL || (int64_t)held->range.tag <= now + LAPI_EARLY || len < 0)
			continue;
		p = crowdsec_list_find_addr(&l->pushed, key.family, &key.range.first);
		if (p == NULL || cidr_addr_cmp(&p->range.last, &key.range.last) != 0)
			continue;
		e = state_find(st, key.family, &key.range.first, (unsigned int)len);
		if (e == NULL || e->expires <= now)
			continue;
		e->expires = now;
		p->range.tag = (uint64_t)now;
		cidr_range_format(&key.range, key.family, a, sizeof(a));
		log_info("crowdsec release src=%s decision=%lld (deleted at the LAPI)", a,
			 (long long)key.id);
	}
}

/*
 * Move the fresh single-address decisions to fresh[0]/fresh[1] (tag: expiry); the number
 * moved, or -1. Ranges stay for the full pass, which weighs them against block_max_share.
 */
static long lapi_take_fresh(const struct crowdsec_list *fr, struct cidr_set fresh[2])
{
	long moved = 0;
	size_t i;

	for (i = 0; i < fr->n; i++) {
		if (cidr_addr_cmp(&fr->d[i].range.first, &fr->d[i].range.last) != 0)
			continue;
		if (cidr_set_add(&fresh[fr->d[i].family == 4 ? 0 : 1], &fr->d[i].range) < 0)
			return -1;
		moved++;
	}
	return moved;
}

int lapi_pull(struct lapi *l, struct state *st, int64_t now, struct cidr_set fresh[2])
{
	char url[512], hdr[300], err[256];
	struct crowdsec_delta d;
	struct crowdsec_list fr;
	struct lapi_buf b;
	long status;
	long changes, moved = 0;

	if (l->key[0] == '\0' || now < l->next_pull)
		return 0;
	snprintf(url, sizeof(url), "%s/v1/decisions/stream?startup=%s", l->c->url,
		 l->started ? "false" : "true");
	snprintf(hdr, sizeof(hdr), "X-Api-Key: %s", l->key);
	status = lapi_request(l, url, hdr, NULL, l->started ? LAPI_TIMEOUT : LAPI_TIMEOUT_STARTUP,
			      &b, err, sizeof(err));
	if (status < 0) {
		free(b.p);
		return lapi_failed(l, now, LAPI_DOWN, "pull", err);
	}
	if (status != 200) {
		free(b.p);
		snprintf(err, sizeof(err), "HTTP %ld%s", status,
			 status == 401 || status == 403 ? " (bouncer key refused)" : "");
		return lapi_failed(l, now, status >= 500 ? LAPI_DOWN : LAPI_REFUSED, "pull", err);
	}
	if (csjson_parse_stream(b.p != NULL ? b.p : "", b.n, l->c, now, &d, err, sizeof(err)) < 0) {
		free(b.p);
		return lapi_failed(l, now, LAPI_REFUSED, "pull", err);
	}
	free(b.p);
	if (d.bad > 0)
		log_warnx("crowdsec pull: %zu decisions unreadable, last: %s", d.bad, err);
	lapi_release(l, &d, st, now);
	crowdsec_list_init(&fr);
	changes = crowdsec_held_apply(&l->held, &d, !l->started, now, fresh != NULL ? &fr : NULL);
	if (changes >= 0 && fresh != NULL) {
		moved = lapi_take_fresh(&fr, fresh);
		if (moved < 0)
			changes = -1;
	}
	crowdsec_list_free(&fr);
	if (changes < 0) {
		crowdsec_delta_free(&d);
		return lapi_failed(l, now, LAPI_DOWN, "pull", "out of memory");
	}
	log_debug("crowdsec pull startup=%s new=%zu deleted=%zu ignored=%zu held=%zu changes=%ld",
		  l->started ? "no" : "yes", d.add.n, d.del.n, d.ignored, l->held.n, changes);
	if (!l->started || changes > 0)
		log_info(
			"crowdsec pull startup=%s new=%zu deleted=%zu ignored=%zu bad=%zu held=%zu",
			l->started ? "no" : "yes", d.add.n, d.del.n, d.ignored, d.bad, l->held.n);
	crowdsec_delta_free(&d);
	/* A fresh start after being away counts as a change: what we held may be stale. */
	if (!l->started && changes == 0)
		changes = 1;
	l->started = true;
	l->pulls++;
	l->last_pull = now;
	l->backoff = 0;
	l->next_pull = now + l->c->poll_interval;
	l->state = "up";
	if (changes > 0)
		(void)lapi_save(l);
	lapi_status_save(l);
	changes -= moved;
	return (int)(changes > 0x7fffffff ? 0x7fffffff : changes);
}

int lapi_want(const struct lapi *l, int64_t now, bool timeouts, struct cidr_set *want4,
	      struct cidr_set *want6)
{
	struct cidr_range x;
	size_t i;

	for (i = 0; i < l->held.n; i++) {
		if ((int64_t)l->held.d[i].range.tag <= now)
			continue;
		x = l->held.d[i].range;
		if (!timeouts)
			x.tag = 0;
		if (cidr_set_add(l->held.d[i].family == 4 ? want4 : want6, &x) < 0)
			return -1;
	}
	return 0;
}

/* Log in as the machine: a JWT in l->token; 0 or -1 with the reason in err. */
static int lapi_login(struct lapi *l, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object(), *ans = NULL, *tok;
	char url[512];
	struct lapi_buf b = {0};
	long status;
	int rc = -1;

	if (req == NULL)
		return -1;
	json_object_object_add(req, "machine_id", json_object_new_string(l->login));
	json_object_object_add(req, "password", json_object_new_string(l->password));
	json_object_object_add(req, "scenarios", json_object_new_array());
	snprintf(url, sizeof(url), "%s/v1/watchers/login", l->c->url);
	status = lapi_request(l, url, NULL, json_object_to_json_string(req), LAPI_TIMEOUT, &b, err,
			      errlen);
	if (status < 0)
		goto out;
	if (status != 200) {
		snprintf(err, errlen, "login HTTP %ld%s", status,
			 status == 401 || status == 403 ? " (machine credentials refused)" : "");
		goto out;
	}
	ans = json_tokener_parse(b.p != NULL ? b.p : "");
	if (ans == NULL || !json_object_object_get_ex(ans, "token", &tok) ||
	    !json_object_is_type(tok, json_type_string) ||
	    strlen(json_object_get_string(tok)) >= sizeof(l->token)) {
		snprintf(err, errlen, "login answer has no token");
		goto out;
	}
	snprintf(l->token, sizeof(l->token), "%s", json_object_get_string(tok));
	rc = 0;
out:
	json_object_put(ans);
	json_object_put(req);
	free(b.p);
	return rc;
}

/* POST one batch of alerts, logging in first or again when the token was refused. */
static int lapi_post_alerts(struct lapi *l, const char *body, char *err, size_t errlen)
{
	char url[512], hdr[4200];
	struct lapi_buf b;
	long status;
	int attempt;

	snprintf(url, sizeof(url), "%s/v1/alerts", l->c->url);
	for (attempt = 0; attempt < 2; attempt++) {
		if (l->token[0] == '\0' && lapi_login(l, err, errlen) < 0)
			return -1;
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", l->token);
		status = lapi_request(l, url, hdr, body, LAPI_TIMEOUT, &b, err, errlen);
		free(b.p);
		if (status == 200 || status == 201)
			return 0;
		if (status < 0)
			return -1;
		snprintf(err, errlen, "alerts HTTP %ld", status);
		if (status != 401 && status != 403)
			return -1;
		l->token[0] = '\0';
	}
	return -1;
}

static unsigned int lapi_first_bit(uint32_t v)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (v & (1u << i))
			return i;
	return 0;
}

int lapi_push(struct lapi *l, const struct state *st, int64_t now)
{
	struct crowdsec_ban bans[LAPI_PUSH_BATCH];
	struct crowdsec_decision *p, nd;
	char err[256], *body;
	size_t i, n = 0, k, sent = 0, n0;
	int rc = 0;

	if (!l->c->push || (l->push_owed && now < l->next_push))
		return 0;
	for (i = 0; i <= st->n; i++) {
		if (i < st->n) {
			const struct state_entry *e = &st->e[i];

			if (e->expires <= now)
				continue;
			p = crowdsec_list_find_addr(&l->pushed, e->family, &e->addr);
			if (p != NULL && (int64_t)p->range.tag == e->expires)
				continue;
			memset(&bans[n], 0, sizeof(bans[n]));
			bans[n].family = e->family;
			bans[n].addr = e->addr;
			bans[n].prefix = e->prefix;
			bans[n].expires = e->expires;
			snprintf(bans[n].reason, sizeof(bans[n].reason), "%s",
				 reason_name(lapi_first_bit(e->sources)));
			n++;
		}
		if (n == 0 || (n < LAPI_PUSH_BATCH && i < st->n))
			continue;
		body = csjson_alerts(bans, n, l->login, now);
		if (body == NULL || lapi_post_alerts(l, body, err, sizeof(err)) < 0) {
			if (body == NULL)
				snprintf(err, sizeof(err), "out of memory");
			free(body);
			l->errors++;
			l->push_owed = true;
			l->next_push = now + (l->backoff > 0 ? l->backoff : l->c->poll_interval);
			snprintf(l->last_error, sizeof(l->last_error), "%s", err);
			log_warnx("crowdsec push failed url=%s error=\"%s\" unsent=%zu "
				  "retry_in=%llds",
				  l->c->url, err, n, (long long)(l->next_push - now));
			rc = -1;
			break;
		}
		free(body);
		/* Known addresses get their new end; new ones are appended, then sorted. */
		n0 = l->pushed.n;
		for (k = 0; k < n; k++) {
			memset(&nd, 0, sizeof(nd));
			nd.family = bans[k].family;
			nd.range = cidr_prefix_of(&bans[k].addr, bans[k].family, bans[k].prefix);
			nd.range.tag = (uint64_t)bans[k].expires;
			p = crowdsec_list_find_addr(
				&(struct crowdsec_list){.n = n0, .d = l->pushed.d}, nd.family,
				&nd.range.first);
			if (p != NULL)
				p->range.tag = nd.range.tag;
			else if (crowdsec_list_add(&l->pushed, &nd) < 0)
				return -1;
			cidr_range_format(&nd.range, nd.family, err, sizeof(err));
			log_info("crowdsec push src=%s scenario=nftarpit/%s expires_in=%llds", err,
				 bans[k].reason, (long long)(bans[k].expires - now));
		}
		crowdsec_list_sort_addr(&l->pushed);
		sent += n;
		l->pushes += n;
		n = 0;
	}
	if (rc == 0)
		l->push_owed = false;
	/* Pushed bans that ended are forgotten: a new ban is a change. */
	for (i = 0, k = 0; i < l->pushed.n; i++)
		if ((int64_t)l->pushed.d[i].range.tag > now)
			l->pushed.d[k++] = l->pushed.d[i];
	if (k != l->pushed.n || sent > 0) {
		l->pushed.n = k;
		(void)lapi_save(l);
	}
	if (sent > 0 || rc < 0)
		lapi_status_save(l);
	return rc;
}

bool lapi_push_due(const struct lapi *l, int64_t now)
{
	return l->c->push && l->push_owed && now >= l->next_push;
}

void lapi_summary(const struct lapi *l, char *out, size_t len)
{
	snprintf(out, len,
		 "url=%s state=%s held=%zu last_pull=%lld pulls=%llu errors=%llu pushed=%llu "
		 "last_error=\"%s\"",
		 l->c->url, l->state, l->held.n, (long long)l->last_pull,
		 (unsigned long long)l->pulls, (unsigned long long)l->errors,
		 (unsigned long long)l->pushes, l->last_error);
}

int lapi_save(struct lapi *l)
{
	if (l->dry_run)
		return 0;
	return crowdsec_store_save(l->store, &l->held, &l->pushed, NULL);
}

/*
 * The status line for nftarpitctl, in a small file of its own (STORE.status): written after
 * every pull, while the store with every decision is written only when they change.
 */
static void lapi_status_save(struct lapi *l)
{
	struct crowdsec_list none;
	char path[PATH_MAX + 32], status[768];

	if (l->dry_run)
		return;
	crowdsec_list_init(&none);
	lapi_summary(l, status, sizeof(status));
	snprintf(path, sizeof(path), "%s.status", l->store);
	(void)crowdsec_store_save(path, &none, &none, status);
}
