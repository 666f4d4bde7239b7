/*
 * config/conf_internal.h: what the files of config/ share and nobody else
 * sees. A struct conf_ctx lives for one conf_load() call: it collects errors
 * (with where they are) while the sections are walked, so that one run
 * reports every problem.
 *
 * Setting paths are built as the walk descends, "token.sessions",
 * "domains[2].keys[0].selector"; CONF_PATH_MAX bounds them (longer ones are
 * cut, they only name things in messages).
 *
 * Conventions of the conf_get_* helpers: they return 1 when the setting is
 * present and valid (*out set), 0 when absent (*out untouched; an error is
 * recorded if it was required), -1 when present but wrong (error recorded).
 * Strings handed out are copies the caller owns.
 */
#ifndef P11DKIM_CONFIG_CONF_INTERNAL_H
#define P11DKIM_CONFIG_CONF_INTERNAL_H

#include <libconfig.h>
#include <sys/stat.h>
#include <stdarg.h>

#include "config/conf.h"

#define CONF_PATH_MAX 256
#define CONF_MAX_ERRORS 100

struct conf_ctx {
	const char *path;        /* the main file, as given */
	char include_dir[4096];  /* where @include'd names are resolved */
	struct conf_errors errs; /* collected so far */
	size_t cap;
	const char *text; /* the main file's bytes, NUL-terminated */
	size_t textlen;
	bool truncated; /* CONF_MAX_ERRORS reached */
	bool oom;
};

/* Records an error at setting s (NULL: the file as a whole, or line given
 * by the parent when s is missing). path is the setting path ("" = none). */
void conf_err(struct conf_ctx *, const config_setting_t *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with an explicit file (NULL = main) and line. */
void conf_err_at(struct conf_ctx *, const char *file, int line, const char *path, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
void conf_err_oom(struct conf_ctx *);
/* Appends msg (about the main file) past every limit: for "out of memory"
 * and "too many errors", at most two such. */
void conf_err_final(struct conf_ctx *, const char *msg);
/* Sorts errors by file (first appearance) and line, stable. */
void conf_errs_sort(struct conf_errors *);

/* The line of s, as an int. */
int conf_line(const config_setting_t *s);

/* dst = "parent.name" (or "name" at the top). */
void conf_path_member(char *dst, const char *parent, const char *name);
/* dst = "parent[i]". */
void conf_path_index(char *dst, const char *parent, int i);

/* Reports every member of group g (path gpath) that is not in known (a NULL
 * terminated list), with a "did you mean" for near misses. Returns the number
 * of unknown members. */
int conf_check_members(struct conf_ctx *, const config_setting_t *g, const char *gpath,
                       const char *const *known);
/* The known name nearest to name (edit distance <= 2), or NULL. */
const char *conf_did_you_mean(const char *name, const char *const *known);

const char *conf_type_name(int type);

/* Copies, or records out of memory and returns NULL. */
char *conf_strdup(struct conf_ctx *, const char *);

int conf_get_string(struct conf_ctx *, const config_setting_t *g, const char *gpath,
                    const char *name, bool required, char **out);
int conf_get_bool(struct conf_ctx *, const config_setting_t *g, const char *gpath, const char *name,
                  bool *out);
int conf_get_int(struct conf_ctx *, const config_setting_t *g, const char *gpath, const char *name,
                 long long min, long long max, long long *out);
/* A scalar value of s as a string (for lists of strings). */
int conf_elem_string(struct conf_ctx *, const config_setting_t *s, const char *spath, char **out);
/* g's member name when it is a group, an error when it is something else. */
int conf_get_group(struct conf_ctx *, const config_setting_t *g, const char *gpath,
                   const char *name, bool required, config_setting_t **out);
/* The same for a list ( ... ) or an array [ ... ] (lists_only: lists). */
int conf_get_list(struct conf_ctx *, const config_setting_t *g, const char *gpath, const char *name,
                  bool lists_only, config_setting_t **out);

/* False if the integer literal written for s (in the main file) is not
 * value: libconfig 1.5 wraps literals past 32 bits without a word. */
bool conf_literal_matches(const struct conf_ctx *, const config_setting_t *s, long long value);

/* Syntax checks; they return NULL when fine, else the reason. */
const char *conf_check_dns_name(const char *name);
/* Splits text ("a.example, b.example c.example": commas and/or blanks; text is cut up) into
 * malloc'd copies in *v, *n of them (*v NULL when none). 0 when fine; -1 with why filled when a
 * name is not a DNS name; -2 when out of memory. Nothing is kept on error. The internal_hosts
 * domains and sign.login_map's are both written this way. */
int conf_domain_list(char *text, char ***v, size_t *n, char *why, size_t whylen);
/* Frees n strings of v, then v. */
void conf_strv_free(char **v, size_t n);
const char *conf_check_abs_path(const char *p);
/* A pkcs11: URI (RFC 7512) is recognised by its scheme, in any case, and checked no further here:
 * config/ depends on no other part. pkcs11/ parses it when the token is opened, and p11dkim -n
 * checks it beforehand, naming the file and the setting. */
#define CONF_IS_PKCS11_URI(s) (strncasecmp((s), "pkcs11:", 7) == 0)

/* Sections (conf_top.c, conf_token.c, conf_sign.c, conf_domains.c). */
void conf_top_load(struct conf_ctx *, const config_setting_t *root, struct conf *);
void conf_token_load(struct conf_ctx *, const config_setting_t *root, struct conf *);
void conf_token_free(struct conf *);
void conf_sign_load(struct conf_ctx *, const config_setting_t *root, struct conf_sign *);
void conf_domains_load(struct conf_ctx *, const config_setting_t *root, struct conf *);
void conf_socket_parse(struct conf_ctx *, const config_setting_t *s, const char *path,
                       struct conf *);

/* NULL if st describes a file we may trust (regular, not writable by group or others, owned
 * by root or by the user this process runs as), else why not, written into why (conf_load.c;
 * included files and the login map are held to the same rule). */
const char *conf_file_why(const struct stat *st, char *why, size_t len);

/* The login map (conf_loginmap.c): reads sign.login_map; errors name the file and line. */
struct conf_loginmap *conf_loginmap_load(struct conf_ctx *, const char *path);
void conf_loginmap_free(struct conf_loginmap *);

/* CIDR (conf_cidr.c): parses "addr" or "addr/prefix"; NULL or the reason in
 * why (a buffer of whylen bytes). */
bool conf_cidr_parse(const char *text, struct conf_cidr *out, char *why, size_t whylen);
bool conf_cidr_match(const struct conf_cidr *, int family, const unsigned char *addr);
/* Frees the domain list of an internal_hosts block. */
void conf_cidr_free_domains(struct conf_cidr *);

/* Signing table (conf_signtable.c). build returns NULL on out of memory;
 * duplicate domains are reported by index pairs through dup (may be NULL). */
struct conf_signtable *conf_signtable_build(const struct conf_domain *domains, size_t n,
                                            void (*dup)(void *arg, size_t first, size_t again),
                                            void *arg);
void conf_signtable_free(struct conf_signtable *);

#endif
