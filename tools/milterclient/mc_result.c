/* mc_result: a milter's answers to one message; see mc_result.h and milter_client.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/milterclient/mc_result.h"

void
mc_result_init(struct mc_result *res)
{
	memset(res, 0, sizeof(*res));
}

void
mc_result_free(struct mc_result *res)
{
	free(res->reply);
	free(res->mods);
	free(res->store_);
	memset(res, 0, sizeof(*res));
}

void
mc_result_reset(struct mc_result *res)
{
	free(res->reply);
	res->reply = NULL;
	res->action = 0;
	res->stage = 0;
	res->body_skipped = 0;
	res->rcpt_rejected = 0;
	res->progress = 0;
	res->nmods = 0;
	res->store_len_ = 0;
}

static enum mc_status
mc_result_store(struct mc_result *res, const char *data, size_t len, size_t *off)
{
	size_t cap;
	char *np;

	if (len > SIZE_MAX / 4 || res->store_len_ > SIZE_MAX / 4)
		return MC_ERR_NOMEM;
	if (res->store_cap_ - res->store_len_ < len + 1) {
		cap = res->store_cap_ ? res->store_cap_ : 1024;
		while (cap - res->store_len_ < len + 1)
			cap *= 2;
		if ((np = realloc(res->store_, cap)) == NULL)
			return MC_ERR_NOMEM;
		res->store_ = np;
		res->store_cap_ = cap;
	}
	*off = res->store_len_;
	if (len > 0)
		memcpy(res->store_ + res->store_len_, data, len);
	res->store_[res->store_len_ + len] = '\0';
	res->store_len_ += len + 1;
	return MC_OK;
}

enum mc_status
mc_result_add(struct mc_result *res, enum mc_mod_type type, uint32_t index, const char *name,
              size_t name_len, const char *value, size_t value_len)
{
	struct mc_mod *m;
	enum mc_status st;

	if (res->nmods == res->mods_cap_) {
		size_t cap = res->mods_cap_ ? res->mods_cap_ * 2 : 8;
		struct mc_mod *nm = reallocarray(res->mods, cap, sizeof(*nm));

		if (nm == NULL)
			return MC_ERR_NOMEM;
		res->mods = nm;
		res->mods_cap_ = cap;
	}
	m = &res->mods[res->nmods];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->index = index;
	if ((st = mc_result_store(res, name, name_len, &m->name_off_)) != MC_OK)
		return st;
	if ((st = mc_result_store(res, value, value_len, &m->value_off_)) != MC_OK)
		return st;
	m->value_len = value_len;
	res->nmods++;
	return MC_OK;
}

enum mc_status
mc_result_set_reply(struct mc_result *res, const char *text, size_t len)
{
	free(res->reply);
	if ((res->reply = malloc(len + 1)) == NULL)
		return MC_ERR_NOMEM;
	memcpy(res->reply, text, len);
	res->reply[len] = '\0';
	return MC_OK;
}

void
mc_result_finish(struct mc_result *res)
{
	size_t i;

	for (i = 0; i < res->nmods; i++) {
		res->mods[i].name = res->store_ + res->mods[i].name_off_;
		res->mods[i].value = res->store_ + res->mods[i].value_off_;
	}
}

size_t
mc_result_count_added(const struct mc_result *res, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < res->nmods; i++)
		if ((res->mods[i].type == MC_MOD_ADDHEADER ||
		     res->mods[i].type == MC_MOD_INSHEADER) &&
		    strcasecmp(res->mods[i].name, name) == 0)
			n++;
	return n;
}
