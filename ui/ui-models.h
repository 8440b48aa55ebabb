/* gimp-restore: the restoration models a dialog has loaded.
 *
 * A dialog loads each model choice once, on first use, and keeps it until
 * it closes; the preview jobs borrow the models from here.  A loaded model
 * is only read (each job runs with its own RestoreContext), so several
 * jobs may use one set at once.
 */
#pragma once

#include <glib.h>

#include "restore-registry.h"

G_BEGIN_DECLS

typedef struct _UiModels UiModels;

UiModels *ui_models_new   (const RestoreRegistry *registry);
void      ui_models_free  (UiModels        *cache);

/* The models for @name ("" for automatic), loaded from the registry the
 * first time; they belong to the cache.  Returns how many (0 on error,
 * with @error set) and their largest halo in @halo (may be NULL).  Any
 * thread. */
int       ui_models_get   (UiModels             *cache,
                           const char           *name,
                           RestoreModel *const **models,
                           int                  *halo,
                           GError              **error);

/* How many times the cache loaded a model set from the registry. */
int       ui_models_loads (UiModels             *cache);

G_END_DECLS
