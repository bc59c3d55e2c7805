/*
 * akhbar_plugin.h — the whole Akhbar plugin ABI, version 3.
 *
 * A plugin is a shared library that exports one symbol:
 *
 *     const AkhbarPluginTable *akhbar_plugin_entry(void);
 *
 * The host calls it once, reads `abi_version` (always the first field, in
 * every version) and refuses the library unless it equals AKHBAR_ABI_VERSION.
 * Only then does it read the rest of the table.
 *
 * Payloads are bytes: prost/protobuf-encoded `akhbar.v1` messages (see
 * proto/akhbar/v1/akhbar.proto) and a JSON config object.
 *
 *   kind        input to process()          output on AKHBAR_OK
 *   SOURCE      akhbar.v1.RawDocument        akhbar.v1.ArticleBatch
 *   NORMALIZER  akhbar.v1.Article            akhbar.v1.Article
 *   ENRICHER    akhbar.v1.Article            akhbar.v1.Enrichment
 *
 * An enricher returns only what it adds. Enrichment's fields carry the
 * numbers of the Article fields they add to, so the host appends these bytes
 * to the article's bytes (protobuf merge: lists append, set fields replace)
 * and checks that they hold only Enrichment fields. The article an enricher
 * receives has neither `body` nor `provenance` (the host keeps both aside).
 *
 * An enricher's input always decodes as an akhbar.v1.Article: the host has
 * checked every byte of it (framing, wire types, the UTF-8 of every string)
 * when the normalizers were done and as each enrichment came back, so an
 * enricher need not check it again (since version 3). A source's and a
 * normalizer's input carry no such promise: check what you read.
 *
 * On any other status the output buffer holds a UTF-8 message (may be empty).
 *
 * Memory: input bytes are borrowed for the duration of the call. Every
 * AkhbarBuffer the plugin fills is owned by the plugin and handed back to its
 * free_buffer(); the host never frees plugin memory itself.
 *
 * Threads: an instance may be called from several threads at once; process()
 * must be thread-safe. Libraries are never unloaded; destroy() is called when
 * the host drops an instance.
 *
 * A plugin must not let a C++ exception or a Rust panic cross this boundary.
 */
#ifndef AKHBAR_PLUGIN_H
#define AKHBAR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AKHBAR_ABI_VERSION 3u

/* Kinds a plugin provides (bit flags; a plugin provides exactly one today). */
#define AKHBAR_KIND_SOURCE 1u
#define AKHBAR_KIND_NORMALIZER 2u
#define AKHBAR_KIND_ENRICHER 4u

/* Status codes of create() and process(). */
#define AKHBAR_OK 0
#define AKHBAR_REJECTED 1 /* the document is refused on purpose (reason in output) */
#define AKHBAR_ERROR 2    /* the plugin failed on this input (message in output) */
#define AKHBAR_PANIC 3    /* the plugin caught a panic/exception (message in output) */

/* A UTF-8 string that is not NUL-terminated. */
typedef struct AkhbarStr {
  const uint8_t *ptr;
  size_t len;
} AkhbarStr;

#define AKHBAR_STR(literal) { (const uint8_t *)(literal), sizeof(literal) - 1 }

/* Bytes allocated by the plugin; released only through its free_buffer(). */
typedef struct AkhbarBuffer {
  uint8_t *ptr;
  size_t len;
  size_t cap; /* for the plugin's own use (Rust stores the capacity here) */
} AkhbarBuffer;

typedef struct AkhbarPluginTable {
  uint32_t abi_version; /* AKHBAR_ABI_VERSION; stays the first field forever */
  uint32_t kinds;       /* AKHBAR_KIND_* */
  AkhbarStr name;       /* e.g. "scraped-page" */
  AkhbarStr version;    /* e.g. "0.1.0" */

  /* Creates an instance from JSON config bytes (len 0 = defaults).
   * On AKHBAR_OK stores it in *instance; otherwise fills *error. */
  int32_t (*create)(const uint8_t *config, size_t config_len, void **instance,
                    AkhbarBuffer *error);

  /* Processes one document. Fills *output in every case. */
  int32_t (*process)(void *instance, const uint8_t *input, size_t input_len,
                     AkhbarBuffer *output);

  /* Releases a buffer this plugin filled. */
  void (*free_buffer)(AkhbarBuffer buffer);

  /* Destroys an instance made by create(). */
  void (*destroy)(void *instance);
} AkhbarPluginTable;

/* The one exported symbol. */
const AkhbarPluginTable *akhbar_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* AKHBAR_PLUGIN_H */
