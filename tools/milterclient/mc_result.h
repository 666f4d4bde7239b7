/*
 * mc_result: recording a milter's answers into a struct mc_result (internal to
 * milter_client). Strings go into the result's own store, which is kept
 * between messages; pointers in mods are set by mc_result_finish() once the
 * store stops moving. Not thread-safe (one result per thread).
 */
#ifndef P11DKIM_TOOLS_MC_RESULT_H
#define P11DKIM_TOOLS_MC_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "tools/milterclient/milter_client.h"

void mc_result_reset(struct mc_result *res);
enum mc_status mc_result_add(struct mc_result *res, enum mc_mod_type type, uint32_t index,
                             const char *name, size_t name_len, const char *value,
                             size_t value_len);
enum mc_status mc_result_set_reply(struct mc_result *res, const char *text, size_t len);
void mc_result_finish(struct mc_result *res);

#endif
