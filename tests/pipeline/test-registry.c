/* Tests of the model registry (core/restore-registry.c) over temporary
 * folders of toy model files (toy-model.h). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "restore-engine.h"
#include "restore-registry.h"
#include "toy-model.h"

static void
write_model (const char *dir, const char *file, const char *name, double max_radius)
{
  gsize   size;
  guint8 *bytes = toy_model_bytes (name, max_radius, 0.5f, 8, &size);
  char   *path = g_build_filename (dir, file, NULL);
  GError *error = NULL;

  g_assert_true (g_file_set_contents (path, (const char *) bytes, size, &error));
  g_assert_no_error (error);
  g_free (path);
  g_free (bytes);
}

static void
write_text (const char *dir, const char *file, const char *text)
{
  char *path = g_build_filename (dir, file, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_free (path);
}

static void
remove_dir (const char *dir)
{
  GDir       *d = g_dir_open (dir, 0, NULL);
  const char *entry;

  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    {
      char *path = g_build_filename (dir, entry, NULL);

      g_remove (path);
      g_free (path);
    }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
free_models (RestoreModel **models, int n)
{
  int i;

  for (i = 0; i < n; i++)
    restore_model_free (models[i]);
  g_free (models);
}

static void
test_registry_scan (void)
{
  char            *a = g_dir_make_tmp ("restore-reg-a-XXXXXX", NULL);
  char            *b = g_dir_make_tmp ("restore-reg-b-XXXXXX", NULL);
  const char      *dirs[] = { a, b, "/nonexistent/folder", NULL };
  RestoreRegistry *registry;
  RestoreModel   **models;
  GError          *error = NULL;
  int              n;

  write_model (a, "general.grst", "general", 0.0);
  write_model (a, "scratch.grst", "scratch", 3.0);
  write_model (a, "dust.grst", "dust", 1.5);
  write_model (b, "scratch2.grst", "scratch", 6.0);   /* same name: the first wins */
  write_model (b, "aaa.grst", "another", 0.0);
  write_text (b, "broken.grst", "GRST but not really");
  write_text (b, "notes.txt", "not a model");

  registry = restore_registry_new (dirs);
  g_assert_cmpint (restore_registry_count (registry), ==, 4);
  /* Smallest max_radius first, general models last by name. */
  g_assert_cmpstr (restore_registry_get (registry, 0)->name, ==, "dust");
  g_assert_cmpstr (restore_registry_get (registry, 1)->name, ==, "scratch");
  g_assert_cmpfloat (restore_registry_get (registry, 1)->max_radius, ==, 3.0);
  g_assert_cmpstr (restore_registry_get (registry, 2)->name, ==, "another");
  g_assert_cmpstr (restore_registry_get (registry, 3)->name, ==, "general");
  g_assert_cmpstr (restore_registry_get (registry, 0)->description, ==,
                   "toy model for the pipeline tests");
  g_assert_true (g_str_has_prefix (restore_registry_lookup (registry, "scratch")->path, a));
  g_assert_null (restore_registry_lookup (registry, "broken"));

  /* By name. */
  n = restore_registry_load (registry, "general", &models, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpstr (restore_model_get_name (models[0]), ==, "general");
  free_models (models, n);

  /* Automatic: every model with max_radius plus the first general one. */
  n = restore_registry_load (registry, "", &models, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 3);
  g_assert_cmpstr (restore_model_get_name (models[0]), ==, "dust");
  g_assert_cmpstr (restore_model_get_name (models[1]), ==, "scratch");
  g_assert_cmpstr (restore_model_get_name (models[2]), ==, "another");
  free_models (models, n);
  n = restore_registry_load (registry, NULL, &models, &error);
  g_assert_cmpint (n, ==, 3);
  free_models (models, n);

  /* By path. */
  {
    char *path = g_build_filename (b, "scratch2.grst", NULL);

    n = restore_registry_load (registry, path, &models, &error);
    g_assert_no_error (error);
    g_assert_cmpint (n, ==, 1);
    g_assert_cmpfloat (restore_model_get_max_radius (models[0]), ==, 6.0);
    free_models (models, n);
    g_free (path);
  }

  /* Unknown names and missing files. */
  n = restore_registry_load (registry, "foo", &models, &error);
  g_assert_cmpint (n, ==, 0);
  g_assert_null (models);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_assert_cmpstr (error->message, ==,
                   "unknown model 'foo'; installed models: dust, scratch, another, general");
  g_clear_error (&error);
  n = restore_registry_load (registry, "/nonexistent/x.grst", &models, &error);
  g_assert_cmpint (n, ==, 0);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_clear_error (&error);

  /* The corrupt file is reported when asked for by name. */
  n = restore_registry_load (registry, "broken", &models, &error);
  g_assert_cmpint (n, ==, 0);
  g_assert_error (error, RESTORE_MODEL_ERROR, RESTORE_MODEL_ERROR_FORMAT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  restore_registry_free (registry);

  /* A search path's folders (restore_registry_default_dirs) come first. */
  {
    char           **b_first = restore_registry_default_dirs ("/nonexistent/bin", b);
    GPtrArray       *list = g_ptr_array_new ();

    g_ptr_array_add (list, b_first[0]);
    g_ptr_array_add (list, a);
    g_ptr_array_add (list, NULL);
    registry = restore_registry_new ((const char *const *) list->pdata);
    g_assert_cmpfloat (restore_registry_lookup (registry, "scratch")->max_radius, ==, 6.0);
    g_assert_cmpint (restore_registry_count (registry), ==, 4);
    restore_registry_free (registry);
    g_ptr_array_free (list, TRUE);
    g_strfreev (b_first);
  }

  remove_dir (a);
  remove_dir (b);
  g_free (a);
  g_free (b);
}

static void
test_registry_empty_and_single (void)
{
  char            *a = g_dir_make_tmp ("restore-reg-c-XXXXXX", NULL);
  const char      *dirs[] = { a, NULL };
  RestoreRegistry *registry;
  RestoreModel   **models;
  GError          *error = NULL;
  int              n;

  registry = restore_registry_new (dirs);
  g_assert_cmpint (restore_registry_count (registry), ==, 0);
  n = restore_registry_load (registry, "", &models, &error);
  g_assert_cmpint (n, ==, 0);
  g_assert_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  n = restore_registry_load (registry, "foo", &models, &error);
  g_assert_cmpstr (error->message, ==, "unknown model 'foo'; installed models: none");
  g_clear_error (&error);
  restore_registry_free (registry);

  /* Only a scratch model installed: automatic uses it. */
  write_model (a, "s.grst", "scratch", 2.0);
  registry = restore_registry_new (dirs);
  n = restore_registry_load (registry, "", &models, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 1);
  free_models (models, n);
  restore_registry_free (registry);

  /* NULL dirs: nothing. */
  registry = restore_registry_new (NULL);
  g_assert_cmpint (restore_registry_count (registry), ==, 0);
  restore_registry_free (registry);

  remove_dir (a);
  g_free (a);
}

static void
test_registry_default_dirs (void)
{
  char **dirs = restore_registry_default_dirs ("/opt/thing/bin", NULL);
  char  *here = g_strdup (g_test_get_dir (G_TEST_BUILT));
  char  *expect;

  g_assert_cmpint (g_strv_length (dirs), ==, 2);
  g_assert_cmpstr (dirs[0], ==, "/opt/thing/bin/models");
  expect = g_build_filename ("/opt/thing/bin", "..", "share", "gimp-restore", "models", NULL);
  g_assert_cmpstr (dirs[1], ==, expect);
  g_strfreev (dirs);

  /* A search path comes first, its empty entries skipped. */
  dirs = restore_registry_default_dirs ("/opt/thing/bin", ":/x/a::/x/b:");
  g_assert_cmpint (g_strv_length (dirs), ==, 4);
  g_assert_cmpstr (dirs[0], ==, "/x/a");
  g_assert_cmpstr (dirs[1], ==, "/x/b");
  g_assert_cmpstr (dirs[2], ==, "/opt/thing/bin/models");
  g_assert_cmpstr (dirs[3], ==, expect);
  g_free (expect);
  g_strfreev (dirs);

  /* Run from the build folder (as this test is): the source weights/ too. */
  dirs = restore_registry_default_dirs (here, "");
  g_assert_cmpint (g_strv_length (dirs), ==, 3);
  g_assert_cmpstr (dirs[2], ==, RESTORE_SOURCE_MODELS_DIR);
  g_strfreev (dirs);
  g_free (here);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pipeline/registry/scan", test_registry_scan);
  g_test_add_func ("/pipeline/registry/empty-and-single", test_registry_empty_and_single);
  g_test_add_func ("/pipeline/registry/default-dirs", test_registry_default_dirs);
  return g_test_run ();
}
