/* gimp-restore tests: the U-Net forward pass.
 *
 * - parity with PyTorch on every tests/data/NAME-vector.grst whose model is
 *   found in tests/data/ or weights/ (fails when there is none);
 * - optimised against reference forward on random networks of every
 *   kind (plain/gated, each activation, residual or not);
 * - determinism, workspace growth, tile-size errors.
 */
#define _GNU_SOURCE  /* memmem */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-ops.h"
#include "restore-unet.h"
#include "grst-writer.h"

/* The threads and scratch of the forward passes below. */
static RestoreContext *ctx = NULL;

#define PARITY_TOLERANCE     1e-4
#define REFERENCE_FLOPS_MAX  1e9

static double
max_abs_error (const float *a,
               const float *b,
               gsize        n)
{
  double err = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - b[i]);

      if (isnan (d))
        return INFINITY;
      err = MAX (err, d);
    }
  return err;
}

/* The path of the model file named @name in tests/data or weights/, or NULL. */
static char *
find_model (const char *name)
{
  char *dirs[2];
  char *found = NULL;

  dirs[0] = g_test_build_filename (G_TEST_DIST, "data", NULL);
  dirs[1] = g_test_build_filename (G_TEST_DIST, "..", "weights", NULL);
  for (int d = 0; d < 2 && ! found; d++)
    {
      GDir       *dir = g_dir_open (dirs[d], 0, NULL);
      const char *entry;

      if (! dir)
        continue;
      while (! found && (entry = g_dir_read_name (dir)))
        {
          char        *path;
          RestoreFile *file;
          const char  *arch, *model_name;

          if (! g_str_has_suffix (entry, RESTORE_MODEL_SUFFIX))
            continue;
          path = g_build_filename (dirs[d], entry, NULL);
          file = restore_file_load (path, NULL);
          arch = file ? restore_file_get_string (file, "general.architecture") : NULL;
          model_name = file ? restore_file_get_string (file, "general.name") : NULL;
          if (arch && strcmp (arch, "unet") == 0 &&
              model_name && strcmp (model_name, name) == 0)
            found = g_strdup (path);
          restore_file_free (file);
          g_free (path);
        }
      g_dir_close (dir);
    }
  g_free (dirs[0]);
  g_free (dirs[1]);
  return found;
}

static void
check_vector (const char *vector_path,
              const char *model_path)
{
  GError              *error = NULL;
  RestoreFile         *vector = restore_file_load (vector_path, &error);
  RestoreModel        *model;
  const RestoreTensor *in, *out;
  int                  h, w;
  gsize                n_out;
  float               *y;
  double               err;

  g_assert_no_error (error);
  model = restore_model_load (model_path, &error);
  g_assert_no_error (error);

  in = restore_file_get_tensor (vector, "input");
  out = restore_file_get_tensor (vector, "output");
  g_assert_nonnull (in);
  g_assert_nonnull (out);
  g_assert_cmpint (in->n_dims, ==, 4);
  g_assert_cmpint (out->n_dims, ==, 4);
  g_assert_cmpuint (in->dims[0], ==, 1);
  /* 4 in, 3 out; a detector (restore.task "detect") 3 in, 1 out */
  g_assert_cmpuint (in->dims[1], ==, (guint) restore_model_get_in_channels (model));
  g_assert_cmpuint (out->dims[1], ==, (guint) restore_model_get_out_channels (model));
  h = (int) in->dims[2];
  w = (int) in->dims[3];
  g_assert_cmpuint (out->dims[2], ==, (guint) h);
  g_assert_cmpuint (out->dims[3], ==, (guint) w);
  n_out = (gsize) out->dims[1] * h * w;
  y = g_new (float, n_out);

  g_assert_true (restore_model_forward (model, ctx, in->data, y, w, h, &error));
  g_assert_no_error (error);
  err = max_abs_error (y, out->data, n_out);
  g_test_message ("%s: %dx%d, optimised max abs error %.3g",
                  restore_model_get_name (model), w, h, err);
  g_assert_cmpfloat (err, <=, PARITY_TOLERANCE);

  /* the plain loops are slow in a sanitizer build: big models check the
   * optimised path only (the tiny ones cover the reference) */
  if (restore_model_get_flops (model, w, h) > REFERENCE_FLOPS_MAX)
    {
      g_test_message ("%s: %.3g multiply-adds, reference forward not run",
                      restore_model_get_name (model),
                      restore_model_get_flops (model, w, h));
      goto done;
    }
  memset (y, 0, n_out * sizeof (float));
  g_assert_true (restore_model_forward_reference (model, ctx, in->data, y, w, h,
                                                  &error));
  g_assert_no_error (error);
  err = max_abs_error (y, out->data, n_out);
  g_test_message ("%s: reference max abs error %.3g",
                  restore_model_get_name (model), err);
  g_assert_cmpfloat (err, <=, PARITY_TOLERANCE);

done:
  g_free (y);
  restore_model_free (model);
  restore_file_free (vector);
}

static void
test_parity_pytorch (void)
{
  char       *data_dir = g_test_build_filename (G_TEST_DIST, "data", NULL);
  GDir       *dir = g_dir_open (data_dir, 0, NULL);
  const char *entry;
  int         checked = 0;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)))
    {
      char        *path, *model_path;
      RestoreFile *vector;
      GError      *error = NULL;
      const char  *arch, *name;

      if (! g_str_has_suffix (entry, "-vector" RESTORE_MODEL_SUFFIX))
        continue;
      path = g_build_filename (data_dir, entry, NULL);
      vector = restore_file_load (path, &error);
      g_assert_no_error (error);
      arch = restore_file_get_string (vector, "general.architecture");
      name = restore_file_get_string (vector, "vector.model");
      g_assert_cmpstr (arch, ==, "test-vector");
      g_assert_nonnull (name);
      model_path = find_model (name);
      if (model_path)
        {
          g_test_message ("vector %s -> model %s", entry, model_path);
          check_vector (path, model_path);
          checked++;
        }
      else
        {
          g_test_message ("vector %s: model '%s' not present, not checked",
                          entry, name);
        }
      g_free (model_path);
      restore_file_free (vector);
      g_free (path);
    }
  g_dir_close (dir);
  g_free (data_dir);
  if (checked == 0)
    g_error ("no test vector with its model found in tests/data");
}

/* --- random networks --------------------------------------------------- */

typedef struct
{
  const char *path;
  gboolean    gated;
  gboolean    residual;
  const char *activation;
  int         n_channels;
  guint32     channels[4];
  int         n_dilations;
  guint32     dilations[3];
  int         width, height;
} NetCase;

static const NetCase net_cases[] =
{
  { "/core/unet/random/plain-relu", FALSE, TRUE, "relu", 3, { 4, 6, 8 }, 1, { 2 }, 16, 12 },
  { "/core/unet/random/plain-leaky", FALSE, FALSE, "leaky_relu", 2, { 5, 7 }, 0, { 0 }, 10, 6 },
  { "/core/unet/random/gated-elu", TRUE, TRUE, "elu", 3, { 3, 5, 9 }, 3, { 1, 2, 4 }, 12, 20 },
  { "/core/unet/random/gated-leaky-deep", TRUE, TRUE, "leaky_relu", 4, { 4, 4, 6, 8 }, 2, { 2, 4 }, 24, 16 },
};

static RestoreModel *
net_load (const NetCase *c)
{
  UnetSpec      spec = { 0 };
  gsize         size;
  guint8       *data;
  GError       *error = NULL;
  RestoreModel *model;

  spec.gated = c->gated;
  spec.residual = c->residual;
  spec.activation = c->activation;
  spec.n_channels = c->n_channels;
  memcpy (spec.channels, c->channels, sizeof c->channels);
  spec.n_dilations = c->n_dilations;
  memcpy (spec.dilations, c->dilations, sizeof c->dilations);
  spec.seed = 42;
  data = unet_write (&spec, &size);
  model = restore_model_load_from_data (data, size, &error);
  g_assert_no_error (error);
  g_free (data);
  return model;
}

static float *
random_input (int w,
              int h,
              guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gsize  plane = (gsize) w * h;
  float *x = g_new (float, 4 * plane);

  for (gsize i = 0; i < 3 * plane; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  for (gsize i = 0; i < plane; i++)
    x[3 * plane + i] = g_rand_double (rand) < 0.2 ? 1.0f : 0.0f;
  g_rand_free (rand);
  return x;
}

static void
test_random_net (gconstpointer data)
{
  const NetCase *c = data;
  RestoreModel  *model = net_load (c);
  GError        *error = NULL;
  gsize          n = (gsize) 3 * c->width * c->height;
  float         *x = random_input (c->width, c->height, 3);
  float         *fast = g_new (float, n);
  float         *ref = g_new (float, n);
  double         err, mag = 0.0;

  g_assert_true (restore_model_forward (model, ctx, x, fast, c->width, c->height,
                                        &error));
  g_assert_no_error (error);
  g_assert_true (restore_model_forward_reference (model, ctx, x, ref, c->width,
                                                  c->height, &error));
  g_assert_no_error (error);
  err = max_abs_error (fast, ref, n);
  for (gsize i = 0; i < n; i++)
    mag = MAX (mag, fabs (ref[i]));
  g_test_message ("max abs error %.3g, max |y| %.3g", err, mag);
  g_assert_cmpfloat (mag, >, 0.0);
  g_assert_cmpfloat (err, <=, 1e-5 * MAX (mag, 1.0));

  g_free (x);
  g_free (fast);
  g_free (ref);
  restore_model_free (model);
}

/* Same input twice, then a larger and a smaller tile: identical bits and
 * a workspace that grows. */
static void
test_determinism_and_growth (void)
{
  RestoreModel *model = net_load (&net_cases[2]);
  GError       *error = NULL;
  float        *x_small = random_input (8, 8, 11);
  float        *x_big = random_input (32, 28, 12);
  float         a[3 * 64], b[3 * 64];
  float        *big = g_new (float, 3 * 32 * 28);

  g_assert_true (restore_model_forward (model, ctx, x_small, a, 8, 8, &error));
  g_assert_true (restore_model_forward (model, ctx, x_big, big, 32, 28, &error));
  g_assert_true (restore_model_forward (model, ctx, x_small, b, 8, 8, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  g_free (x_small);
  g_free (x_big);
  g_free (big);
  restore_model_free (model);
}

static void
test_bad_tile_size (void)
{
  RestoreModel *model = net_load (&net_cases[0]);  /* depth 2 */
  GError       *error = NULL;
  float         x[4 * 6 * 8] = { 0 }, y[3 * 6 * 8];

  g_assert_false (restore_model_forward (model, ctx, x, y, 8, 6, &error));
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "multiple of 4"));
  g_clear_error (&error);
  g_assert_false (restore_model_forward (model, ctx, x, y, 0, 4, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  restore_model_free (model);
}

/* The residual path: zero every weight of out.conv and the output is the
 * input RGB plus the bias. */
static void
test_residual_identity (void)
{
  UnetSpec      spec = unet_spec_small ();
  gsize         size;
  guint8       *data = unet_write (&spec, &size);
  GError       *error = NULL;
  RestoreFile  *file = restore_file_load_from_data (data, size, &error);
  const RestoreTensor *t, *bias;
  RestoreModel *model;
  float        *x = random_input (8, 8, 5);
  float         y[3 * 64];

  g_assert_no_error (error);
  /* find out.conv.weight in the raw file and zero it */
  t = restore_file_get_tensor (file, "out.conv.weight");
  bias = restore_file_get_tensor (file, "out.conv.bias");
  g_assert_nonnull (t);
  {
    guint8 *p = memmem (data, size, t->data, t->n_elements * sizeof (float));
    float   b[3];

    g_assert_nonnull (p);
    memcpy (b, bias->data, sizeof b);
    memset (p, 0, t->n_elements * sizeof (float));
    writer_fix_checksum (data, size);
    model = restore_model_load_from_data (data, size, &error);
    g_assert_no_error (error);
    g_assert_true (restore_model_forward (model, ctx, x, y, 8, 8, &error));
    for (int c = 0; c < 3; c++)
      for (int i = 0; i < 64; i++)
        g_assert_cmpfloat_with_epsilon (y[c * 64 + i], x[c * 64 + i] + b[c],
                                        1e-6);
  }
  restore_model_free (model);
  restore_file_free (file);
  g_free (x);
  g_free (data);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ctx = restore_context_new (1);

  g_test_add_func ("/core/unet/parity-pytorch", test_parity_pytorch);
  for (gsize i = 0; i < G_N_ELEMENTS (net_cases); i++)
    g_test_add_data_func (net_cases[i].path, &net_cases[i], test_random_net);
  g_test_add_func ("/core/unet/determinism-and-growth",
                   test_determinism_and_growth);
  g_test_add_func ("/core/unet/bad-tile-size", test_bad_tile_size);
  g_test_add_func ("/core/unet/residual-identity", test_residual_identity);
  {
    int status = g_test_run ();

    restore_context_free (ctx);
    return status;
  }
}
