/* Tests of the parameter table (core/restore-params.c). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-params.h"

static void
test_params_table (void)
{
  int i;

  g_assert_cmpstr (restore_params[RESTORE_PARAM_MODEL].name, ==, "model");
  g_assert_cmpstr (restore_params[RESTORE_PARAM_DENOISE].name, ==, "denoise");
  g_assert_cmpstr (restore_params[RESTORE_PARAM_SHARPEN].name, ==, "sharpen");
  g_assert_cmpint (restore_params[RESTORE_PARAM_MODEL].type, ==, RESTORE_PARAM_TYPE_STRING);
  for (i = 0; i < RESTORE_PARAM_COUNT; i++)
    {
      const RestoreParamSpec *p = &restore_params[i];

      g_assert_nonnull (p->label);
      g_assert_nonnull (p->blurb);
      g_assert_nonnull (strchr (p->label, '_'));   /* a mnemonic */
      if (p->type == RESTORE_PARAM_TYPE_DOUBLE)
        {
          g_assert_cmpfloat (p->min, <, p->max);
          g_assert_cmpfloat (p->def, >=, p->min);
          g_assert_cmpfloat (p->def, <=, p->max);
          g_assert_cmpfloat (p->step, >, 0.0);
          g_assert_cmpint (p->digits, >=, 1);
        }
    }
  g_assert_cmpfloat (restore_params[RESTORE_PARAM_DENOISE].min, ==, 0.0);
  g_assert_cmpfloat (restore_params[RESTORE_PARAM_DENOISE].max, ==, 1.0);
}

static void
test_params_check (void)
{
  GError *error = NULL;

  g_assert_true (restore_param_check_double (RESTORE_PARAM_DENOISE, 0.0, &error));
  g_assert_true (restore_param_check_double (RESTORE_PARAM_DENOISE, 1.0, &error));
  g_assert_true (restore_param_check_double (RESTORE_PARAM_SHARPEN, 0.5, NULL));
  g_assert_no_error (error);

  g_assert_false (restore_param_check_double (RESTORE_PARAM_DENOISE, 1.5, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "denoise must be between 0 and 1, got 1.5");
  g_clear_error (&error);

  g_assert_false (restore_param_check_double (RESTORE_PARAM_SHARPEN, -0.01, &error));
  g_assert_cmpstr (error->message, ==, "sharpen must be between 0 and 1, got -0.01");
  g_clear_error (&error);

  g_assert_false (restore_param_check_double (RESTORE_PARAM_SHARPEN, NAN, &error));
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_params_options (void)
{
  RestoreOptions options;

  memset (&options, 0x5a, sizeof options);
  restore_options_init (&options);
  g_assert_cmpfloat (options.denoise, ==, restore_params[RESTORE_PARAM_DENOISE].def);
  g_assert_cmpfloat (options.sharpen, ==, restore_params[RESTORE_PARAM_SHARPEN].def);
  g_assert_cmpint (options.n_threads, ==, 0);
  g_assert_cmpint (options.tile_size, ==, 0);
  g_assert_cmpint (options.flips, ==, 0);
  g_assert_null (options.progress);
  g_assert_null (options.progress_data);
  g_assert_null (options.cancel);
}

/* restore_params_copy: every table field from the source, nothing else. */
static void
test_params_copy (void)
{
  RestoreOptions a, b;

  restore_options_init (&a);
  restore_options_init (&b);
  a.denoise = 0.25;
  a.sharpen = 0.5;
  a.grain = 1.75;
  a.texture = 0.125;
  a.n_threads = 3;
  b.n_threads = 5;
  restore_params_copy (restore_params, RESTORE_PARAM_TABLE_COUNT, &b, &a);
  for (int i = 0; i < RESTORE_PARAM_TABLE_COUNT; i++)
    if (restore_params[i].offset >= 0)
      g_assert_cmpfloat (restore_param_get (&restore_params[i], &b), ==,
                         restore_param_get (&restore_params[i], &a));
  g_assert_cmpfloat (b.texture, ==, 0.125);
  g_assert_cmpint (b.n_threads, ==, 5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/params/table", test_params_table);
  g_test_add_func ("/pipeline/params/check", test_params_check);
  g_test_add_func ("/pipeline/params/options", test_params_options);
  g_test_add_func ("/pipeline/params/copy", test_params_copy);
  return g_test_run ();
}
