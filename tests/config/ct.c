/*
 * tests/config/ct.c: the temporary directory and file helpers, and main():
 * runs every config/ suite.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/config/ct.h"
#include "tests/lib/check_main.h"

static char ct_dirbuf[4096];

const char *
ct_dir(void)
{
	return ct_dirbuf;
}

void
ct_setup_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(ct_dirbuf, sizeof(ct_dirbuf), "%s/p11dkim-conf-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(ct_dirbuf) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
}

static int
ct_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
ct_cleanup_dir(void)
{
	if (ct_dirbuf[0] != '\0')
		nftw(ct_dirbuf, ct_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
ct_write(const char *name, const char *text, mode_t mode)
{
	static char path[8192];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ct_dirbuf, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_msg(fd >= 0, "cannot create %s", path);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

struct conf *
ct_load_ok(const char *name, const char *text)
{
	struct conf_error err;
	struct conf *c;
	char buf[8192];

	c = conf_load(ct_write(name, text, 0600), &err);
	ck_assert_msg(c != NULL, "%s does not load: %s", name,
	              conf_error_format(&err, buf, sizeof(buf)));
	return c;
}

int
main(void)
{
	int rc;

	ct_setup_dir();
	rc = check_run(ct_suite_bad(), ct_suite_good(), ct_suite_net(), ct_suite_signtable(), NULL);
	ct_cleanup_dir();
	return rc;
}
