/* CVSS scores from vectors: v2 (the NVD formulas), v3.0 and v3.1 (the specification formulas,
 * each with its own round-up) and v4.0 (the FIRST reference calculator: MacroVector from EQ1..EQ6,
 * the MacroVector score table, severity-distance interpolation). The vector grammar is a few
 * "KEY:VALUE" pairs separated by '/', parsed by hand here.
 *
 * The score returned is the one the vector describes: the base score when it holds only base
 * metrics (the case of advisory feeds), else the temporal or environmental score (v2, v3) or the
 * CVSS-BT / CVSS-BTE score (v4), as the specifications' calculators do. */
#include "vulndb/cvss.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VECTOR_MAX 512
#define METRICS_MAX 32

/* The few math helpers the formulas need, here so that the library does not need libm. */
static double dfloor(double x)
{
    double t = (double)(int64_t)x;
    return t > x ? t - 1 : t;
}

static double dceil(double x)
{
    double t = (double)(int64_t)x;
    return t < x ? t + 1 : t;
}

static double dmin(double a, double b)
{
    return a < b ? a : b;
}

static double dpow(double x, int n)
{
    double r = 1;
    for (int i = 0; i < n; i++)
        r *= x;
    return r;
}

static int is_nan(double x)
{
    return x != x;
}

typedef struct metric_def {
    const char *name;
    const char *const *vals; /* NULL-terminated; the index is what the formulas use */
    bool mandatory;
} metric_def;

/* Parsed vector: sel[i] = index of the value of defs[i], -1 when absent. */
typedef struct parsed {
    int sel[METRICS_MAX];
    int order[METRICS_MAX]; /* def index of the k-th metric in the vector */
    int n;
} parsed;

/* Splits s (len bytes) into metrics of defs. */
static int parse_metrics(parsed *p, const char *s, size_t len, const metric_def *defs, int n_defs,
                         size_t base_off, dd_err *err)
{
    for (int i = 0; i < METRICS_MAX; i++)
        p->sel[i] = -1;
    p->n = 0;
    size_t i = 0;
    while (i <= len) {
        size_t start = i;
        while (i < len && s[i] != '/')
            i++;
        size_t colon = start;
        while (colon < i && s[colon] != ':')
            colon++;
        if (colon == i || colon == start || colon + 1 == i)
            return dd_err_set_at(err, DD_EINVALID, base_off + start, "cvss: malformed metric");
        int d = -1;
        for (int k = 0; k < n_defs; k++) {
            if (strlen(defs[k].name) == colon - start &&
                memcmp(defs[k].name, s + start, colon - start) == 0) {
                d = k;
                break;
            }
        }
        if (d < 0)
            return dd_err_set_at(err, DD_EINVALID, base_off + start, "cvss: unknown metric");
        if (p->sel[d] >= 0)
            return dd_err_set_at(err, DD_EINVALID, base_off + start, "cvss: duplicate metric %s",
                                 defs[d].name);
        int v = -1;
        for (int k = 0; defs[d].vals[k] != NULL; k++) {
            if (strlen(defs[d].vals[k]) == i - colon - 1 &&
                memcmp(defs[d].vals[k], s + colon + 1, i - colon - 1) == 0) {
                v = k;
                break;
            }
        }
        if (v < 0)
            return dd_err_set_at(err, DD_EINVALID, base_off + colon + 1, "cvss: bad value for %s",
                                 defs[d].name);
        p->sel[d] = v;
        p->order[p->n++] = d;
        i++;
    }
    for (int k = 0; k < n_defs; k++)
        if (defs[k].mandatory && p->sel[k] < 0)
            return dd_err_set(err, DD_EINVALID, "cvss: missing metric %s", defs[k].name);
    return 0;
}

/* ---- v2 -------------------------------------------------------------------------------------- */

static const char *const v2_av[] = {"L", "A", "N", NULL};
static const char *const v2_ac[] = {"H", "M", "L", NULL};
static const char *const v2_au[] = {"M", "S", "N", NULL};
static const char *const v2_imp[] = {"N", "P", "C", NULL};
static const char *const v2_e[] = {"U", "POC", "F", "H", "ND", NULL};
static const char *const v2_rl[] = {"OF", "TF", "W", "U", "ND", NULL};
static const char *const v2_rc[] = {"UC", "UR", "C", "ND", NULL};
static const char *const v2_cdp[] = {"N", "L", "LM", "MH", "H", "ND", NULL};
static const char *const v2_td[] = {"N", "L", "M", "H", "ND", NULL};
static const char *const v2_req[] = {"L", "M", "H", "ND", NULL};

enum {
    V2_AV,
    V2_AC,
    V2_AU,
    V2_C,
    V2_I,
    V2_A,
    V2_E,
    V2_RL,
    V2_RC,
    V2_CDP,
    V2_TD,
    V2_CR,
    V2_IR,
    V2_AR,
    V2_N
};

static const metric_def v2_defs[V2_N] = {
    {"AV", v2_av, true},   {"AC", v2_ac, true},    {"Au", v2_au, true},  {"C", v2_imp, true},
    {"I", v2_imp, true},   {"A", v2_imp, true},    {"E", v2_e, false},   {"RL", v2_rl, false},
    {"RC", v2_rc, false},  {"CDP", v2_cdp, false}, {"TD", v2_td, false}, {"CR", v2_req, false},
    {"IR", v2_req, false}, {"AR", v2_req, false},
};

static double round1(double x)
{
    return dfloor(x * 10.0 + 0.5 + 1e-9) / 10.0;
}

static double v2_base(double c, double i, double a, double av, double ac, double au)
{
    double impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
    if (impact > 10)
        impact = 10;
    double expl = 20 * av * ac * au;
    double f = impact == 0 ? 0 : 1.176;
    return round1(((0.6 * impact) + (0.4 * expl) - 1.5) * f);
}

static int v2_score(const char *v, size_t len, double *out, dd_err *err)
{
    static const double av[] = {0.395, 0.646, 1.0}, ac[] = {0.35, 0.61, 0.71},
                        au[] = {0.45, 0.56, 0.704}, imp[] = {0.0, 0.275, 0.660},
                        e[] = {0.85, 0.9, 0.95, 1.0, 1.0}, rl[] = {0.87, 0.90, 0.95, 1.0, 1.0},
                        rc[] = {0.90, 0.95, 1.0, 1.0}, cdp[] = {0, 0.1, 0.3, 0.4, 0.5, 0},
                        td[] = {0, 0.25, 0.75, 1.0, 1.0}, req[] = {0.5, 1.0, 1.51, 1.0};
    parsed p;
    int rc_ = parse_metrics(&p, v, len, v2_defs, V2_N, 0, err);
    if (rc_ != 0)
        return rc_;
    /* v2 vectors list metrics in the specification's order, by whole groups. */
    for (int k = 1; k < p.n; k++)
        if (p.order[k] <= p.order[k - 1])
            return dd_err_set(err, DD_EINVALID, "cvss: v2 metrics out of order");
    int n_temporal = (p.sel[V2_E] >= 0) + (p.sel[V2_RL] >= 0) + (p.sel[V2_RC] >= 0);
    int n_env = 0;
    for (int k = V2_CDP; k <= V2_AR; k++)
        n_env += p.sel[k] >= 0;
    if ((n_temporal != 0 && n_temporal != 3) || (n_env != 0 && n_env != 5))
        return dd_err_set(err, DD_EINVALID, "cvss: incomplete v2 temporal or environmental group");
    const int *s = p.sel;
    double C = imp[s[V2_C]], I = imp[s[V2_I]], A = imp[s[V2_A]];
    double base = v2_base(C, I, A, av[s[V2_AV]], ac[s[V2_AC]], au[s[V2_AU]]);
    double tm = n_temporal ? e[s[V2_E]] * rl[s[V2_RL]] * rc[s[V2_RC]] : 1.0;
    if (n_env == 0) {
        *out = n_temporal ? round1(base * tm) : base;
        return 0;
    }
    double adj_impact =
        10.41 * (1 - (1 - C * req[s[V2_CR]]) * (1 - I * req[s[V2_IR]]) * (1 - A * req[s[V2_AR]]));
    if (adj_impact > 10)
        adj_impact = 10;
    double expl = 20 * av[s[V2_AV]] * ac[s[V2_AC]] * au[s[V2_AU]];
    double adj_base =
        round1(((0.6 * adj_impact) + (0.4 * expl) - 1.5) * (adj_impact == 0 ? 0 : 1.176));
    double adj_temporal = round1(adj_base * tm);
    *out = round1((adj_temporal + (10 - adj_temporal) * cdp[s[V2_CDP]]) * td[s[V2_TD]]);
    return 0;
}

/* ---- v3 -------------------------------------------------------------------------------------- */

static const char *const v3_av[] = {"N", "A", "L", "P", NULL};
static const char *const v3_ac[] = {"L", "H", NULL};
static const char *const v3_pr[] = {"N", "L", "H", NULL};
static const char *const v3_ui[] = {"N", "R", NULL};
static const char *const v3_s[] = {"U", "C", NULL};
static const char *const v3_cia[] = {"H", "L", "N", NULL};
static const char *const v3_e[] = {"X", "U", "P", "F", "H", NULL};
static const char *const v3_rl[] = {"X", "O", "T", "W", "U", NULL};
static const char *const v3_rc[] = {"X", "U", "R", "C", NULL};
static const char *const v3_req[] = {"X", "L", "M", "H", NULL};
static const char *const v3_mav[] = {"X", "N", "A", "L", "P", NULL};
static const char *const v3_mac[] = {"X", "L", "H", NULL};
static const char *const v3_mpr[] = {"X", "N", "L", "H", NULL};
static const char *const v3_mui[] = {"X", "N", "R", NULL};
static const char *const v3_ms[] = {"X", "U", "C", NULL};
static const char *const v3_mcia[] = {"X", "H", "L", "N", NULL};

enum {
    V3_AV,
    V3_AC,
    V3_PR,
    V3_UI,
    V3_S,
    V3_C,
    V3_I,
    V3_A,
    V3_E,
    V3_RL,
    V3_RC,
    V3_CR,
    V3_IR,
    V3_AR,
    V3_MAV,
    V3_MAC,
    V3_MPR,
    V3_MUI,
    V3_MS,
    V3_MC,
    V3_MI,
    V3_MA,
    V3_N
};

static const metric_def v3_defs[V3_N] = {
    {"AV", v3_av, true},    {"AC", v3_ac, true},    {"PR", v3_pr, true},    {"UI", v3_ui, true},
    {"S", v3_s, true},      {"C", v3_cia, true},    {"I", v3_cia, true},    {"A", v3_cia, true},
    {"E", v3_e, false},     {"RL", v3_rl, false},   {"RC", v3_rc, false},   {"CR", v3_req, false},
    {"IR", v3_req, false},  {"AR", v3_req, false},  {"MAV", v3_mav, false}, {"MAC", v3_mac, false},
    {"MPR", v3_mpr, false}, {"MUI", v3_mui, false}, {"MS", v3_ms, false},   {"MC", v3_mcia, false},
    {"MI", v3_mcia, false}, {"MA", v3_mcia, false},
};

/* CVSS 3.1 Appendix A Roundup: the smallest one-decimal number >= x, computed on integers so that
 * 4.000000000000001 is 4.0. */
static double roundup31(double x)
{
    int64_t i = (int64_t)dfloor(x * 100000.0 + 0.5);
    if (i % 10000 == 0)
        return (double)i / 100000.0;
    return (double)(i / 10000 + 1) / 10.0;
}

/* CVSS 3.0 round-up: ceil to one decimal. */
static double roundup30(double x)
{
    return dceil(x * 10.0) / 10.0;
}

static int v3_score(const char *v, size_t len, int minor, size_t off, double *out, dd_err *err)
{
    static const double av[] = {0.85, 0.62, 0.55, 0.2}, ac[] = {0.77, 0.44}, ui[] = {0.85, 0.62},
                        cia[] = {0.56, 0.22, 0}, e[] = {1, 0.91, 0.94, 0.97, 1},
                        rl[] = {1, 0.95, 0.96, 0.97, 1}, rc[] = {1, 0.92, 0.96, 1},
                        req[] = {1, 0.5, 1, 1.5};
    static const double pr_u[] = {0.85, 0.62, 0.27}, pr_c[] = {0.85, 0.68, 0.5};
    double (*roundup)(double) = minor == 0 ? roundup30 : roundup31;
    parsed p;
    int rc_ = parse_metrics(&p, v, len, v3_defs, V3_N, off, err);
    if (rc_ != 0)
        return rc_;
    const int *s = p.sel;
    int changed = s[V3_S] == 1;
    double iss = 1 - (1 - cia[s[V3_C]]) * (1 - cia[s[V3_I]]) * (1 - cia[s[V3_A]]);
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * dpow(iss - 0.02, 15) : 6.42 * iss;
    double expl =
        8.22 * av[s[V3_AV]] * ac[s[V3_AC]] * (changed ? pr_c : pr_u)[s[V3_PR]] * ui[s[V3_UI]];
    double base = impact <= 0 ? 0
                  : changed   ? roundup(dmin(1.08 * (impact + expl), 10))
                              : roundup(dmin(impact + expl, 10));
    int has_t = s[V3_E] >= 0 || s[V3_RL] >= 0 || s[V3_RC] >= 0, has_e = 0;
    for (int k = V3_CR; k <= V3_MA; k++)
        has_e |= s[k] >= 0;
    double tm = (s[V3_E] >= 0 ? e[s[V3_E]] : 1) * (s[V3_RL] >= 0 ? rl[s[V3_RL]] : 1) *
                (s[V3_RC] >= 0 ? rc[s[V3_RC]] : 1);
    if (!has_e) {
        *out = has_t ? roundup(base * tm) : base;
        return 0;
    }
    /* Environmental: modified metrics fall back to the base values when absent or X. */
#define MOD(m, b, shift) (s[m] > 0 ? s[m] - (shift) : s[b])
    int mav = MOD(V3_MAV, V3_AV, 1), mac = MOD(V3_MAC, V3_AC, 1), mpr = MOD(V3_MPR, V3_PR, 1),
        mui = MOD(V3_MUI, V3_UI, 1), ms = MOD(V3_MS, V3_S, 1), mc = MOD(V3_MC, V3_C, 1),
        mi = MOD(V3_MI, V3_I, 1), ma = MOD(V3_MA, V3_A, 1);
#undef MOD
    double cr = s[V3_CR] >= 0 ? req[s[V3_CR]] : 1, ir = s[V3_IR] >= 0 ? req[s[V3_IR]] : 1,
           ar = s[V3_AR] >= 0 ? req[s[V3_AR]] : 1;
    double miss = dmin(1 - (1 - cr * cia[mc]) * (1 - ir * cia[mi]) * (1 - ar * cia[ma]), 0.915);
    int mchanged = ms == 1;
    double mimpact;
    if (!mchanged)
        mimpact = 6.42 * miss;
    else if (minor == 0)
        mimpact = 7.52 * (miss - 0.029) - 3.25 * dpow(miss - 0.02, 15);
    else
        mimpact = 7.52 * (miss - 0.029) - 3.25 * dpow(miss * 0.9731 - 0.02, 13);
    double mexpl = 8.22 * av[mav] * ac[mac] * (mchanged ? pr_c : pr_u)[mpr] * ui[mui];
    if (mimpact <= 0)
        *out = 0;
    else if (mchanged)
        *out = roundup(roundup(dmin(1.08 * (mimpact + mexpl), 10)) * tm);
    else
        *out = roundup(roundup(dmin(mimpact + mexpl, 10)) * tm);
    return 0;
}

/* ---- v4 -------------------------------------------------------------------------------------- */

static const char *const v4_av[] = {"N", "A", "L", "P", NULL};
static const char *const v4_ac[] = {"L", "H", NULL};
static const char *const v4_at[] = {"N", "P", NULL};
static const char *const v4_pr[] = {"N", "L", "H", NULL};
static const char *const v4_ui[] = {"N", "P", "A", NULL};
static const char *const v4_hln[] = {"H", "L", "N", NULL};
static const char *const v4_e[] = {"X", "A", "P", "U", NULL};
static const char *const v4_req[] = {"X", "H", "M", "L", NULL};
static const char *const v4_mav[] = {"X", "N", "A", "L", "P", NULL};
static const char *const v4_mac[] = {"X", "L", "H", NULL};
static const char *const v4_mat[] = {"X", "N", "P", NULL};
static const char *const v4_mpr[] = {"X", "N", "L", "H", NULL};
static const char *const v4_mui[] = {"X", "N", "P", "A", NULL};
static const char *const v4_mhln[] = {"X", "H", "L", "N", NULL};
static const char *const v4_mshln[] = {"X", "S", "H", "L", "N", NULL};
static const char *const v4_s[] = {"X", "N", "P", NULL};
static const char *const v4_au[] = {"X", "N", "Y", NULL};
static const char *const v4_r[] = {"X", "A", "U", "I", NULL};
static const char *const v4_v[] = {"X", "D", "C", NULL};
static const char *const v4_re[] = {"X", "L", "M", "H", NULL};
static const char *const v4_u[] = {"X", "Clear", "Green", "Amber", "Red", NULL};

enum {
    V4_AV,
    V4_AC,
    V4_AT,
    V4_PR,
    V4_UI,
    V4_VC,
    V4_VI,
    V4_VA,
    V4_SC,
    V4_SI,
    V4_SA,
    V4_E,
    V4_CR,
    V4_IR,
    V4_AR,
    V4_MAV,
    V4_MAC,
    V4_MAT,
    V4_MPR,
    V4_MUI,
    V4_MVC,
    V4_MVI,
    V4_MVA,
    V4_MSC,
    V4_MSI,
    V4_MSA,
    V4_S,
    V4_AU,
    V4_R,
    V4_V,
    V4_RE,
    V4_U,
    V4_N
};

static const metric_def v4_defs[V4_N] = {
    {"AV", v4_av, true},      {"AC", v4_ac, true},      {"AT", v4_at, true},
    {"PR", v4_pr, true},      {"UI", v4_ui, true},      {"VC", v4_hln, true},
    {"VI", v4_hln, true},     {"VA", v4_hln, true},     {"SC", v4_hln, true},
    {"SI", v4_hln, true},     {"SA", v4_hln, true},     {"E", v4_e, false},
    {"CR", v4_req, false},    {"IR", v4_req, false},    {"AR", v4_req, false},
    {"MAV", v4_mav, false},   {"MAC", v4_mac, false},   {"MAT", v4_mat, false},
    {"MPR", v4_mpr, false},   {"MUI", v4_mui, false},   {"MVC", v4_mhln, false},
    {"MVI", v4_mhln, false},  {"MVA", v4_mhln, false},  {"MSC", v4_mhln, false},
    {"MSI", v4_mshln, false}, {"MSA", v4_mshln, false}, {"S", v4_s, false},
    {"AU", v4_au, false},     {"R", v4_r, false},       {"V", v4_v, false},
    {"RE", v4_re, false},     {"U", v4_u, false},
};

/* MacroVector scores: the data of cvss_lookup.js (cvssLookup_global) in
 * RedHatProductSecurity/cvss-v4-calculator at commit e2be4832ae803f71ad44caa05175d726af558714
 * (BSD-2-Clause, Copyright FIRST, Red Hat, and contributors); FIRSTdotorg/cvss-v4-calculator is the
 * published fork of that repository and ships the same table. Keys are the EQ1..EQ6 digits,
 * values the score in tenths; EQ3=2 with EQ6=0 cannot occur and has no entry. */
static const struct {
    char mv[7];
    uint8_t tenths;
} v4_lookup[] = {
    {"000000", 100}, {"000001", 99}, {"000010", 98}, {"000011", 95}, {"000020", 95}, {"000021", 92},
    {"000100", 100}, {"000101", 96}, {"000110", 93}, {"000111", 87}, {"000120", 91}, {"000121", 81},
    {"000200", 93},  {"000201", 90}, {"000210", 89}, {"000211", 80}, {"000220", 81}, {"000221", 68},
    {"001000", 98},  {"001001", 95}, {"001010", 95}, {"001011", 92}, {"001020", 90}, {"001021", 84},
    {"001100", 93},  {"001101", 92}, {"001110", 89}, {"001111", 81}, {"001120", 81}, {"001121", 65},
    {"001200", 88},  {"001201", 80}, {"001210", 78}, {"001211", 70}, {"001220", 69}, {"001221", 48},
    {"002001", 92},  {"002011", 82}, {"002021", 72}, {"002101", 79}, {"002111", 69}, {"002121", 50},
    {"002201", 69},  {"002211", 55}, {"002221", 27}, {"010000", 99}, {"010001", 97}, {"010010", 95},
    {"010011", 92},  {"010020", 92}, {"010021", 85}, {"010100", 95}, {"010101", 91}, {"010110", 90},
    {"010111", 83},  {"010120", 84}, {"010121", 71}, {"010200", 92}, {"010201", 81}, {"010210", 82},
    {"010211", 71},  {"010220", 72}, {"010221", 53}, {"011000", 95}, {"011001", 93}, {"011010", 92},
    {"011011", 85},  {"011020", 85}, {"011021", 73}, {"011100", 92}, {"011101", 82}, {"011110", 80},
    {"011111", 72},  {"011120", 70}, {"011121", 59}, {"011200", 84}, {"011201", 70}, {"011210", 71},
    {"011211", 52},  {"011220", 50}, {"011221", 30}, {"012001", 86}, {"012011", 75}, {"012021", 52},
    {"012101", 71},  {"012111", 52}, {"012121", 29}, {"012201", 63}, {"012211", 29}, {"012221", 17},
    {"100000", 98},  {"100001", 95}, {"100010", 94}, {"100011", 87}, {"100020", 91}, {"100021", 81},
    {"100100", 94},  {"100101", 89}, {"100110", 86}, {"100111", 74}, {"100120", 77}, {"100121", 64},
    {"100200", 87},  {"100201", 75}, {"100210", 74}, {"100211", 63}, {"100220", 63}, {"100221", 49},
    {"101000", 94},  {"101001", 89}, {"101010", 88}, {"101011", 77}, {"101020", 76}, {"101021", 67},
    {"101100", 86},  {"101101", 76}, {"101110", 74}, {"101111", 58}, {"101120", 59}, {"101121", 50},
    {"101200", 72},  {"101201", 57}, {"101210", 57}, {"101211", 52}, {"101220", 52}, {"101221", 25},
    {"102001", 83},  {"102011", 70}, {"102021", 54}, {"102101", 65}, {"102111", 58}, {"102121", 26},
    {"102201", 53},  {"102211", 21}, {"102221", 13}, {"110000", 95}, {"110001", 90}, {"110010", 88},
    {"110011", 76},  {"110020", 76}, {"110021", 70}, {"110100", 90}, {"110101", 77}, {"110110", 75},
    {"110111", 62},  {"110120", 61}, {"110121", 53}, {"110200", 77}, {"110201", 66}, {"110210", 68},
    {"110211", 59},  {"110220", 52}, {"110221", 30}, {"111000", 89}, {"111001", 78}, {"111010", 76},
    {"111011", 67},  {"111020", 62}, {"111021", 58}, {"111100", 74}, {"111101", 59}, {"111110", 57},
    {"111111", 57},  {"111120", 47}, {"111121", 23}, {"111200", 61}, {"111201", 52}, {"111210", 57},
    {"111211", 29},  {"111220", 24}, {"111221", 16}, {"112001", 71}, {"112011", 59}, {"112021", 30},
    {"112101", 58},  {"112111", 26}, {"112121", 15}, {"112201", 23}, {"112211", 13}, {"112221", 6},
    {"200000", 93},  {"200001", 87}, {"200010", 86}, {"200011", 72}, {"200020", 75}, {"200021", 58},
    {"200100", 86},  {"200101", 74}, {"200110", 74}, {"200111", 61}, {"200120", 56}, {"200121", 34},
    {"200200", 70},  {"200201", 54}, {"200210", 52}, {"200211", 40}, {"200220", 40}, {"200221", 22},
    {"201000", 85},  {"201001", 75}, {"201010", 74}, {"201011", 55}, {"201020", 62}, {"201021", 51},
    {"201100", 72},  {"201101", 57}, {"201110", 55}, {"201111", 41}, {"201120", 46}, {"201121", 19},
    {"201200", 53},  {"201201", 36}, {"201210", 34}, {"201211", 19}, {"201220", 19}, {"201221", 8},
    {"202001", 64},  {"202011", 51}, {"202021", 20}, {"202101", 47}, {"202111", 21}, {"202121", 11},
    {"202201", 24},  {"202211", 9},  {"202221", 4},  {"210000", 88}, {"210001", 75}, {"210010", 73},
    {"210011", 53},  {"210020", 60}, {"210021", 50}, {"210100", 73}, {"210101", 55}, {"210110", 59},
    {"210111", 40},  {"210120", 41}, {"210121", 20}, {"210200", 54}, {"210201", 43}, {"210210", 45},
    {"210211", 22},  {"210220", 20}, {"210221", 11}, {"211000", 75}, {"211001", 55}, {"211010", 58},
    {"211011", 45},  {"211020", 40}, {"211021", 21}, {"211100", 61}, {"211101", 51}, {"211110", 48},
    {"211111", 18},  {"211120", 20}, {"211121", 9},  {"211200", 46}, {"211201", 18}, {"211210", 17},
    {"211211", 7},   {"211220", 8},  {"211221", 2},  {"212001", 53}, {"212011", 24}, {"212021", 14},
    {"212101", 24},  {"212111", 12}, {"212121", 5},  {"212201", 10}, {"212211", 3},  {"212221", 1},
};

/* Score of MacroVector eq[0..5], or NaN when the table has none. */
static double v4_macro_score(const int eq[6])
{
    for (size_t i = 0; i < sizeof(v4_lookup) / sizeof(v4_lookup[0]); i++) {
        int k = 0;
        while (k < 6 && v4_lookup[i].mv[k] - '0' == eq[k])
            k++;
        if (k == 6)
            return v4_lookup[i].tenths / 10.0;
    }
    return __builtin_nan("");
}

/* Metrics as used by the formulas, in this order; values are letters. */
enum {
    Q_AV,
    Q_PR,
    Q_UI,
    Q_AC,
    Q_AT,
    Q_VC,
    Q_VI,
    Q_VA,
    Q_SC,
    Q_SI,
    Q_SA,
    Q_CR,
    Q_IR,
    Q_AR,
    Q_E,
    Q_N
};

/* Highest-severity vectors of each EQ level (max_composed.js of the same repository), as
 * letter strings over the metrics they name: eq1 "AV PR UI", eq2 "AC AT", eq3+eq6
 * "VC VI VA CR IR AR", eq4 "SC SI SA". */
static const char *const eq1_max[3][3] = {{"NNN", NULL}, {"ANN", "NLN", "NNP"}, {"PNN", "ALP"}};
static const char *const eq2_max[2][2] = {{"LN", NULL}, {"HN", "LP"}};
static const char *const eq36_max[3][2][5] = {
    {{"HHHHHH", NULL}, {"HHLMMH", "HHHMMM"}},
    {{"LHHHHH", "HLHHHH"}, {"LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM"}},
    {{NULL}, {"LLLHHH"}},
};
static const char *const eq4_max[3] = {"HSS", "HHH", "LLL"};
/* Max severity depths (max_severity.js), in steps of 0.1. */
static const int maxsev_eq1[3] = {1, 4, 5}, maxsev_eq2[2] = {1, 2}, maxsev_eq4[3] = {6, 5, 4};
static const int maxsev_eq36[3][2] = {{7, 6}, {8, 8}, {0, 10}};

/* Severity level (tenths) of value letter c of metric m, as the calculator's *_levels. */
static int v4_level(int m, char c)
{
    switch (m) {
    case Q_AV:
        return c == 'N' ? 0 : c == 'A' ? 1 : c == 'L' ? 2 : 3;
    case Q_PR:
        return c == 'N' ? 0 : c == 'L' ? 1 : 2;
    case Q_UI:
        return c == 'N' ? 0 : c == 'P' ? 1 : 2;
    case Q_AC:
        return c == 'L' ? 0 : 1;
    case Q_AT:
        return c == 'N' ? 0 : 1;
    case Q_VC:
    case Q_VI:
    case Q_VA:
        return c == 'H' ? 0 : c == 'L' ? 1 : 2;
    case Q_SC:
        return c == 'H' ? 1 : c == 'L' ? 2 : 3;
    case Q_SI:
    case Q_SA:
        return c == 'S' ? 0 : c == 'H' ? 1 : c == 'L' ? 2 : 3;
    default: /* CR IR AR */
        return c == 'H' ? 0 : c == 'M' ? 1 : 2;
    }
}

static int v4_score(const char *v, size_t len, size_t off, double *out, dd_err *err)
{
    parsed p;
    int rc = parse_metrics(&p, v, len, v4_defs, V4_N, off, err);
    if (rc != 0)
        return rc;
    const int *s = p.sel;
    /* Effective letters (the calculator's m()): modified metrics override, X defaults to the
     * worst case for E and the requirements. */
    char m[Q_N];
#define EFF(base, mod) (s[mod] > 0 ? v4_defs[mod].vals[s[mod]][0] : v4_defs[base].vals[s[base]][0])
    m[Q_AV] = EFF(V4_AV, V4_MAV);
    m[Q_PR] = EFF(V4_PR, V4_MPR);
    m[Q_UI] = EFF(V4_UI, V4_MUI);
    m[Q_AC] = EFF(V4_AC, V4_MAC);
    m[Q_AT] = EFF(V4_AT, V4_MAT);
    m[Q_VC] = EFF(V4_VC, V4_MVC);
    m[Q_VI] = EFF(V4_VI, V4_MVI);
    m[Q_VA] = EFF(V4_VA, V4_MVA);
    m[Q_SC] = EFF(V4_SC, V4_MSC);
    m[Q_SI] = EFF(V4_SI, V4_MSI);
    m[Q_SA] = EFF(V4_SA, V4_MSA);
#undef EFF
    m[Q_CR] = s[V4_CR] > 0 ? v4_req[s[V4_CR]][0] : 'H';
    m[Q_IR] = s[V4_IR] > 0 ? v4_req[s[V4_IR]][0] : 'H';
    m[Q_AR] = s[V4_AR] > 0 ? v4_req[s[V4_AR]][0] : 'H';
    m[Q_E] = s[V4_E] > 0 ? v4_e[s[V4_E]][0] : 'A';

    if (m[Q_VC] == 'N' && m[Q_VI] == 'N' && m[Q_VA] == 'N' && m[Q_SC] == 'N' && m[Q_SI] == 'N' &&
        m[Q_SA] == 'N') {
        *out = 0;
        return 0;
    }
    int eq[6];
    int av_n = m[Q_AV] == 'N', pr_n = m[Q_PR] == 'N', ui_n = m[Q_UI] == 'N';
    if (av_n && pr_n && ui_n)
        eq[0] = 0;
    else if ((av_n || pr_n || ui_n) && m[Q_AV] != 'P')
        eq[0] = 1;
    else
        eq[0] = 2;
    eq[1] = m[Q_AC] == 'L' && m[Q_AT] == 'N' ? 0 : 1;
    if (m[Q_VC] == 'H' && m[Q_VI] == 'H')
        eq[2] = 0;
    else if (m[Q_VC] == 'H' || m[Q_VI] == 'H' || m[Q_VA] == 'H')
        eq[2] = 1;
    else
        eq[2] = 2;
    /* EQ4 looks at MSI/MSA as written (S exists only there). */
    int msi_s = s[V4_MSI] == 1, msa_s = s[V4_MSA] == 1;
    if (msi_s || msa_s)
        eq[3] = 0;
    else if (m[Q_SC] == 'H' || m[Q_SI] == 'H' || m[Q_SA] == 'H')
        eq[3] = 1;
    else
        eq[3] = 2;
    eq[4] = m[Q_E] == 'A' ? 0 : m[Q_E] == 'P' ? 1 : 2;
    eq[5] = (m[Q_CR] == 'H' && m[Q_VC] == 'H') || (m[Q_IR] == 'H' && m[Q_VI] == 'H') ||
                    (m[Q_AR] == 'H' && m[Q_VA] == 'H')
                ? 0
                : 1;

    double value = v4_macro_score(eq);
    if (is_nan(value))
        return dd_err_set(err, DD_EINVALID, "cvss: no score for this MacroVector");
    int lo[6];
    memcpy(lo, eq, sizeof(lo));
    lo[0]++;
    double s_eq1 = v4_macro_score(lo);
    memcpy(lo, eq, sizeof(lo));
    lo[1]++;
    double s_eq2 = v4_macro_score(lo);
    double s_eq36;
    memcpy(lo, eq, sizeof(lo));
    if (eq[2] == 0 && eq[5] == 0) {
        int l2[6], r2[6];
        memcpy(l2, eq, sizeof(l2));
        memcpy(r2, eq, sizeof(r2));
        l2[5]++;
        r2[2]++;
        double left = v4_macro_score(l2), right = v4_macro_score(r2);
        s_eq36 = left > right ? left : right;
    } else {
        if (eq[2] == 1 && eq[5] == 0)
            lo[5]++;
        else if (eq[2] == 2 || (eq[2] == 1 && eq[5] == 1) || (eq[2] == 0 && eq[5] == 1))
            lo[2]++;
        if (eq[2] == 2 && eq[5] == 1) /* 21 -> 32 (does not exist) */
            lo[5]++;
        s_eq36 = v4_macro_score(lo);
    }
    memcpy(lo, eq, sizeof(lo));
    lo[3]++;
    double s_eq4 = v4_macro_score(lo);
    memcpy(lo, eq, sizeof(lo));
    lo[4]++;
    double s_eq5 = v4_macro_score(lo);

    /* Severity distances to the first highest-severity vector of this MacroVector that is not
     * below the scored one (the last candidate when none qualifies, as the calculator). */
    int dist[Q_N] = {0};
    const char *const *m1 = eq1_max[eq[0]], *const *m2 = eq2_max[eq[1]];
    const char *const *m36 = eq36_max[eq[2]][eq[5]];
    const char *m4 = eq4_max[eq[3]];
    int found = 0;
    for (int a = 0; a < 3 && m1[a] != NULL && !found; a++) {
        for (int b = 0; b < 2 && m2[b] != NULL && !found; b++) {
            for (int c = 0; c < 5 && m36[c] != NULL && !found; c++) {
                const char mx[Q_N - 1] = {m1[a][0],  m1[a][1],  m1[a][2],  m2[b][0], m2[b][1],
                                          m36[c][0], m36[c][1], m36[c][2], m4[0],    m4[1],
                                          m4[2],     m36[c][3], m36[c][4], m36[c][5]};
                int neg = 0;
                for (int k = 0; k < Q_E; k++) {
                    dist[k] = v4_level(k, m[k]) - v4_level(k, mx[k]);
                    neg |= dist[k] < 0;
                }
                found = !neg;
            }
        }
    }
    int d_eq1 = dist[Q_AV] + dist[Q_PR] + dist[Q_UI];
    int d_eq2 = dist[Q_AC] + dist[Q_AT];
    int d_eq36 = dist[Q_VC] + dist[Q_VI] + dist[Q_VA] + dist[Q_CR] + dist[Q_IR] + dist[Q_AR];
    int d_eq4 = dist[Q_SC] + dist[Q_SI] + dist[Q_SA];

    int n_lower = 0;
    double sum = 0;
    if (!is_nan(s_eq1)) {
        n_lower++;
        sum += (value - s_eq1) * d_eq1 / maxsev_eq1[eq[0]];
    }
    if (!is_nan(s_eq2)) {
        n_lower++;
        sum += (value - s_eq2) * d_eq2 / maxsev_eq2[eq[1]];
    }
    if (!is_nan(s_eq36)) {
        n_lower++;
        sum += (value - s_eq36) * d_eq36 / maxsev_eq36[eq[2]][eq[5]];
    }
    if (!is_nan(s_eq4)) {
        n_lower++;
        sum += (value - s_eq4) * d_eq4 / maxsev_eq4[eq[3]];
    }
    if (!is_nan(s_eq5))
        n_lower++; /* EQ5's proportion is always 0 */
    if (n_lower > 0)
        value -= sum / n_lower;
    if (value < 0)
        value = 0;
    if (value > 10)
        value = 10;
    /* Half up at one decimal, lifted by 1e-6 as the calculator does against x.x4999... */
    *out = dfloor((value + 1e-6) * 10 + 0.5) / 10;
    return 0;
}

/* ---- entry points ---------------------------------------------------------------------------- */

int dd_cvss_base_score(const char *vector, double *score_out, int *version_out, dd_err *err)
{
    if (vector == NULL)
        return dd_err_set(err, DD_EINVALID, "cvss: no vector");
    size_t len = strnlen(vector, VECTOR_MAX + 1);
    if (len == 0 || len > VECTOR_MAX)
        return dd_err_set(err, DD_EINVALID, "cvss: empty or oversized vector");
    double score = 0;
    int version, rc;
    if (len >= 5 && memcmp(vector, "CVSS:", 5) == 0) {
        if (len >= 9 && memcmp(vector + 5, "3.0/", 4) == 0) {
            version = 3;
            rc = v3_score(vector + 9, len - 9, 0, 9, &score, err);
        } else if (len >= 9 && memcmp(vector + 5, "3.1/", 4) == 0) {
            version = 3;
            rc = v3_score(vector + 9, len - 9, 1, 9, &score, err);
        } else if (len >= 9 && memcmp(vector + 5, "4.0/", 4) == 0) {
            version = 4;
            rc = v4_score(vector + 9, len - 9, 9, &score, err);
        } else {
            return dd_err_set_at(err, DD_EINVALID, 5, "cvss: unsupported version");
        }
    } else {
        version = 2;
        /* NVD feeds sometimes wrap v2 vectors in parentheses: "(AV:N/...)". */
        if (vector[0] == '(' && vector[len - 1] == ')' && len > 2)
            rc = v2_score(vector + 1, len - 2, &score, err);
        else
            rc = v2_score(vector, len, &score, err);
    }
    if (rc != 0)
        return rc;
    *score_out = score;
    if (version_out != NULL)
        *version_out = version;
    return 0;
}

const char *dd_cvss_rating(double score, int version)
{
    if (version == 2)
        return score < 4.0 ? "LOW" : score < 7.0 ? "MEDIUM" : "HIGH";
    if (score <= 0)
        return "NONE";
    if (score < 4.0)
        return "LOW";
    if (score < 7.0)
        return "MEDIUM";
    if (score < 9.0)
        return "HIGH";
    return "CRITICAL";
}
