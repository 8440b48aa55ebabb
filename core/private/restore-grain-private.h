/* gimp-restore: what the two halves of the grain step share
 * (restore-grain.c: measurement and synthesis; restore-grain-noise.c: the
 * noise model, its size and its block statistics); internal to core/.
 */
#pragma once

#include <glib.h>

#include "restore-grain.h"

G_BEGIN_DECLS

#define NB          RESTORE_GRAIN_BINS
#define HP_RADIUS   5      /* Gaussian taps each side: 3.3 sigma */
#define BLOCK       8      /* block side, pixels */
#define GROUP       8      /* block rows the measurement blurs at once */
#define CLEAR       4      /* no masked pixel this close to a block */
#define MIN_BLOCK_N 32     /* pixels a block at the area's edge needs */
#define CELL        32     /* amplitude cells over the mask's box */
#define LOCAL_REACH 64     /* first half-width of a cell's neighbourhood */
#define LOCAL_MAX   256    /* the widest before the whole area's value */
#define MIN_BLOCKS  6      /* blocks of a bin a neighbourhood needs */
#define MIN_FILL    32     /* fill pixels a cell's bin needs */
#define FLOOR_Q     0.1    /* the floor's quantile of block variances */
#define FLOOR_BIAS  0.7    /* that quantile over the true variance, until
                            * grain_calibrate() knows the grain's size */
#define CAP         1.5    /* local variance at most CAP x the floor */
#define SPREAD      2.0    /* a bin's floor at most SPREAD x the lowest */
#define SIZE_MAX_S  3.0    /* largest grain size s considered */
#define BAND        32     /* rows per band of the synthesis */
#define SPAN        64     /* columns: the synthesis makes noise only over
                              the spans of a band with a masked pixel */

typedef struct
{
  double s[3], s2[3], cross[3];  /* sums of hp, hp^2, hp_i hp_j (01 02 12) */
  double lag;                    /* sum of lag-1 products, all channels */
  double lum;                    /* sum of the blurred luminance */
  int    n, pairs;
  int    bad;                    /* masked nearby or a non-finite sample */
  int    clipped;                /* a sample at 0 or 1: grain cut off */
  float  var[3];                 /* after the pass: variance of hp */
  int    bin;                    /* -1: not used */
} Block;

typedef struct
{
  const RestoreImage *im;
  const RestoreMask  *mask;
  int                 nc;            /* colour channels: 1 or 3 */
  int                 x0, y0, x1, y1; /* the mask's box */
  int                 bw, bh;
  int                 wx0, wy0, wx1, wy1; /* the work area */
  int                 nbx, nby;      /* blocks */
  Block              *blocks;
  int                 ncx, ncy;      /* cells */
  double             *fill_s2;       /* [cell][bin][c] sums of hp^2 */
  int                *fill_n;        /* [cell][bin] */
  guint8             *needed;        /* [cell]: bit per bin a pixel uses */
  guint8             *gray;          /* [bh][bw]: blurred luminance, 0..255 */
  guint8             *row_has;       /* [bh]: a pixel with m > 0 */
  float               g[2 * HP_RADIUS + 1];
} Grain;

/* The @q quantile (0..1) of @v[0..n-1] (reordered), by selection. */
float  grain_quantile      (float       *v,
                            int          n,
                            double       q);
/* The 1-D Gaussian of sigma @s, normalised to unit energy (the sum of
 * squares), radius ceil (3 s); s = 0 is the identity.  Returns the
 * radius; @k holds 2 * 9 + 1 taps. */
int    grain_size_kernel   (double       s,
                            float       *k);
/* For noise of size @s (unit variance): *@var, the variance of its
 * high-pass, and *@rho1, the high-pass's lag-1 autocorrelation. */
void   grain_size_response (const Grain *gr,
                            double       s,
                            double      *var,
                            double      *rho1);
/* The grain size whose high-pass has the lag-1 autocorrelation @rho1. */
double grain_size_from_rho (const Grain *gr,
                            double       rho1);
/* What the block statistics read from noise of the size of @kern (radius
 * @rk) whose high-pass has the variance @hvar: the FLOOR_Q quantile and
 * the median of the blocks' variances over @hvar. */
void   grain_calibrate     (const Grain *gr,
                            const float *kern,
                            int          rk,
                            double       hvar,
                            double      *q_ratio,
                            double      *med_ratio);

static inline guint32
grain_hash (guint32 x,
            guint32 y,
            guint32 c,
            guint32 seed)
{
  guint32 h = seed ^ (x * 0x8da6b343u) ^ (y * 0xd8163841u) ^ (c * 0xcb1ab31fu);

  /* murmur3's finaliser */
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* A zero-mean, unit-variance value of (x, y, c): the sum of two uniform
 * 16-bit halves of the hash (triangular). */
static inline float
grain_unit (int     x,
            int     y,
            int     c,
            guint32 seed)
{
  guint32 h = grain_hash ((guint32) x, (guint32) y, (guint32) c, seed);
  float   u = ((h & 0xffffu) + (h >> 16) + 1.0f) / 65536.0f - 1.0f;

  return u * 2.449489743f;   /* sqrt (6): the triangle's variance is 1/6 */
}

G_END_DECLS
