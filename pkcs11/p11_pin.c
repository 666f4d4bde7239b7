/*
 * p11_pin.c: read the user PIN from an owner-only file or an environment variable into one
 * locked page (kept out of swap and core dumps); every other copy is wiped at once, the
 * variable's value too, and the variable is removed from the environment.
 * The PIN's value never reaches an error message.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pkcs11/p11_int.h"

/* Longer than any token accepts; a bigger file is not a PIN file. */
#define P11_PIN_MAX 255

static p11_status
p11_pin_alloc(struct p11_pin *pin, struct p11_error *err)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	pin->cap = page > 0 ? (size_t)page : 4096;
	p = mmap(NULL, pin->cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "cannot allocate memory for the PIN: %s",
		            strerror(errno));
		return P11_ERR_NOMEM;
	}
	/* Best effort: a low RLIMIT_MEMLOCK must not stop the daemon. */
	(void)mlock(p, pin->cap);
	(void)madvise(p, pin->cap, MADV_DONTDUMP);
	pin->buf = p;
	pin->len = 0;
	return P11_OK;
}

/* Removes one trailing newline (LF or CRLF), as editors add it. */
static void
p11_pin_chomp(struct p11_pin *pin)
{
	if (pin->len > 0 && pin->buf[pin->len - 1] == '\n')
		pin->buf[--pin->len] = '\0';
	if (pin->len > 0 && pin->buf[pin->len - 1] == '\r')
		pin->buf[--pin->len] = '\0';
}

static p11_status
p11_pin_read_file(struct p11_pin *pin, const char *file, struct p11_error *err)
{
	struct stat sb;
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "cannot open PIN file %s: %s", file,
		            strerror(errno));
		return P11_ERR_PIN_FILE;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "PIN file %s is not a regular file", file);
		return P11_ERR_PIN_FILE;
	}
	/* As ssh does for private keys: a secret others can read is refused, not used. */
	pin->id = (struct p11_pin_id){sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim};
	if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		p11_err_set(err, P11_ERR_PIN_FILE, 0,
		            "PIN file %s has mode %04o: group or others may access it; "
		            "make it readable by its owner only (chmod 600)",
		            file, (unsigned)(sb.st_mode & 07777));
		return P11_ERR_PIN_FILE;
	}
	for (;;) {
		n = read(fd, pin->buf + pin->len, P11_PIN_MAX + 1 - pin->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pin->len += (size_t)n;
		if (pin->len > P11_PIN_MAX)
			break;
	}
	close(fd);
	if (n < 0) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "cannot read PIN file %s", file);
		return P11_ERR_PIN_FILE;
	}
	if (pin->len > P11_PIN_MAX) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "PIN file %s is longer than %d bytes", file,
		            P11_PIN_MAX);
		return P11_ERR_PIN_FILE;
	}
	pin->buf[pin->len] = '\0';
	p11_pin_chomp(pin);
	return P11_OK;
}

/* The variable's value zeroed where it lies and the variable removed: the PIN leaves
 * /proc/PID/environ and is not passed to anything the module may execute. */
static void
p11_pin_unsetenv(const char *env)
{
	char *v = getenv(env);

	if (v != NULL)
		OPENSSL_cleanse(v, strlen(v));
	(void)unsetenv(env);
}

p11_status
p11_pin_load(struct p11_pin *pin, const char *file, const char *env, struct p11_error *err)
{
	const char *v;
	p11_status st;
	size_t n;

	memset(pin, 0, sizeof(*pin));
	if ((file == NULL) == (env == NULL)) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0,
		            "give exactly one PIN source: a PIN file or an environment variable");
		return P11_ERR_PIN_FILE;
	}
	if ((st = p11_pin_alloc(pin, err)) != P11_OK)
		return st;
	if (file != NULL)
		st = p11_pin_read_file(pin, file, err);
	else if ((v = getenv(env)) == NULL) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "environment variable %s is not set", env);
		st = P11_ERR_PIN_FILE;
	} else if ((n = strlen(v)) > P11_PIN_MAX) {
		p11_err_set(err, P11_ERR_PIN_FILE, 0, "environment variable %s is longer than %d",
		            env, P11_PIN_MAX);
		st = P11_ERR_PIN_FILE;
	} else {
		memcpy(pin->buf, v, n + 1);
		pin->len = n;
	}
	if (env != NULL)
		p11_pin_unsetenv(env);
	if (st == P11_OK && pin->len == 0) {
		if (file != NULL)
			p11_err_set(err, P11_ERR_PIN_FILE, 0, "PIN file %s is empty", file);
		else
			p11_err_set(err, P11_ERR_PIN_FILE, 0, "environment variable %s is empty",
			            env);
		st = P11_ERR_PIN_FILE;
	}
	if (st != P11_OK)
		p11_pin_wipe(pin);
	return st;
}

void
p11_pin_wipe(struct p11_pin *pin)
{
	if (pin->buf == NULL)
		return;
	OPENSSL_cleanse(pin->buf, pin->cap);
	munlock(pin->buf, pin->cap);
	munmap(pin->buf, pin->cap);
	pin->buf = NULL;
	pin->len = 0;
}

bool
p11_pin_changed(const char *file, const struct p11_pin_id *id)
{
	struct stat sb;

	if (lstat(file, &sb) != 0)
		return true;
	return sb.st_dev != id->dev || sb.st_ino != id->ino || sb.st_size != id->size ||
	       sb.st_mtim.tv_sec != id->mtime.tv_sec || sb.st_mtim.tv_nsec != id->mtime.tv_nsec;
}
