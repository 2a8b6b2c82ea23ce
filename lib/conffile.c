// SPDX-License-Identifier: GPL-2.0-or-later
/* The one config file, /etc/nftarpit/nftarpit.conf: read one section, errors as file:line. */
#include "conffile.h"

#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Each section is read by one program; the others skip it, so one file serves all three. */
static const char *const conffile_sections[] = {"daemon", "sync", "ruleset", "crowdsec"};

struct conffile_ctx {
	const char *path;
	const char *section;
	FILE *f;
	int line;
	int errors;
	bool more; /* a second pass: the file's other errors were reported already */
	conffile_set_fn set;
	void *arg;
};

/* inih reader that counts lines, so every error names its file:line. */
static char *conffile_reader(char *str, int num, void *stream)
{
	struct conffile_ctx *ctx = stream;
	char *r = fgets(str, num, ctx->f);

	if (r != NULL)
		ctx->line++;
	return r;
}

static int conffile_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conffile_ctx *ctx = user;
	const char *err;
	size_t i;

	if (strcmp(section, ctx->section) != 0) {
		for (i = 0; i < sizeof(conffile_sections) / sizeof(conffile_sections[0]); i++) {
			if (strcmp(section, conffile_sections[i]) == 0)
				return 1;
		}
		if (ctx->more)
			return 1;
		log_warnx("%s:%d: unknown section [%s]", ctx->path, ctx->line, section);
		ctx->errors++;
		return 1;
	}
	err = ctx->set(ctx->arg, name, value);
	if (err != NULL) {
		log_warnx("%s:%d: %s = %s: %s", ctx->path, ctx->line, name, value, err);
		ctx->errors++;
	}
	return 1;
}

static int conffile_read(const char *path, const char *section, conffile_set_fn set, void *arg,
			 bool more)
{
	struct conffile_ctx ctx = {
		.path = path, .section = section, .set = set, .arg = arg, .more = more};
	int r;

	ctx.f = fopen(path, "re");
	if (ctx.f == NULL)
		return -1;
	r = ini_parse_stream(conffile_reader, &ctx, conffile_handler, &ctx);
	fclose(ctx.f);
	if (r > 0 && !more) {
		/* A line inih could not read itself: no '=', or an unclosed [section. */
		log_warnx("%s:%d: syntax error", path, r);
		ctx.errors++;
	}
	return ctx.errors;
}

int conffile_load(const char *path, const char *section, conffile_set_fn set, void *arg)
{
	return conffile_read(path, section, set, arg, false);
}

int conffile_load_more(const char *path, const char *section, conffile_set_fn set, void *arg)
{
	return conffile_read(path, section, set, arg, true);
}

const char *conffile_bool(const char *v, bool *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return NULL;
	}
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return NULL;
	}
	return "not a boolean (yes or no)";
}
