/* Tests of the grain step (core/restore-grain.h): on synthetic grainy
 * pictures whose holes hold a smooth fill, the fill's high-pass comes out
 * at the level of its surroundings for monochrome and colour grain of two
 * sizes; a grain-free picture's fill is left as it was; pixels with mask 0
 * are never written; the result depends on neither the tiling nor the
 * threads of the engine. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-grain.h"
#include "restore-params.h"
#include "hp-ratio.h"
#include "toy-model.h"

#define W 192
#define H 160

/* The clean picture: a smooth gradient, a soft bright disk and a slow
 * wave, different per channel. */
static double
picture (int x, int y, int c)
{
  double d = hypot (x - 130.0, y - 50.0);

  return 0.25 + 0.35 * x / W + 0.1 * sin (y * 0.045 + c)
         + 0.2 / (1.0 + exp ((d - 22.0) / 2.0)) - 0.05 * c;
}

/* Gaussian noise of standard deviation @sd blurred by a Gaussian of sigma
 * @size (then brought back to @sd): one plane [H][W]. */
static float *
make_noise (GRand *rand, double sd, double size)
{
  float  *n = g_new (float, W * H), *t = g_new (float, W * H);
  int     r = size > 0 ? (int) ceil (3 * size) : 0;
  double  k[32], sum = 0, s2 = 0;

  for (int i = 0; i < W * H; i++)
    {
      double u1 = g_rand_double (rand), u2 = g_rand_double (rand);

      n[i] = (float) (sqrt (-2 * log (u1 + 1e-12)) * cos (2 * G_PI * u2));
    }
  for (int i = -r; i <= r; i++)
    sum += k[i + r] = size > 0 ? exp (-0.5 * i * i / (size * size)) : 1.0;
  for (int i = 0; i <= 2 * r; i++)
    k[i] /= sum;
  for (int pass = 0; pass < 2; pass++)
    {
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double v = 0;

            for (int i = -r; i <= r; i++)
              v += k[i + r] * (pass == 0 ? n[y * W + CLAMP (x + i, 0, W - 1)]
                                         : n[CLAMP (y + i, 0, H - 1) * W + x]);
            t[y * W + x] = (float) v;
          }
      memcpy (n, t, sizeof (float) * W * H);
    }
  for (int i = 0; i < W * H; i++)
    s2 += (double) n[i] * n[i];
  for (int i = 0; i < W * H; i++)
    n[i] = (float) (n[i] * sd / sqrt (s2 / (W * H)));
  g_free (t);
  return n;
}

/* A hole (disk of radius 14), a blob and a scratch 3 px wide; @soft gives
 * the disk a soft edge. */
static float *
make_mask (gboolean soft)
{
  float *m = g_new0 (float, W * H);

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        double d = hypot (x - 60.0, y - 90.0);

        if (d < 14)
          m[y * W + x] = soft ? (float) MIN (1.0, (14 - d) / 4) : 1.0f;
        if (x >= 120 && x < 150 && y >= 100 && y < 125)
          m[y * W + x] = 1.0f;
        if (x >= 20 && x < 170 && abs (y - (30 + x / 6)) <= 1)
          m[y * W + x] = 1.0f;
      }
  return m;
}

/* The picture with grain of @sd (0..1 units) and @size, @mono or not, and
 * inside the mask (m > 0) the clean picture: what a smooth fill gives. */
static RestoreImage
make_filled (int channels, double sd, double size, gboolean mono,
             const float *m, guint32 seed, float **truth)
{
  GRand       *rand = g_rand_new_with_seed (seed);
  RestoreImage img = { NULL, W, H, channels, (gsize) W * channels };
  float       *n[4] = { NULL, NULL, NULL, NULL };   /* one per channel */

  for (int c = 0; c < channels; c++)
    n[c] = sd > 0 && (c == 0 || !mono) ? make_noise (rand, sd, size) : NULL;
  img.data = g_new (float, (gsize) W * H * channels);
  if (truth != NULL)
    *truth = g_new (float, (gsize) W * H * channels);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < channels; c++)
        {
          double clean = picture (x, y, c);
          float *g = n[mono ? 0 : c];
          double v = clean + (g != NULL ? g[y * W + x] : 0.0);
          gsize  i = ((gsize) y * W + x) * channels + c;

          if (truth != NULL)
            (*truth)[i] = (float) v;
          img.data[i] = (float) (m[y * W + x] > 0 ? clean : v);
        }
  for (int c = 0; c < channels; c++)
    g_free (n[c]);
  g_rand_free (rand);
  return img;
}

static RestoreMask
mask_of (const float *m)
{
  RestoreMask mask = { m, W, H, W };

  return mask;
}

/* Grain of 6 gray levels, white and coarse, monochrome and colour, gray
 * and RGB: the fill's high-pass ends within 0.8-1.25 of its ring's, from
 * under 0.6 before. */
static void
test_grain_matches (void)
{
  static const struct { int channels; double size; gboolean mono; } cases[] = {
    { 3, 0.0, TRUE }, { 3, 1.2, TRUE }, { 3, 0.0, FALSE }, { 3, 1.2, FALSE },
    { 1, 0.0, TRUE }, { 1, 1.2, TRUE },
  };
  float *m = make_mask (FALSE);
  RestoreMask mask = mask_of (m);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      RestoreImage      img = make_filled (cases[i].channels, 6.0 / 255, cases[i].size,
                                           cases[i].mono, m, 11 + i, NULL);
      RestoreGrainStats st;
      double            before = hp_ratio (&img, m), after;

      g_assert_true (restore_grain_apply (&img, &mask, 0, 0, -1, -1, 1.0,
                                          RESTORE_GRAIN_SEED, NULL, &st));
      after = hp_ratio (&img, m);
      g_test_message ("channels %d size %.1f %s: ratio %.3f -> %.3f (size %.2f, rho %.2f, "
                      "%d blocks)", cases[i].channels, cases[i].size,
                      cases[i].mono ? "mono" : "colour", before, after, st.size, st.rho,
                      st.blocks);
      g_assert_cmpfloat (before, <, 0.6);
      g_assert_cmpfloat (after, >=, 0.8);
      g_assert_cmpfloat (after, <=, 1.25);
      /* the grain's character was read: coarse grain is coarser, colour
       * grain's channels are far less alike than monochrome grain's */
      if (cases[i].size > 0)
        g_assert_cmpfloat (st.size, >, 0.6);
      else
        g_assert_cmpfloat (st.size, <, 0.6);
      if (cases[i].channels == 3 && cases[i].mono)
        g_assert_cmpfloat (st.rho, >, 0.8);
      else if (cases[i].channels == 3)
        g_assert_cmpfloat (st.rho, <, 0.3);
      g_free (img.data);
    }
  g_free (m);
}

/* No grain: the fill (here the exact clean picture) stays as it was. */
static void
test_grain_clean (void)
{
  float       *m = make_mask (FALSE);
  RestoreMask  mask = mask_of (m);
  RestoreImage img = make_filled (3, 0.0, 0.0, TRUE, m, 5, NULL);
  float       *before = g_memdup2 (img.data, sizeof (float) * W * H * 3);
  double       s2 = 0, worst = 0;

  /* a hard-edged bright bar crossing the hole's ring: edges are not grain */
  for (int y = 70; y < 110; y++)
    for (int x = 40; x < 46; x++)
      for (int c = 0; c < 3; c++)
        before[(y * W + x) * 3 + c] = img.data[(y * W + x) * 3 + c] += 0.3f;
  g_assert_true (restore_grain_apply (&img, &mask, 0, 0, -1, -1, 1.0,
                                      RESTORE_GRAIN_SEED, NULL, NULL));
  for (int i = 0; i < W * H * 3; i++)
    {
      double d = img.data[i] - before[i];

      s2 += d * d;
      worst = MAX (worst, fabs (d));
    }
  g_test_message ("clean: rms change %.2e, largest %.2e", sqrt (s2 / (W * H * 3)), worst);
  g_assert_cmpfloat (worst, <, 0.5 / 255);
  g_free (before);
  g_free (img.data);
  g_free (m);
}

/* Pixels with mask 0 keep their bits, NaNs included; soft mask values
 * get grain in proportion; strength 0 changes nothing. */
static void
test_grain_outside (void)
{
  float       *m = make_mask (TRUE);
  RestoreMask  mask = mask_of (m);
  RestoreImage img = make_filled (4, 6.0 / 255, 0.0, FALSE, m, 7, NULL);
  float       *before;
  int          changed = 0;

  img.data[(5 * W + 5) * 4] = NAN;
  img.data[(100 * W + 100) * 4 + 1] = INFINITY;
  before = g_memdup2 (img.data, sizeof (float) * W * H * 4);
  g_assert_true (restore_grain_apply (&img, &mask, 0, 0, -1, -1, 0.0,
                                      RESTORE_GRAIN_SEED, NULL, NULL));
  g_assert_cmpmem (img.data, sizeof (float) * W * H * 4, before, sizeof (float) * W * H * 4);
  g_assert_true (restore_grain_apply (&img, &mask, 0, 0, -1, -1, 1.0,
                                      RESTORE_GRAIN_SEED, NULL, NULL));
  for (int i = 0; i < W * H; i++)
    for (int c = 0; c < 4; c++)
      {
        gboolean same = memcmp (&img.data[i * 4 + c], &before[i * 4 + c], sizeof (float)) == 0;

        if (m[i] == 0.0f || c == 3)
          g_assert_true (same);
        else
          changed += !same;
      }
  g_assert_cmpint (changed, >, 0);
  g_free (before);
  g_free (img.data);
  g_free (m);
}

static gboolean
run_engine (RestoreModel *model, const RestoreImage *src, const float *m,
            int tile_size, int threads, double grain, RestoreImage *dst)
{
  RestoreMask    mask = mask_of (m);
  RestoreOptions options;
  GError        *error = NULL;
  gboolean       ok;

  dst->width = W;
  dst->height = H;
  dst->channels = src->channels;
  dst->rowstride = src->rowstride;
  dst->data = g_new (float, (gsize) W * H * src->channels);
  restore_options_init (&options);
  options.tile_size = tile_size;
  options.n_threads = threads;
  options.grain = grain;
  ok = restore_run (&model, 1, src, &mask, dst, &options, &error);
  g_assert_no_error (error);
  return ok;
}

/* Through restore_run: on by default; the same grain whatever the tile
 * size and the threads (the noise is a function of the pixel); and the
 * default run is repeatable bit for bit. */
static void
test_grain_engine (void)
{
  gsize          size;
  guint8        *bytes = toy_model_bytes ("toy", 0, 0.45f, 12, &size);
  GError        *error = NULL;
  RestoreModel  *model = restore_model_load_from_data (bytes, size, &error);
  float         *m = make_mask (TRUE);
  RestoreImage   src = make_filled (3, 6.0 / 255, 0.0, TRUE, m, 3, NULL);
  RestoreImage   off, a, b, c, d;
  RestoreOptions defaults;
  double         worst = 0;
  int            added = 0;

  g_assert_no_error (error);
  restore_options_init (&defaults);
  g_assert_cmpfloat (defaults.grain, >, 0.0);
  g_assert_true (run_engine (model, &src, m, 0, 1, 0.0, &off));
  g_assert_true (run_engine (model, &src, m, 0, 1, defaults.grain, &a));
  g_assert_true (run_engine (model, &src, m, 48, 2, defaults.grain, &b));
  g_assert_true (run_engine (model, &src, m, 64, 0, defaults.grain, &c));
  g_assert_true (run_engine (model, &src, m, 0, 1, defaults.grain, &d));
  g_assert_cmpmem (a.data, sizeof (float) * W * H * 3, d.data, sizeof (float) * W * H * 3);
  for (int i = 0; i < W * H * 3; i++)
    {
      /* the grain each run added, against the first's */
      double ga = a.data[i] - off.data[i];

      worst = MAX (worst, fabs ((b.data[i] - off.data[i]) - ga));
      worst = MAX (worst, fabs ((c.data[i] - off.data[i]) - ga));
      added += fabs (ga) > 1.0 / 255;
      if (m[i / 3] == 0.0f)
        g_assert_true (memcmp (&a.data[i], &src.data[i], sizeof (float)) == 0);
    }
  g_test_message ("engine: %d samples got grain; largest difference across tilings %.2e",
                  added, worst);
  g_assert_cmpint (added, >, 1000);
  g_assert_cmpfloat (worst, <, 1e-4);
  g_free (off.data);
  g_free (a.data);
  g_free (b.data);
  g_free (c.data);
  g_free (d.data);
  g_free (src.data);
  g_free (m);
  g_free (bytes);
  restore_model_free (model);
}

/* A cancelled run stops with FALSE. */
static void
test_grain_cancel (void)
{
  float       *m = make_mask (FALSE);
  RestoreMask  mask = mask_of (m);
  RestoreImage img = make_filled (3, 6.0 / 255, 0.0, TRUE, m, 9, NULL);
  gint         cancel = 1;

  g_assert_false (restore_grain_apply (&img, &mask, 0, 0, -1, -1, 1.0,
                                       RESTORE_GRAIN_SEED, &cancel, NULL));
  g_free (img.data);
  g_free (m);
}

/* The setting: in the table after plug-in-restore's fixed arguments, on
 * by default, its range checked by the engine. */
static void
test_grain_param (void)
{
  const RestoreParamSpec *spec = &restore_params[RESTORE_PARAM_GRAIN];
  RestoreOptions          options;
  GError                 *error = NULL;

  g_assert_cmpint (RESTORE_PARAM_GRAIN, >=, RESTORE_PARAM_COUNT);
  g_assert_cmpstr (spec->name, ==, "grain");
  g_assert_cmpint (spec->offset, ==, G_STRUCT_OFFSET (RestoreOptions, grain));
  restore_options_init (&options);
  g_assert_cmpfloat (options.grain, ==, spec->def);
  g_assert_cmpfloat (spec->def, >, 0.0);
  g_assert_true (restore_param_check_double (RESTORE_PARAM_GRAIN, 0.0, NULL));
  g_assert_false (restore_param_check_double (RESTORE_PARAM_GRAIN, -0.1, &error));
  g_assert_cmpstr (error->message, ==, "grain must be between 0 and 2, got -0.1");
  g_clear_error (&error);
  g_assert_false (restore_param_check_double (RESTORE_PARAM_GRAIN, NAN, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/grain/matches", test_grain_matches);
  g_test_add_func ("/pipeline/grain/clean", test_grain_clean);
  g_test_add_func ("/pipeline/grain/outside", test_grain_outside);
  g_test_add_func ("/pipeline/grain/engine", test_grain_engine);
  g_test_add_func ("/pipeline/grain/cancel", test_grain_cancel);
  g_test_add_func ("/pipeline/grain/param", test_grain_param);
  return g_test_run ();
}
