/* Fuzz target for dd_go_parse_buildinfo and the shared ELF stream extractor: the input is parsed
 * as build info, then streamed (after an ELF magic, in chunks sized by its first byte) through
 * the extractor, whose findings are parsed by the Go and Rust parsers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "inventory/elf.h"
#include "inventory/go.h"
#include "inventory/rust.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const dd_pkg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].name == NULL || l->items[i].version == NULL || l->items[i].paths.n != 1)
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    if (dd_go_parse_buildinfo(data, size, "/bin/x", 0, &l, &err) == 0)
        check(&l);
    else if (l.n != 0)
        __builtin_trap();
    dd_pkg_list_free(&l);

    /* The input as the tail of an ELF file whose 16-byte alignment it keeps. */
    static const uint8_t head[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    size_t chunk = size > 0 ? (size_t)data[0] * 37u + 1u : 1u;
    void *st = dd_elf_extractor.begin("bin/x", size + sizeof(head));
    if (st == NULL)
        return 0;
    int rc = dd_elf_extractor.feed(st, head, sizeof(head));
    for (size_t off = 0; rc == 0 && off < size;) {
        size_t n = size - off < chunk ? size - off : chunk;
        rc = dd_elf_extractor.feed(st, data + off, n);
        off += n;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (dd_elf_extractor.end(st, &out, &out_len) != 0 && out != NULL)
        __builtin_trap();
    const uint8_t *rec;
    size_t rec_len;
    if (dd_elf_find(out, out_len, DD_ELF_REC_GO, &rec, &rec_len)) {
        if (dd_go_parse_buildinfo(rec, rec_len, "/bin/x", 0, &l, &err) == 0)
            check(&l);
        dd_pkg_list_free(&l);
    }
    if (dd_elf_find(out, out_len, DD_ELF_REC_CARGO, &rec, &rec_len)) {
        if (dd_cargo_parse_auditable(rec, rec_len, "/bin/x", 0, &l, &err) == 0)
            check(&l);
        dd_pkg_list_free(&l);
    }
    dd_free(out);
    return 0;
}
