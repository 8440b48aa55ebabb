/* gimp-restore plug-in: pixels between GIMP and the core.
 *
 * One path serves the final render and the dialog's preview: read a
 * rectangle of a drawable and the selection into core buffers, run
 * restore_run, and (final render only) write the result as a new layer.
 */
#pragma once

#include "plugin-gimp.h"

#include "restore-engine.h"
#include "restore-registry.h"
#include "ui-host.h"

G_BEGIN_DECLS

#define PLUGIN_ERROR (plugin_error_quark ())
GQuark plugin_error_quark (void);

typedef enum
{
  PLUGIN_ERROR_NO_SELECTION,
  PLUGIN_ERROR_OUTSIDE,
  PLUGIN_ERROR_INDEXED,
  PLUGIN_ERROR_GROUP,
  PLUGIN_ERROR_NOT_LAYER,
  PLUGIN_ERROR_COUNT
} PluginError;

/* Checks that @drawable of @image can be restored: not indexed, not a
 * group, a selection exists and touches the drawable.  Returns the selection
 * bounds inside the drawable in @x, @y, @w, @h. */
gboolean plugin_apply_check      (PluginImage    image,
                                  PluginDrawable drawable,
                                  int           *x,
                                  int           *y,
                                  int           *w,
                                  int           *h,
                                  GError       **error);

/* Reads the selection bounds grown by @margin (clamped to the drawable),
 * optionally capped to a @max_side x @max_side window centred on the
 * selection (0 = no cap; the preview uses it), and the selection over it;
 * @format (may be NULL) gets the float format the pixels were read in.
 * Free with ui_region_free(). */
UiRegion     *plugin_region_read (PluginImage    image,
                                  PluginDrawable drawable,
                                  int            margin,
                                  int            max_side,
                                  const Babl   **format,
                                  GError       **error);

/**
 * plugin_apply_run:
 * Restores the selected part of @drawable with @model_name ("" for
 * automatic) and the settings of @settings (denoise, sharpen, grain,
 * texture; its threads, progress and cancel are not used), and adds
 * the result as a new layer just above the drawable,
 * in one undo group.  Nothing in the image changes unless it succeeds.
 * Returns the new layer, or PLUGIN_NO_LAYER with @error set.
 */
PluginLayer   plugin_apply_run   (PluginImage            image,
                                  PluginDrawable         drawable,
                                  const char            *model_name,
                                  const RestoreOptions  *settings,
                                  GError               **error);

/* The registry of the models installed beside this plug-in (created on
 * first use, lives as long as the process). */
RestoreRegistry *plugin_registry  (void);

/* The folder of the translations: the plug-in folder's locale/ when it
 * has one, the build's po/ when run from the build folder, else LOCALEDIR.
 * g_free() it. */
char         *plugin_localedir   (void);

/* Loads the models for @model_name, returns how many (0 on error) and the
 * largest halo of them in @halo.  Free with plugin_models_free(). */
int           plugin_models_load (const char     *model_name,
                                  RestoreModel ***models,
                                  int            *halo,
                                  GError        **error);
void          plugin_models_free (RestoreModel  **models,
                                  int             n_models);

G_END_DECLS
