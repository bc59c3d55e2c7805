/*
 * c-filter: an Akhbar normalizer written in C, against akhbar_plugin.h only.
 *
 * It rejects any article whose encoded bytes contain a banned phrase (config:
 * {"banned": "..."}, default "BUY NOW"), and otherwise returns the article
 * with one provenance record appended. Appending works without a protobuf
 * library because a repeated field may be appended to an encoded message:
 * field 17 (Article.provenance), wire type 2.
 *
 * Build:  cc -shared -fPIC -I ../../plugins/sdk/include c_filter.c \
 *            -o libakhbar_plugin_c_filter.so
 */
#include <stdlib.h>
#include <string.h>

#include "akhbar_plugin.h"

#define MAX_BANNED 120

typedef struct {
  char banned[MAX_BANNED + 1];
  size_t banned_len;
} Filter;

static int32_t fill(AkhbarBuffer *out, const uint8_t *bytes, size_t len) {
  out->ptr = NULL;
  out->len = 0;
  out->cap = 0;
  if (len == 0) return 0;
  out->ptr = malloc(len);
  if (out->ptr == NULL) return -1;
  memcpy(out->ptr, bytes, len);
  out->len = len;
  out->cap = len;
  return 0;
}

static int32_t message(AkhbarBuffer *out, int32_t status, const char *text) {
  fill(out, (const uint8_t *)text, strlen(text));
  return status;
}

/* Finds "banned" in a flat JSON object and copies its string value. */
static void parse_config(Filter *filter, const uint8_t *config, size_t len) {
  static const char key[] = "\"banned\"";
  size_t i, j;
  for (i = 0; i + sizeof key - 1 <= len; i++) {
    if (memcmp(config + i, key, sizeof key - 1) != 0) continue;
    for (i += sizeof key - 1; i < len && config[i] != '"'; i++) {
    }
    for (j = ++i; j < len && config[j] != '"'; j++) {
    }
    if (j > len || j - i > MAX_BANNED) return;
    memcpy(filter->banned, config + i, j - i);
    filter->banned[j - i] = '\0';
    filter->banned_len = j - i;
    return;
  }
}

static int32_t create(const uint8_t *config, size_t config_len, void **instance,
                      AkhbarBuffer *error) {
  Filter *filter = calloc(1, sizeof *filter);
  if (filter == NULL) return message(error, AKHBAR_ERROR, "out of memory");
  strcpy(filter->banned, "BUY NOW");
  filter->banned_len = strlen(filter->banned);
  parse_config(filter, config, config_len);
  if (filter->banned_len == 0) {
    free(filter);
    return message(error, AKHBAR_ERROR, "config: \"banned\" must not be empty");
  }
  *instance = filter;
  error->ptr = NULL;
  error->len = error->cap = 0;
  return AKHBAR_OK;
}

static int contains(const uint8_t *hay, size_t len, const char *needle, size_t n) {
  size_t i;
  for (i = 0; n <= len && i + n <= len; i++)
    if (memcmp(hay + i, needle, n) == 0) return 1;
  return 0;
}

/* Appends a length-prefixed string field (all lengths here are < 128). */
static size_t put_string(uint8_t *at, uint8_t tag, const char *text) {
  size_t n = strlen(text);
  at[0] = tag;
  at[1] = (uint8_t)n;
  memcpy(at + 2, text, n);
  return n + 2;
}

static int32_t process(void *instance, const uint8_t *input, size_t input_len,
                       AkhbarBuffer *output) {
  const Filter *filter = instance;
  uint8_t record[128];
  size_t record_len = 0;
  if (contains(input, input_len, filter->banned, filter->banned_len))
    return message(output, AKHBAR_REJECTED, "contains a banned phrase");

  record_len += put_string(record + record_len, 0x0A, "normalizer");     /* stage */
  record_len += put_string(record + record_len, 0x12, "c-filter");       /* plugin */
  record_len += put_string(record + record_len, 0x1A, "1.0.0");          /* version */
  record_len += put_string(record + record_len, 0x22, "no banned phrase"); /* action */

  output->ptr = malloc(input_len + 3 + record_len);
  if (output->ptr == NULL) return message(output, AKHBAR_ERROR, "out of memory");
  memcpy(output->ptr, input, input_len);
  output->ptr[input_len] = 0x8A; /* field 17, wire type 2: varint 138 */
  output->ptr[input_len + 1] = 0x01;
  output->ptr[input_len + 2] = (uint8_t)record_len;
  memcpy(output->ptr + input_len + 3, record, record_len);
  output->len = output->cap = input_len + 3 + record_len;
  return AKHBAR_OK;
}

static void free_buffer(AkhbarBuffer buffer) { free(buffer.ptr); }

static void destroy(void *instance) { free(instance); }

static const AkhbarPluginTable TABLE = {
    AKHBAR_ABI_VERSION,
    AKHBAR_KIND_NORMALIZER,
    AKHBAR_STR("c-filter"),
    AKHBAR_STR("1.0.0"),
    create,
    process,
    free_buffer,
    destroy,
};

const AkhbarPluginTable *akhbar_plugin_entry(void) { return &TABLE; }
