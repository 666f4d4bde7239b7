#include "config.h"
#include "tools/keytool.h"
int
kt_cmd_import_opendkim(struct kt_ctx *ctx, int argc, char **argv)
{
	return 2;
}
int
kt_cmd_bench(struct kt_ctx *ctx, int argc, char **argv)
{
	return 2;
}
