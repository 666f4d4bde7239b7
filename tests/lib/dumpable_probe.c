/*
 * tests/lib/dumpable_probe.c: an LD_PRELOAD probe for tests/daemon/dumpable.sh. When the
 * program opens the file named by PROBE_PATH (its configuration: the first thing it reads
 * that leads to a secret), the probe appends the process's PR_GET_DUMPABLE value to
 * PROBE_OUT, then opens the file as asked. A program that turns dumping off on its first line
 * shows 0 there; one that does it later (after the PIN is read) shows 1.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>

static void
probe_note(const char *path)
{
	const char *want = getenv("PROBE_PATH"), *out = getenv("PROBE_OUT");
	FILE *f;

	if (want == NULL || out == NULL || path == NULL || strcmp(path, want) != 0)
		return;
	f = fopen(out, "a");
	if (f == NULL)
		return;
	fprintf(f, "%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	fclose(f);
}

typedef int (*probe_open_fn)(const char *, int, ...);

static int
probe_open(const char *sym, const char *path, int flags, va_list ap)
{
	probe_open_fn real = (probe_open_fn)dlsym(RTLD_NEXT, sym);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;

	probe_note(path);
	return real(path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	int r;

	va_start(ap, flags);
	r = probe_open("open", path, flags, ap);
	va_end(ap);
	return r;
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	int r;

	va_start(ap, flags);
	r = probe_open("open64", path, flags, ap);
	va_end(ap);
	return r;
}
