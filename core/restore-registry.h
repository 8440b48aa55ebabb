/* gimp-restore: finding installed models by name.
 *
 * A registry lists the *.grst files of a search path (reading only their
 * metadata), resolves the names users type (--model NAME, the PDB's model
 * string, the dialog's list) and loads models on demand.  The empty name
 * means "automatic": every model that declares restore.max_radius plus
 * the general one, chosen per damaged region by restore_run().
 *
 * Damage detectors (restore.task "detect", restore-detect.h) live in the
 * same folders but are kept out of that list: restore_registry_count(),
 * _get(), _lookup() and _load() never return one (loading one by name or
 * path for restoring fails with RESTORE_ERROR_NO_MODEL); they are found
 * with the _detector functions.
 */
#pragma once

#include <glib.h>
#include "restore-unet.h"

G_BEGIN_DECLS

#define RESTORE_MODEL_PATH_ENV "GIMP_RESTORE_MODEL_PATH"

typedef struct _RestoreRegistry RestoreRegistry;

typedef struct
{
  char  *name;         /* general.name */
  char  *description;  /* general.description */
  char  *path;         /* the file */
  double max_radius;   /* restore.max_radius, 0 if unset */
} RestoreModelInfo;

/**
 * restore_registry_new:
 * @dirs: NULL-terminated folders to search, in order (for a program,
 *        restore_registry_default_dirs()).  A name found twice keeps its
 *        first file.
 * Unreadable or corrupt files are left out of the list (they are reported
 * when asked for by name).  Never fails; the list may be empty.
 */
RestoreRegistry        *restore_registry_new      (const char *const *dirs);
void                    restore_registry_free     (RestoreRegistry   *registry);
int                     restore_registry_count    (const RestoreRegistry *registry);
/* Sorted: smallest max_radius first, general models last, then by name. */
const RestoreModelInfo *restore_registry_get      (const RestoreRegistry *registry,
                                                   int                    index);
const RestoreModelInfo *restore_registry_lookup   (const RestoreRegistry *registry,
                                                   const char            *name);

/**
 * restore_registry_load:
 * @name: a model name, a path to a .grst file, or "" / NULL for automatic
 * @models: (out): new array of loaded models; free each with
 *                 restore_model_free() and the array with g_free()
 * Returns the number of models (>= 1), or 0 with @error set
 * (RESTORE_ERROR_NO_MODEL for an unknown name, RESTORE_MODEL_ERROR for a
 * corrupt file).
 */
int                     restore_registry_load     (const RestoreRegistry *registry,
                                                   const char            *name,
                                                   RestoreModel        ***models,
                                                   GError               **error);

/* Damage detectors, sorted by name. */
int                     restore_registry_count_detectors (const RestoreRegistry *registry);
const RestoreModelInfo *restore_registry_get_detector    (const RestoreRegistry *registry,
                                                          int                    index);

/**
 * restore_registry_load_detector:
 * @name: a detector name, a path to a .grst file, or "" / NULL for the
 *        default (the first detector by name)
 * Returns a new detector (free with restore_model_free()), or NULL with
 * @error set: RESTORE_ERROR_NO_MODEL when none is installed, the name is
 * unknown or names a restoration model, RESTORE_MODEL_ERROR for a corrupt
 * file.
 */
RestoreModel           *restore_registry_load_detector   (const RestoreRegistry *registry,
                                                          const char            *name,
                                                          GError               **error);

/* The default search folders for a program at @exe_dir (the folder of the
 * running binary): first the folders of @search_path (nullable; colon
 * separated, empty entries skipped: the programs pass the environment
 * variable RESTORE_MODEL_PATH_ENV), then "<exe_dir>/models",
 * "<exe_dir>/../share/gimp-restore/models" and, when running uninstalled
 * from the build folder, the source tree's weights/ folder (compiled in
 * as RESTORE_SOURCE_MODELS_DIR).  Free with g_strfreev(). */
char                  **restore_registry_default_dirs (const char *exe_dir,
                                                       const char *search_path);

G_END_DECLS
