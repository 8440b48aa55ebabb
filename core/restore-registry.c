/* gimp-restore: installed models by name (see restore-registry.h). */
#include "config.h"

#include <string.h>

#include "restore-engine.h"
#include "restore-registry.h"

struct _RestoreRegistry
{
  GPtrArray *models;   /* RestoreModelInfo *, sorted */
  GPtrArray *detectors; /* RestoreModelInfo *, restore.task "detect", by name */
  GPtrArray *broken;   /* char * paths of files that failed to load */
  char      *searched; /* the folders, for messages */
};

static void
model_info_free (gpointer data)
{
  RestoreModelInfo *info = data;

  g_free (info->name);
  g_free (info->description);
  g_free (info->path);
  g_free (info);
}

static gint
model_info_compare (gconstpointer a,
                    gconstpointer b)
{
  const RestoreModelInfo *ia = *(const RestoreModelInfo *const *) a;
  const RestoreModelInfo *ib = *(const RestoreModelInfo *const *) b;
  gboolean                ga = !(ia->max_radius > 0.0), gb = !(ib->max_radius > 0.0);

  if (ga != gb)
    return ga ? 1 : -1;
  if (!ga && ia->max_radius != ib->max_radius)
    return ia->max_radius < ib->max_radius ? -1 : 1;
  return strcmp (ia->name, ib->name);
}

static RestoreModelInfo *
info_find (GPtrArray  *list,
           const char *name)
{
  guint i;

  for (i = 0; i < list->len; i++)
    {
      RestoreModelInfo *info = g_ptr_array_index (list, i);

      if (strcmp (info->name, name) == 0)
        return info;
    }
  return NULL;
}

static RestoreModelInfo *
registry_find (const RestoreRegistry *registry,
               const char            *name)
{
  return info_find (registry->models, name);
}

static gint
detector_info_compare (gconstpointer a,
                       gconstpointer b)
{
  return strcmp ((*(const RestoreModelInfo *const *) a)->name,
                 (*(const RestoreModelInfo *const *) b)->name);
}

/* Reads a model file's metadata; NULL when it is unreadable, corrupt or
 * not a "unet" model (test vectors live in the same container).  Sets
 * *@detector when restore.task is "detect". */
static RestoreModelInfo *
model_info_read (const char *path,
                 gboolean   *detector)
{
  RestoreFile      *file = restore_file_load (path, NULL);
  RestoreModelInfo *info = NULL;
  const char       *arch, *name, *desc, *task;
  float             radius = 0.0f;

  *detector = FALSE;
  if (file == NULL)
    return NULL;
  task = restore_file_get_string (file, "restore.task");
  *detector = task != NULL && strcmp (task, "detect") == 0;
  arch = restore_file_get_string (file, "general.architecture");
  name = restore_file_get_string (file, "general.name");
  desc = restore_file_get_string (file, "general.description");
  if (arch != NULL && strcmp (arch, "unet") == 0 && name != NULL && name[0] != '\0')
    {
      info = g_new0 (RestoreModelInfo, 1);
      info->name = g_strdup (name);
      info->description = g_strdup (desc != NULL ? desc : "");
      info->path = g_strdup (path);
      if (restore_file_get_f32 (file, "restore.max_radius", &radius) && radius > 0.0f)
        info->max_radius = radius;
    }
  restore_file_free (file);
  return info;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
registry_scan (RestoreRegistry *registry,
               const char      *dir)
{
  GDir       *gdir = g_dir_open (dir, 0, NULL);
  GPtrArray  *names;
  const char *entry;
  guint       i;

  if (gdir == NULL)
    return;
  /* Sorted, so which of two files with the same model name wins does not
   * depend on the file system's order. */
  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (gdir)) != NULL)
    if (g_str_has_suffix (entry, RESTORE_MODEL_SUFFIX))
      g_ptr_array_add (names, g_strdup (entry));
  g_dir_close (gdir);
  g_ptr_array_sort (names, compare_strings);

  for (i = 0; i < names->len; i++)
    {
      char             *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      gboolean          detector;
      RestoreModelInfo *info = model_info_read (path, &detector);

      if (info == NULL)
        g_ptr_array_add (registry->broken, path);
      else if (detector)
        {
          /* Detectors are found separately, never offered for restoring. */
          if (info_find (registry->detectors, info->name) != NULL)
            model_info_free (info);
          else
            g_ptr_array_add (registry->detectors, info);
          g_free (path);
        }
      else if (registry_find (registry, info->name) != NULL)
        {
          model_info_free (info);
          g_free (path);
        }
      else
        {
          g_ptr_array_add (registry->models, info);
          g_free (path);
        }
    }
  g_ptr_array_unref (names);
}

/**
 * restore_registry_new:
 * See restore-registry.h.  Free with restore_registry_free().
 */
RestoreRegistry *
restore_registry_new (const char *const *dirs)
{
  RestoreRegistry *registry = g_new0 (RestoreRegistry, 1);
  GString         *searched = g_string_new (NULL);

  registry->models = g_ptr_array_new_with_free_func (model_info_free);
  registry->broken = g_ptr_array_new_with_free_func (g_free);
  registry->detectors = g_ptr_array_new_with_free_func (model_info_free);

  for (int i = 0; dirs != NULL && dirs[i] != NULL; i++)
    {
      registry_scan (registry, dirs[i]);
      g_string_append_printf (searched, "%s%s", searched->len ? ", " : "", dirs[i]);
    }

  g_ptr_array_sort (registry->models, model_info_compare);
  g_ptr_array_sort (registry->detectors, detector_info_compare);
  registry->searched = g_string_free (searched, FALSE);
  return registry;
}

/**
 * restore_registry_free:
 * @registry: (nullable): a registry from restore_registry_new()
 */
void
restore_registry_free (RestoreRegistry *registry)
{
  if (registry == NULL)
    return;
  g_ptr_array_unref (registry->models);
  g_ptr_array_unref (registry->broken);
  g_ptr_array_unref (registry->detectors);
  g_free (registry->searched);
  g_free (registry);
}

/**
 * restore_registry_count:
 * Returns the number of installed (readable) models.
 */
int
restore_registry_count (const RestoreRegistry *registry)
{
  g_return_val_if_fail (registry != NULL, 0);
  return (int) registry->models->len;
}

/**
 * restore_registry_get:
 * @index: 0 .. restore_registry_count () - 1
 * Returns the model at @index, owned by the registry.  Models are sorted
 * by max_radius (smallest first), general models last, then by name.
 */
const RestoreModelInfo *
restore_registry_get (const RestoreRegistry *registry,
                      int                    index)
{
  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (index >= 0 && (guint) index < registry->models->len, NULL);
  return g_ptr_array_index (registry->models, index);
}

/**
 * restore_registry_lookup:
 * Returns the model called @name, owned by the registry, or NULL.
 */
const RestoreModelInfo *
restore_registry_lookup (const RestoreRegistry *registry,
                         const char            *name)
{
  g_return_val_if_fail (registry != NULL, NULL);
  if (name == NULL)
    return NULL;
  return registry_find (registry, name);
}

static char *
registry_names (const RestoreRegistry *registry)
{
  GString *s = g_string_new (NULL);
  guint    i;

  for (i = 0; i < registry->models->len; i++)
    {
      const RestoreModelInfo *info = g_ptr_array_index (registry->models, i);

      g_string_append_printf (s, "%s%s", i ? ", " : "", info->name);
    }
  return g_string_free (s, FALSE);
}

static gboolean
registry_load_one (const char     *path,
                   GPtrArray      *out,
                   GError        **error)
{
  RestoreModel *model = restore_model_load (path, error);

  if (model == NULL)
    return FALSE;
  if (restore_model_get_task (model) != RESTORE_MODEL_TASK_INPAINT)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                   "'%s' is a damage detector, not a restoration model", path);
      restore_model_free (model);
      return FALSE;
    }
  g_ptr_array_add (out, model);
  return TRUE;
}

static gboolean
name_is_path (const char *name)
{
  return strchr (name, G_DIR_SEPARATOR) != NULL || strchr (name, '/') != NULL
         || g_str_has_suffix (name, RESTORE_MODEL_SUFFIX);
}

/**
 * restore_registry_load:
 * See restore-registry.h.  Automatic ("" or NULL) loads every model with
 * max_radius plus the first general one; a registry with one model loads
 * that one.
 */
int
restore_registry_load (const RestoreRegistry *registry,
                       const char            *name,
                       RestoreModel        ***models,
                       GError               **error)
{
  GPtrArray *out;
  gboolean   ok = TRUE;
  guint      i;
  int        n;

  g_return_val_if_fail (registry != NULL, 0);
  g_return_val_if_fail (models != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  *models = NULL;
  out = g_ptr_array_new ();

  if (name == NULL || name[0] == '\0')
    {
      gboolean general = FALSE;

      if (registry->models->len == 0)
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                       "no models installed (searched: %s)",
                       registry->searched[0] ? registry->searched : "no folders");
          ok = FALSE;
        }
      for (i = 0; ok && i < registry->models->len; i++)
        {
          const RestoreModelInfo *info = g_ptr_array_index (registry->models, i);

          if (info->max_radius > 0.0 || !general)
            {
              general |= !(info->max_radius > 0.0);
              ok = registry_load_one (info->path, out, error);
            }
        }
    }
  else
    {
      const RestoreModelInfo *info = registry_find (registry, name);

      if (info != NULL)
        ok = registry_load_one (info->path, out, error);
      else if (info_find (registry->detectors, name) != NULL)
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                       "'%s' is a damage detector, not a restoration model", name);
          ok = FALSE;
        }
      else if (name_is_path (name) && g_file_test (name, G_FILE_TEST_EXISTS))
        ok = registry_load_one (name, out, error);
      else
        {
          char *broken = NULL;

          /* A file called NAME.grst that could not be read: say why. */
          for (i = 0; i < registry->broken->len && broken == NULL; i++)
            {
              const char *path = g_ptr_array_index (registry->broken, i);
              char       *base = g_path_get_basename (path);

              if (g_str_has_suffix (base, RESTORE_MODEL_SUFFIX))
                base[strlen (base) - strlen (RESTORE_MODEL_SUFFIX)] = '\0';
              if (strcmp (base, name) == 0)
                broken = g_strdup (path);
              g_free (base);
            }
          if (broken != NULL)
            {
              ok = registry_load_one (broken, out, error);
              if (ok)
                {
                  /* Readable after all, but not a restoration model. */
                  restore_model_free (g_ptr_array_index (out, 0));
                  g_ptr_array_set_size (out, 0);
                  g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                               "'%s' is not a restoration model", broken);
                  ok = FALSE;
                }
              g_free (broken);
            }
          else if (name_is_path (name))
            {
              g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                           "model file '%s' does not exist", name);
              ok = FALSE;
            }
          else
            {
              char *names = registry_names (registry);

              g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                           "unknown model '%s'; installed models: %s", name,
                           names[0] ? names : "none");
              g_free (names);
              ok = FALSE;
            }
        }
    }

  if (!ok)
    {
      for (i = 0; i < out->len; i++)
        restore_model_free (g_ptr_array_index (out, i));
      g_ptr_array_unref (out);
      return 0;
    }
  n = (int) out->len;
  *models = (RestoreModel **) g_ptr_array_free (out, FALSE);
  return n;
}

/**
 * restore_registry_count_detectors:
 * Returns the number of installed damage detectors.
 */
int
restore_registry_count_detectors (const RestoreRegistry *registry)
{
  g_return_val_if_fail (registry != NULL, 0);
  return (int) registry->detectors->len;
}

/**
 * restore_registry_get_detector:
 * @index: 0 .. restore_registry_count_detectors () - 1
 * Returns the detector at @index (sorted by name), owned by the registry.
 */
const RestoreModelInfo *
restore_registry_get_detector (const RestoreRegistry *registry,
                               int                    index)
{
  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (index >= 0 && (guint) index < registry->detectors->len, NULL);
  return g_ptr_array_index (registry->detectors, index);
}

/**
 * restore_registry_load_detector:
 * See restore-registry.h.
 */
RestoreModel *
restore_registry_load_detector (const RestoreRegistry *registry,
                                const char            *name,
                                GError               **error)
{
  const RestoreModelInfo *info = NULL;
  const char             *path = NULL;
  RestoreModel           *model;

  g_return_val_if_fail (registry != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (name == NULL || name[0] == '\0')
    {
      if (registry->detectors->len == 0)
        {
          g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                       "no damage detector installed (searched: %s)",
                       registry->searched[0] ? registry->searched : "no folders");
          return NULL;
        }
      info = g_ptr_array_index (registry->detectors, 0);
    }
  else
    info = info_find (registry->detectors, name);

  if (info != NULL)
    path = info->path;
  else if (name_is_path (name) && g_file_test (name, G_FILE_TEST_EXISTS))
    path = name;
  else if (registry_find (registry, name) != NULL)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                   "'%s' is a restoration model, not a damage detector", name);
      return NULL;
    }
  else if (name_is_path (name))
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                   "detector file '%s' does not exist", name);
      return NULL;
    }
  else
    {
      GString *names = g_string_new (NULL);

      for (guint i = 0; i < registry->detectors->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                ((RestoreModelInfo *) g_ptr_array_index (registry->detectors, i))->name);
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                   "unknown damage detector '%s'; installed detectors: %s", name,
                   names->len ? names->str : "none");
      g_string_free (names, TRUE);
      return NULL;
    }

  model = restore_model_load (path, error);
  if (model != NULL && restore_model_get_task (model) != RESTORE_MODEL_TASK_DETECT)
    {
      g_set_error (error, RESTORE_ERROR, RESTORE_ERROR_NO_MODEL,
                   "'%s' is a restoration model, not a damage detector", path);
      restore_model_free (model);
      return NULL;
    }
  return model;
}

/**
 * restore_registry_default_dirs:
 * See restore-registry.h.  The source tree's weights/ folder is added
 * when @exe_dir lies inside this build's folder (an uninstalled run).
 * Returns a new NULL-terminated array; free with g_strfreev().
 */
char **
restore_registry_default_dirs (const char *exe_dir,
                               const char *search_path)
{
  GPtrArray *dirs = g_ptr_array_new ();
  /* config.h names the build's po/ folder; its parent is the build root. */
  char      *build_root = g_path_get_dirname (RESTORE_SOURCE_PO_BUILD_DIR);

  if (search_path != NULL)
    {
      char **parts = g_strsplit (search_path, G_SEARCHPATH_SEPARATOR_S, -1);

      for (int i = 0; parts[i] != NULL; i++)
        if (parts[i][0] != '\0')
          g_ptr_array_add (dirs, g_strdup (parts[i]));
      g_strfreev (parts);
    }

  if (exe_dir != NULL)
    {
      char *canon = g_canonicalize_filename (exe_dir, NULL);
      char *root = g_canonicalize_filename (build_root, NULL);

      g_ptr_array_add (dirs, g_build_filename (canon, "models", NULL));
      g_ptr_array_add (dirs, g_build_filename (canon, "..", "share", "gimp-restore",
                                               "models", NULL));
      if (g_str_equal (canon, root)
          || (g_str_has_prefix (canon, root) && canon[strlen (root)] == G_DIR_SEPARATOR))
        g_ptr_array_add (dirs, g_strdup (RESTORE_SOURCE_MODELS_DIR));
      g_free (canon);
      g_free (root);
    }
  else
    g_ptr_array_add (dirs, g_strdup (RESTORE_SOURCE_MODELS_DIR));
  g_free (build_root);
  g_ptr_array_add (dirs, NULL);
  return (char **) g_ptr_array_free (dirs, FALSE);
}
