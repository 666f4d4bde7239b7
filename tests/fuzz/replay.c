/*
 * tests/fuzz/replay.c: runs one fuzz target over its seed corpus and its
 * regression inputs without libFuzzer, so make check keeps them passing in
 * every build (the sanitizer build included). Compiled once per target with
 * -DFUZZ_NAME='"NAME"'.
 *
 * Arguments: files or directories to replay. None: the target's own
 * $top_srcdir/tests/fuzz/corpus/NAME (required) and
 * $top_srcdir/tests/fuzz/regressions/NAME (if present).
 * Exit status: 0 when every input ran (a failed property aborts), 1 when an
 * input could not be read or there was none.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_NAME
#error "compile with -DFUZZ_NAME='\"target\"'"
#endif

/* libFuzzer is run with inputs far smaller than this; bigger ones are refused. */
#define REPLAY_MAX (16u << 20)

static int
replay_file(const char *path, off_t size)
{
	unsigned char *buf;
	size_t n;
	FILE *f;

	if (size < 0 || (unsigned long long)size > REPLAY_MAX) {
		fprintf(stderr, "%s: too big to replay\n", path);
		return 1;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	/* An exact-size copy, so that ASan sees a read past its end. */
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (buf == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(buf, 1, (size_t)size, f);
	fclose(f);
	if (n != (size_t)size) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
replay(const char *path, unsigned *count)
{
	char sub[4096];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int bad = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path, st.st_size);
	}
	d = opendir(path);
	if (d == NULL) {
		perror(path);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		bad |= replay(sub, count);
	}
	closedir(d);
	return bad;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("top_srcdir");
	char dir[4096];
	struct stat st;
	unsigned count = 0;
	int i, bad = 0;

	if (src == NULL)
		src = ".";
	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, FUZZ_NAME);
		bad |= replay(dir, &count);
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regressions/%s", src, FUZZ_NAME);
		if (stat(dir, &st) == 0)
			bad |= replay(dir, &count);
	}
	for (i = 1; i < argc; i++)
		bad |= replay(argv[i], &count);
	printf("fuzz replay %s: %u inputs\n", FUZZ_NAME, count);
	return bad || count == 0;
}
