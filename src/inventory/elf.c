/* The streaming executable scanner shared by the Go and Rust catalogers (see elf.h): finds the Go
 * build info and the cargo-auditable ".dep-v0" JSON in one forward pass over an ELF file. */
#include "inventory/elf.h"
#include "inventory/catalog.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define SCAN_CAP (64u * 1024u) /* working window */
#define LOOK 512u              /* bytes after a candidate needed to test it */
#define GO_HDR 32u

static const uint8_t go_magic[14] = {0xff, ' ', 'G', 'o', ' ', 'b', 'u',
                                     'i',  'l', 'd', 'i', 'n', 'f', ':'};
static const char cargo_prefix[] = "{\"packages\"";
static const uint8_t out_magic[6] = {'D', 'D', 'E', 'L', 'F', 1};

enum { SEARCH = 0, CAPTURE = 1, DONE = 2 };

typedef struct scan {
    uint8_t *buf; /* window: bytes [base, base + len) of the file */
    size_t len;
    size_t pos;    /* next window offset to test as a candidate */
    uint64_t base; /* file offset of buf[0] */
    int elf;       /* 1 once the ELF magic was seen */
    int go_state;
    int go_ptr; /* a pointer-format header was seen (kept unless an inline follows) */
    uint8_t go_ptr_hdr[GO_HDR];
    size_t go_need; /* bytes of build info to keep (0 = not known yet) */
    dd_buf go;
    int cargo_state;
    dd_buf cargo;
    z_stream z; /* the section being inflated */
    int z_init;
    z_stream probe; /* tests candidates */
    int probe_init;
} scan;

static void *scan_begin(const char *path, uint64_t size)
{
    (void)path;
    (void)size;
    scan *s = dd_calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->buf = dd_malloc(SCAN_CAP);
    if (s->buf == NULL) {
        dd_free(s);
        return NULL;
    }
    dd_buf_init(&s->go, DD_ELF_GO_MAX);
    dd_buf_init(&s->cargo, DD_ELF_CARGO_MAX);
    return s;
}

/* Reads an unsigned LEB128 varint at *off: 0, -1 when the bytes end first, -2 when malformed. */
static int uvarint(const uint8_t *b, size_t len, size_t *off, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*off >= len)
            return -1;
        uint8_t c = b[(*off)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -2;
}

/* How many bytes of build info to keep, once the header and both varint-prefixed strings
 * (version, modinfo) are known: 0 = not known yet. */
static size_t go_needed(const uint8_t *b, size_t len)
{
    if (len < GO_HDR)
        return 0;
    if (!(b[15] & 2))
        return GO_HDR; /* pointer format (Go < 1.18): only the header is of use */
    size_t off = GO_HDR;
    for (int i = 0; i < 2; i++) {
        uint64_t n;
        int r = uvarint(b, len, &off, &n);
        if (r == -1)
            return 0;
        if (r < 0 || n > DD_ELF_GO_MAX - off)
            return len; /* malformed or too large: keep what we have */
        off += (size_t)n;
    }
    return off;
}

/* A real build info header: magic, pointer size 4 or 8, known flags; the inline format pads the
 * header with zeros and starts with a short version string ("go1.22.0", "devel ..."). Rejects
 * the magic string as a constant in other code's read-only data. */
static int go_header_ok(const uint8_t *b, size_t avail)
{
    if (avail < GO_HDR)
        return 0;
    if (b[14] != 4 && b[14] != 8)
        return 0;
    if (b[15] & ~3u)
        return 0;
    if (!(b[15] & 2)) {
        /* Pointer format: two non-zero addresses (of the version and modinfo strings), then
         * zero padding; 64-bit ones are user-space addresses (below 2^47), never text. */
        size_t ps = b[14];
        uint64_t p1 = 0, p2 = 0;
        for (size_t i = 0; i < ps; i++) {
            size_t k = (b[15] & 1) ? i : ps - 1 - i; /* big or little endian */
            p1 = p1 << 8 | b[16 + k];
            p2 = p2 << 8 | b[16 + ps + k];
        }
        if (p1 == 0 || p2 == 0 || (ps == 8 && (p1 >> 47 || p2 >> 47)))
            return 0;
        for (size_t i = 16 + 2 * ps; i < GO_HDR; i++)
            if (b[i] != 0)
                return 0;
        return 1;
    }
    for (size_t i = 16; i < GO_HDR; i++)
        if (b[i] != 0)
            return 0;
    if (avail < GO_HDR + 3)
        return 0;
    uint8_t n = b[GO_HDR];
    if (n < 2 || n >= 128 || avail < GO_HDR + 1 + (size_t)n)
        return 0;
    return memcmp(b + GO_HDR + 1, "go", 2) == 0 ||
           (n >= 5 && memcmp(b + GO_HDR + 1, "devel", 5) == 0);
}

static int go_append(scan *s, const uint8_t *data, size_t n)
{
    if (s->go_state != CAPTURE)
        return 0;
    if (s->go_need == 0 || s->go.len < s->go_need) {
        size_t want = s->go_need ? s->go_need - s->go.len : DD_ELF_GO_MAX - s->go.len;
        if (n > want)
            n = want;
        int rc = dd_buf_append(&s->go, data, n);
        if (rc != 0)
            return rc;
        if (s->go_need == 0)
            s->go_need = go_needed((const uint8_t *)s->go.data, s->go.len);
        if (s->go_need != 0 && s->go.len > s->go_need) {
            s->go.len = s->go_need;
            s->go.data[s->go.len] = 0;
        }
    }
    if (s->go_need != 0 && s->go.len >= s->go_need)
        s->go_state = DONE;
    else if (s->go.len >= DD_ELF_GO_MAX)
        s->go_state = DONE;
    return 0;
}

static void cargo_drop(scan *s, int state)
{
    dd_buf_free(&s->cargo);
    dd_buf_init(&s->cargo, DD_ELF_CARGO_MAX);
    s->cargo_state = state;
}

static int cargo_append(scan *s, const uint8_t *data, size_t n)
{
    if (s->cargo_state != CAPTURE)
        return 0;
    uint8_t out[16384];
    s->z.next_in = (Bytef *)data;
    s->z.avail_in = (uInt)n;
    for (;;) {
        s->z.next_out = out;
        s->z.avail_out = sizeof(out);
        int zr = inflate(&s->z, Z_NO_FLUSH);
        size_t got = sizeof(out) - s->z.avail_out;
        int rc = got > 0 ? dd_buf_append(&s->cargo, out, got) : 0;
        if (rc == DD_ELIMIT) {
            cargo_drop(s, DONE); /* too large: give up on it */
            return 0;
        }
        if (rc != 0)
            return rc;
        if (zr == Z_STREAM_END) {
            s->cargo_state = DONE;
            return 0;
        }
        if (zr == Z_MEM_ERROR)
            return DD_ENOMEM;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            cargo_drop(s, SEARCH); /* not a section after all: keep looking */
            return 0;
        }
        if (s->z.avail_out != 0)
            return 0; /* all input consumed */
    }
}

/* Does a zlib stream at b inflate to the cargo-auditable JSON prefix? */
static int cargo_probe(scan *s, const uint8_t *b, size_t n, int *ok)
{
    *ok = 0;
    if (n < 2 || ((b[0] << 8) | b[1]) % 31 != 0 || (b[1] & 0x20))
        return 0;
    if (!s->probe_init) {
        if (inflateInit(&s->probe) != Z_OK)
            return DD_ENOMEM;
        s->probe_init = 1;
    } else if (inflateReset(&s->probe) != Z_OK) {
        return DD_ENOMEM;
    }
    uint8_t out[sizeof(cargo_prefix) - 1];
    s->probe.next_in = (Bytef *)b;
    s->probe.avail_in = (uInt)n;
    s->probe.next_out = out;
    s->probe.avail_out = sizeof(out);
    int zr = inflate(&s->probe, Z_SYNC_FLUSH);
    if (zr == Z_MEM_ERROR)
        return DD_ENOMEM;
    *ok = s->probe.avail_out == 0 && memcmp(out, cargo_prefix, sizeof(out)) == 0;
    return 0;
}

static int cargo_start(scan *s)
{
    if (s->z_init) {
        if (inflateReset(&s->z) != Z_OK)
            return DD_ENOMEM;
    } else {
        if (inflateInit(&s->z) != Z_OK)
            return DD_ENOMEM;
        s->z_init = 1;
    }
    s->cargo_state = CAPTURE;
    return 0;
}

/* Tests the candidates in the window up to its end minus LOOK (all of it when final), and feeds
 * the captures. Returns 1 when both findings are complete. */
static int scan_window(scan *s, size_t fed_from, int final)
{
    int rc;
    /* Bytes appended since the last call go to the running captures first. */
    if ((rc = go_append(s, s->buf + fed_from, s->len - fed_from)) != 0)
        return rc;
    if ((rc = cargo_append(s, s->buf + fed_from, s->len - fed_from)) != 0)
        return rc;
    size_t limit = final ? s->len : (s->len > LOOK ? s->len - LOOK : 0);
    for (size_t p = s->pos; p < limit; p++) {
        if (s->go_state == SEARCH && s->buf[p] == 0xff && ((s->base + p) & 15) == 0 &&
            s->len - p >= sizeof(go_magic) && memcmp(s->buf + p, go_magic, sizeof(go_magic)) == 0 &&
            go_header_ok(s->buf + p, s->len - p)) {
            if (!(s->buf[p + 15] & 2)) {
                /* Pointer format (Go < 1.18): only the header is of use. Keep looking for an
                 * inline one, in case this was the magic as a constant in read-only data. */
                if (!s->go_ptr)
                    memcpy(s->go_ptr_hdr, s->buf + p, GO_HDR);
                s->go_ptr = 1;
                continue;
            }
            s->go_state = CAPTURE;
            if ((rc = go_append(s, s->buf + p, s->len - p)) != 0)
                return rc;
        }
        if (s->cargo_state == SEARCH && s->buf[p] == 0x78) {
            int ok;
            size_t n = s->len - p < LOOK ? s->len - p : LOOK;
            if ((rc = cargo_probe(s, s->buf + p, n, &ok)) != 0)
                return rc;
            if (ok) {
                if ((rc = cargo_start(s)) != 0)
                    return rc;
                if ((rc = cargo_append(s, s->buf + p, s->len - p)) != 0)
                    return rc;
            }
        }
        if (s->go_state == DONE && s->cargo_state == DONE)
            return 1;
    }
    s->pos = limit > s->pos ? limit : s->pos;
    return s->go_state == DONE && s->cargo_state == DONE;
}

static int scan_feed(void *state, const uint8_t *data, size_t len)
{
    scan *s = state;
    while (len > 0) {
        size_t room = SCAN_CAP - s->len;
        size_t n = len < room ? len : room;
        size_t fed_from = s->len;
        memcpy(s->buf + s->len, data, n);
        s->len += n;
        data += n;
        len -= n;
        if (!s->elf) {
            if (s->base + s->len < 4)
                continue;
            if (memcmp(s->buf,
                       "\x7f"
                       "ELF",
                       4) != 0)
                return 1; /* not an ELF file: keep nothing */
            s->elf = 1;
            fed_from = 0;
        }
        int rc = scan_window(s, fed_from, 0);
        if (rc != 0)
            return rc;
        /* Keep the untested tail (at most LOOK bytes) for the next round. */
        size_t keep = s->len - s->pos;
        memmove(s->buf, s->buf + s->pos, keep);
        s->base += s->pos;
        s->len = keep;
        s->pos = 0;
    }
    return 0;
}

static int put_record(dd_buf *b, int kind, const dd_buf *rec)
{
    uint8_t hdr[5] = {(uint8_t)kind, (uint8_t)rec->len, (uint8_t)(rec->len >> 8),
                      (uint8_t)(rec->len >> 16), (uint8_t)(rec->len >> 24)};
    int rc = dd_buf_append(b, hdr, sizeof(hdr));
    if (rc == 0)
        rc = dd_buf_append(b, rec->data, rec->len);
    return rc;
}

static int scan_end(void *state, uint8_t **out, size_t *out_len)
{
    scan *s = state;
    int rc = 0;
    dd_buf o = DD_BUF_INIT(DD_ELF_GO_MAX + DD_ELF_CARGO_MAX + 64);
    *out = NULL;
    *out_len = 0;
    if (s->elf && (rc = scan_window(s, s->len, 1)) < 0)
        goto out;
    rc = 0;
    if (s->go_state == SEARCH && s->go_ptr) {
        if ((rc = dd_buf_append(&s->go, s->go_ptr_hdr, GO_HDR)) != 0)
            goto out;
        s->go_state = DONE;
    }
    int have_go = s->go_state != SEARCH && s->go.len >= GO_HDR;
    int have_cargo = s->cargo_state == DONE && s->cargo.len > 0;
    if (!have_go && !have_cargo)
        goto out;
    if ((rc = dd_buf_append(&o, out_magic, sizeof(out_magic))) != 0)
        goto out;
    if (have_go && (rc = put_record(&o, DD_ELF_REC_GO, &s->go)) != 0)
        goto out;
    if (have_cargo && (rc = put_record(&o, DD_ELF_REC_CARGO, &s->cargo)) != 0)
        goto out;
    *out_len = o.len;
    *out = (uint8_t *)dd_buf_take(&o);
out:
    dd_buf_free(&o);
    dd_buf_free(&s->go);
    dd_buf_free(&s->cargo);
    if (s->z_init)
        inflateEnd(&s->z);
    if (s->probe_init)
        inflateEnd(&s->probe);
    dd_free(s->buf);
    dd_free(s);
    return rc;
}

const dd_extractor dd_elf_extractor = {scan_begin, scan_feed, scan_end};

dd_keep dd_elf_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor)
{
    if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != S_IFREG)
        return DD_KEEP_NONE;
    if (size < DD_ELF_MIN_SIZE)
        return DD_KEEP_NONE;
    (void)path_len;
    int want = (mode & 0111) != 0;
    const char *base = dd_path_base(path);
    if (!want && base > path) {
        /* "bin/x", "usr/local/sbin/x": the parent directory is named bin or sbin. */
        const char *end = base - 1, *start = end;
        while (start > path && start[-1] != '/')
            start--;
        size_t n = (size_t)(end - start);
        want =
            (n == 3 && memcmp(start, "bin", 3) == 0) || (n == 4 && memcmp(start, "sbin", 4) == 0);
    }
    if (!want)
        return DD_KEEP_NONE;
    *extractor = &dd_elf_extractor;
    return DD_KEEP_EXTRACT;
}

int dd_elf_find(const uint8_t *data, size_t len, int kind, const uint8_t **out, size_t *out_len)
{
    if (data == NULL || len < sizeof(out_magic) || memcmp(data, out_magic, sizeof(out_magic)) != 0)
        return 0;
    size_t off = sizeof(out_magic);
    while (len - off >= 5) {
        const uint8_t *h = data + off;
        size_t n = (size_t)h[1] | (size_t)h[2] << 8 | (size_t)h[3] << 16 | (size_t)h[4] << 24;
        off += 5;
        if (n > len - off)
            return 0;
        if (h[0] == kind) {
            *out = data + off;
            *out_len = n;
            return 1;
        }
        off += n;
    }
    return 0;
}

int dd_elf_catalog(const dd_rootfs *fs, int kind, int (*is_text)(const char *path, size_t len),
                   dd_elf_parse_fn parse_text, dd_elf_parse_fn parse_record, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < dd_rootfs_count(fs) && rc == 0; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        const uint8_t *b = f->data;
        size_t n = f->len;
        dd_elf_parse_fn parse = parse_text;
        if (f->extracted) {
            if (!dd_elf_find(f->data, f->len, kind, &b, &n))
                continue;
            parse = parse_record;
        } else if (!is_text(f->path, strlen(f->path))) {
            continue;
        }
        char *path = dd_asprintf("/%s", f->path);
        if (path == NULL)
            return dd_err_set(err, DD_ENOMEM, "out of memory");
        dd_err e = DD_ERR_INIT;
        int r = parse(b, n, path, f->layer, out, &e);
        if (r == DD_ENOMEM)
            rc = dd_err_set(err, DD_ENOMEM, "%s: out of memory", path);
        else if (r != 0 && warn != NULL)
            warn(warn_ctx, path, e.msg);
        dd_free(path);
    }
    return rc;
}
