/*
 * tests/config/fuzz_replay.c: runs the fuzz target over its seed corpus (and
 * every regression input found by fuzzing) without libFuzzer, so make check
 * keeps them passing under the sanitizers. Arguments: files or directories;
 * none = $top_srcdir/tests/config/fuzz-corpus.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	unsigned char *buf;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	buf = malloc(1 << 20);
	if (buf == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(buf, 1, 1 << 20, f);
	fclose(f);
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
		return replay_file(path);
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
	unsigned count = 0;
	int i, bad = 0;

	if (argc < 2) {
		snprintf(dir, sizeof(dir), "%s/tests/config/fuzz-corpus", src ? src : ".");
		bad = replay(dir, &count);
	}
	for (i = 1; i < argc; i++)
		bad |= replay(argv[i], &count);
	printf("fuzz_replay: %u inputs\n", count);
	return bad || count == 0;
}
