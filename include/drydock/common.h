/* Public basics shared by every drydock header: export marker, error codes, version. */
#ifndef DRYDOCK_COMMON_H
#define DRYDOCK_COMMON_H

#define DD_EXTERN __attribute__((visibility("default")))
#define DD_WARN_UNUSED __attribute__((warn_unused_result))

#define DD_VERSION "0.1.0"

/* Error codes: fallible functions return 0 or one of these (negative). */
enum {
    DD_OK = 0,
    DD_ENOMEM = -1,    /* allocation failed */
    DD_EINVALID = -2,  /* input does not parse or breaks a rule */
    DD_ENOTFOUND = -3, /* the thing asked for does not exist */
    DD_EIO = -4,       /* the operating system refused (disk, socket) */
    DD_EEXIST = -5,    /* already exists */
    DD_ELIMIT = -6,    /* a configured limit was hit */
    DD_EMISMATCH = -7, /* content does not match its digest or declared size */
    DD_ERANGE = -8,    /* offset or range out of order */
    DD_EBUSY = -9,     /* try again later (locked) */
    DD_EDB = -10,      /* metadata database error */
    DD_EUNSUPPORTED = -11,
    DD_EDENIED = -12,  /* not allowed */
    DD_ECONFLICT = -13 /* refused because of state (e.g. still referenced) */
};

/* A short constant name for an error code ("ENOMEM", ...). */
DD_EXTERN const char *dd_strerror(int code);

#endif
