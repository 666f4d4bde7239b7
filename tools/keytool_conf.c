/*
 * keytool_conf: the keytool's view of the daemon's configuration file: the
 * token settings and which domains and selectors use which key.
 */
#include "config.h"

#include <stdlib.h>

#include "tools/keytool.h"

/* Interim until config/ lands on main: -c is refused with a clear message. */
int
kt_conf_load(struct kt_ctx *ctx)
{
	kt_errx(ctx,
	        "%s: reading the configuration file is not built in yet; use --module, --token, "
	        "--pin-file",
	        ctx->conf_path);
	return -1;
}

void
kt_conf_free(struct kt_ctx *ctx)
{
	free(ctx->uses);
	ctx->uses = NULL;
	ctx->nuses = 0;
}
