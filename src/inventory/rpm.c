/* The rpm cataloger: installed packages of Red Hat, Fedora, CentOS, SUSE, Mariner, Amazon Linux
 * and the like, from the rpm database under var/lib/rpm or usr/lib/sysimage/rpm in any of its
 * three formats.
 *
 * Header blobs are decoded by librpm (headerImport). sqlite databases are read in memory with
 * sqlite3; BerkeleyDB ones through librpm's read-only bdb_ro backend on a private temporary copy.
 * NDB databases (SUSE) are walked by hand: Debian's librpm is built without the ndb backend, and
 * the container is small, a table of 16-byte slots pointing at blobs (rpm's
 * lib/backend/ndb/rpmpkg.c); only the blobs inside it go to librpm. */
#include "inventory/rpm.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtag.h>
#include <rpm/rpmts.h>

static pthread_once_t rpm_once = PTHREAD_ONCE_INIT;
static int rpm_config_rc;
/* librpm keeps _dbpath and _db_backend in global macros: one bdb read at a time. */
static pthread_mutex_t bdb_lock = PTHREAD_MUTEX_INITIALIZER;

/* librpm logs to stderr; a library must not. Problems surface as return codes instead. */
static int quiet_log(rpmlogRec rec, rpmlogCallbackData data)
{
    (void)rec;
    (void)data;
    return 0;
}

static void rpm_init(void)
{
    rpmlogSetCallback(quiet_log, NULL);
    rpm_config_rc = rpmReadConfigFiles(NULL, NULL);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "name-V-R.src.rpm" (or .nosrc.rpm) split from the right; 0 when not of that form. */
static int split_srpm(const char *srpm, size_t *name_len, const char **vr)
{
    size_t n = strlen(srpm);
    static const char *const exts[] = {".src.rpm", ".nosrc.rpm"};
    size_t stem = 0;
    for (size_t i = 0; i < 2 && stem == 0; i++) {
        size_t el = strlen(exts[i]);
        if (n > el && memcmp(srpm + n - el, exts[i], el) == 0)
            stem = n - el;
    }
    if (stem == 0)
        return 0;
    const char *rel = NULL, *ver = NULL;
    for (size_t i = stem; i > 0; i--) {
        if (srpm[i - 1] != '-')
            continue;
        if (rel == NULL) {
            rel = srpm + i;
        } else {
            ver = srpm + i;
            break;
        }
    }
    if (ver == NULL || ver - 1 == srpm || rel == ver + 1 || rel == srpm + stem + 1)
        return 0;
    *name_len = (size_t)(ver - 1 - srpm);
    *vr = ver;
    return (int)(stem - (size_t)(ver - srpm)); /* length of "V-R" */
}

static int header_to_pkg(Header h, const char *path, int layer, dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    const char *name = headerGetString(h, RPMTAG_NAME);
    const char *version = headerGetString(h, RPMTAG_VERSION);
    const char *release = headerGetString(h, RPMTAG_RELEASE);
    if (name == NULL || name[0] == '\0' || version == NULL || release == NULL) {
        rc = dd_err_set(err, DD_EINVALID, "rpm: header without name, version or release");
        goto out;
    }
    if (strcmp(name, "gpg-pubkey") == 0)
        goto out;
    p.type = DD_PKG_RPM;
    p.layer = layer;
    p.name = dd_strdup(name);
    if (headerIsEntry(h, RPMTAG_EPOCH)) {
        uint64_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
        p.epoch = dd_asprintf("%llu", (unsigned long long)epoch);
        p.version = dd_asprintf("%llu:%s-%s", (unsigned long long)epoch, version, release);
    } else {
        p.version = dd_asprintf("%s-%s", version, release);
    }
    int nomem =
        p.name == NULL || p.version == NULL || (headerIsEntry(h, RPMTAG_EPOCH) && p.epoch == NULL);
    const char *arch = headerGetString(h, RPMTAG_ARCH);
    if (arch != NULL && arch[0] != '\0' && (p.arch = dd_strdup(arch)) == NULL)
        nomem = 1;
    const char *license = headerGetString(h, RPMTAG_LICENSE);
    if (license != NULL && license[0] != '\0' && (p.license = dd_strdup(license)) == NULL)
        nomem = 1;
    const char *srpm = headerGetString(h, RPMTAG_SOURCERPM);
    size_t src_name_len = 0;
    const char *vr = NULL;
    int vr_len = srpm != NULL ? split_srpm(srpm, &src_name_len, &vr) : 0;
    if (vr_len > 0) {
        p.source_name = dd_strndup(srpm, src_name_len);
        p.source_version = dd_strndup(vr, (size_t)vr_len);
        if (p.source_name == NULL || p.source_version == NULL)
            nomem = 1;
    }
    if (nomem || (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        goto out;
    }
    rc = dd_pkg_list_take(out, &p);
    if (rc != 0)
        dd_err_set(err, rc, "rpm: out of memory");
out:
    dd_pkg_clear(&p);
    return rc;
}

int dd_rpm_parse_header_blob(const uint8_t *buf, size_t len, const char *path, int layer,
                             dd_pkg_list *out, dd_err *err)
{
    pthread_once(&rpm_once, rpm_init);
    /* at least the index count and data length; headerImport checks the rest against len */
    if (len < 8 || len > UINT_MAX)
        return dd_err_set_at(err, DD_EINVALID, 0, "rpm: header blob of %zu bytes", len);
    /* HEADERIMPORT_COPY: librpm copies the blob and never writes to buf */
    Header h = headerImport((void *)(uintptr_t)buf, (unsigned int)len, HEADERIMPORT_COPY);
    if (h == NULL)
        return dd_err_set_at(err, DD_EINVALID, 0, "rpm: header blob does not decode");
    int rc = header_to_pkg(h, path, layer, out, err);
    headerFree(h);
    return rc;
}

/* Parses one blob of a database; remembers the first bad one in *bad / err. */
static int parse_db_blob(const uint8_t *blob, size_t len, size_t offset, const char *path,
                         int layer, dd_pkg_list *out, int *bad, dd_err *err)
{
    dd_err berr = DD_ERR_INIT;
    int rc = dd_rpm_parse_header_blob(blob, len, path, layer, out, &berr);
    if (rc == DD_EINVALID) {
        if (!*bad)
            dd_err_set_at(err, DD_EINVALID, offset, "%s (blob at byte %zu)", berr.msg, offset);
        *bad = 1;
        return 0;
    }
    if (rc != 0)
        *err = berr;
    return rc;
}

int dd_rpm_parse_sqlite(const uint8_t *buf, size_t len, const char *path, int layer,
                        dd_pkg_list *out, dd_err *err)
{
    int rc = 0, bad = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (len < 100 || memcmp(buf, "SQLite format 3", 16) != 0) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "rpm: not an sqlite database");
        goto out;
    }
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_PRIVATECACHE, NULL) !=
        SQLITE_OK) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: sqlite: cannot open an in-memory database");
        goto out;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    unsigned char *copy = sqlite3_malloc64(len);
    if (copy == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        goto out;
    }
    memcpy(copy, buf, len);
    /* rpm uses WAL mode (file format bytes 18 and 19 = 2), which a memory image cannot use:
     * read the main file as a rollback-journal database */
    if (copy[18] == 2)
        copy[18] = 1;
    if (copy[19] == 2)
        copy[19] = 1;
    if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) !=
        SQLITE_OK) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "rpm: sqlite: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL) != SQLITE_OK) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "rpm: sqlite: %s", sqlite3_errmsg(db));
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(st, 0);
        int blen = sqlite3_column_bytes(st, 0);
        if (blob == NULL || blen <= 0)
            blen = 0;
        rc = parse_db_blob(blob != NULL ? blob : (const void *)"", (size_t)blen, 0, path, layer,
                           out, &bad, err);
        if (rc != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        rc = step == SQLITE_NOMEM
                 ? dd_err_set(err, DD_ENOMEM, "rpm: sqlite: out of memory")
                 : dd_err_set_at(err, DD_EINVALID, 0, "rpm: sqlite: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (bad)
        rc = DD_EINVALID;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

#define NDB_PAGE 4096u
#define NDB_HEADER 32u
#define NDB_SLOT 16u
#define NDB_BLOCK 16u
#define NDB_BLOBHEAD 16u
#define NDB_MAGIC 0x506d7052u      /* "RpmP" */
#define NDB_SLOT_MAGIC 0x746f6c53u /* "Slot" */
#define NDB_BLOB_MAGIC 0x53626c42u /* "BlbS" */

int dd_rpm_parse_ndb(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                     dd_err *err)
{
    int rc = 0, bad = 0;
    size_t slots_end;
    if (len < NDB_HEADER || get_le32(buf) != NDB_MAGIC || get_le32(buf + 4) != 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "rpm: not an ndb database");
    uint32_t n_pages = get_le32(buf + 12);
    if (!dd_mul_size(&slots_end, n_pages, NDB_PAGE) || slots_end > len || slots_end < NDB_HEADER)
        return dd_err_set_at(err, DD_EINVALID, 12, "rpm: ndb slot table of %u pages", n_pages);
    for (size_t off = NDB_HEADER; off + NDB_SLOT <= slots_end; off += NDB_SLOT) {
        const uint8_t *s = buf + off;
        if (get_le32(s) != NDB_SLOT_MAGIC) {
            rc = dd_err_set_at(err, DD_EINVALID, off, "rpm: ndb: bad slot at byte %zu", off);
            goto out;
        }
        uint32_t idx = get_le32(s + 4);
        if (idx == 0)
            continue; /* free slot */
        size_t blk_off = get_le32(s + 8), blk_cnt = get_le32(s + 12), start, room, end;
        const uint8_t *b = NULL;
        uint32_t blob_len = 0;
        if (dd_mul_size(&start, blk_off, NDB_BLOCK) && dd_mul_size(&room, blk_cnt, NDB_BLOCK) &&
            dd_add_size(&end, start, room) && end <= len && room >= NDB_BLOBHEAD) {
            b = buf + start;
            blob_len = get_le32(b + 12);
            if (get_le32(b) != NDB_BLOB_MAGIC || get_le32(b + 4) != idx ||
                blob_len > room - NDB_BLOBHEAD)
                b = NULL;
        }
        if (b == NULL) {
            if (!bad)
                dd_err_set_at(err, DD_EINVALID, off,
                              "rpm: ndb: slot at byte %zu points to no valid blob", off);
            bad = 1;
            continue;
        }
        rc = parse_db_blob(b + NDB_BLOBHEAD, blob_len, start + NDB_BLOBHEAD, path, layer, out, &bad,
                           err);
        if (rc != 0)
            goto out;
    }
    if (bad)
        rc = DD_EINVALID;
out:
    return rc;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Removes dir and the files librpm may have left in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

int dd_rpm_parse_bdb(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                     dd_err *err)
{
    int rc = 0, fd = -1, locked = 0, pushed = 0;
    char *dir = NULL, *file = NULL;
    rpmts ts = NULL;
    rpmdbMatchIterator mi = NULL;
    /* a BerkeleyDB hash database starts with its metadata page: magic 0x061561 at byte 12 */
    if (len < 512 || (get_le32(buf + 12) != 0x061561u && get_le32(buf + 12) != 0x61150600u)) {
        rc = dd_err_set_at(err, DD_EINVALID, 12, "rpm: not a BerkeleyDB hash database");
        goto out;
    }
    const char *tmp = getenv("TMPDIR");
    dir = dd_asprintf("%s/drydock-rpmdb-XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
    if (dir == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        goto out;
    }
    if (mkdtemp(dir) == NULL) {
        rc = dd_err_errno(err, errno, "rpm: mkdtemp");
        dd_free(dir);
        dir = NULL;
        goto out;
    }
    file = dd_asprintf("%s/Packages", dir);
    if (file == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        goto out;
    }
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write_all(fd, buf, len) != 0 || close(fd) != 0) {
        rc = dd_err_errno(err, errno, "rpm: writing a copy of Packages");
        fd = -1;
        goto out;
    }
    fd = -1;

    pthread_once(&rpm_once, rpm_init);
    if (rpm_config_rc != 0) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "rpm: librpm configuration did not load");
        goto out;
    }
    pthread_mutex_lock(&bdb_lock);
    locked = 1;
    rpmPushMacro(NULL, "_dbpath", NULL, dir, RMIL_CMDLINE);
    rpmPushMacro(NULL, "_db_backend", NULL, "bdb_ro", RMIL_CMDLINE);
    pushed = 1;
    ts = rpmtsCreate();
    if (ts == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        goto out;
    }
    rpmtsSetRootDir(ts, "/");
    rpmtsSetVSFlags(ts, _RPMVSF_NOSIGNATURES | _RPMVSF_NODIGESTS);
    mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
    if (mi == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "rpm: librpm cannot read the BerkeleyDB database");
        goto out;
    }
    Header h;
    while ((h = rpmdbNextIterator(mi)) != NULL) {
        dd_err herr = DD_ERR_INIT;
        int hrc = header_to_pkg(h, path, layer, out, &herr);
        if (hrc == DD_ENOMEM) {
            rc = hrc;
            *err = herr;
            goto out;
        }
        if (hrc != 0 && rc == 0) {
            rc = hrc;
            *err = herr;
        }
    }
out:
    rpmdbFreeIterator(mi);
    rpmtsFree(ts);
    if (pushed) {
        rpmPopMacro(NULL, "_db_backend");
        rpmPopMacro(NULL, "_dbpath");
    }
    if (locked)
        pthread_mutex_unlock(&bdb_lock);
    if (fd >= 0)
        close(fd);
    if (dir != NULL)
        remove_dir(dir);
    dd_free(file);
    dd_free(dir);
    return rc;
}

/* Database files, in the order they are looked for: the first one found is the database. */
static const struct {
    const char *path;
    int (*parse)(const uint8_t *, size_t, const char *, int, dd_pkg_list *, dd_err *);
} dbs[] = {
    {"usr/lib/sysimage/rpm/rpmdb.sqlite", dd_rpm_parse_sqlite},
    {"usr/lib/sysimage/rpm/Packages.db", dd_rpm_parse_ndb},
    {"usr/lib/sysimage/rpm/Packages", dd_rpm_parse_bdb},
    {"var/lib/rpm/rpmdb.sqlite", dd_rpm_parse_sqlite},
    {"var/lib/rpm/Packages.db", dd_rpm_parse_ndb},
    {"var/lib/rpm/Packages", dd_rpm_parse_bdb},
};

static dd_keep wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    if (!dd_path_has_suffix(path, path_len, "/rpmdb.sqlite") &&
        !dd_path_has_suffix(path, path_len, "/Packages.db") &&
        !dd_path_has_suffix(path, path_len, "/Packages"))
        return DD_KEEP_NONE;
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
        if (strlen(dbs[i].path) == path_len && memcmp(dbs[i].path, path, path_len) == 0)
            return DD_KEEP_WHOLE;
    return DD_KEEP_NONE;
}

static int catalog(const dd_rootfs *fs, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err)
{
    for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
        const dd_rfile *f = dd_rootfs_get(fs, dbs[i].path);
        if (f == NULL)
            continue;
        dd_err perr = DD_ERR_INIT;
        char *abs = dd_asprintf("/%s", f->path);
        if (abs == NULL)
            return dd_err_set(err, DD_ENOMEM, "rpm: out of memory");
        int rc = dbs[i].parse(f->data, f->len, abs, f->layer, out, &perr);
        if (rc != 0 && rc != DD_ENOMEM) {
            if (warn != NULL)
                warn(warn_ctx, abs, perr.msg);
            rc = 0; /* the packages that decoded were kept */
        } else if (rc != 0) {
            *err = perr;
        }
        dd_free(abs);
        return rc;
    }
    return 0;
}

const dd_cataloger dd_cataloger_rpm = {"rpm", wants, catalog};
