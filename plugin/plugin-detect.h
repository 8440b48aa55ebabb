/* gimp-restore plug-in: finding the damage (plug-in-restore-detect).
 *
 * The whole drawable is read once into core buffers with the installed
 * detector; the network's per-pixel defect probabilities are computed once
 * (by the dialog's preview or by the final run) and turned into a
 * selection with the current settings as often as needed.  The image
 * changes only at the very end: one undo group that replaces the selection
 * with the detected damage or adds it to the selection.
 */
#pragma once

#include "plugin-gimp.h"

#include "restore-detect.h"
#include "restore-registry.h"
#include "ui-settings.h"

G_BEGIN_DECLS

/* A drawable read for detection. */
typedef struct
{
  PluginImage    image_ref;          /* the image */
  PluginDrawable drawable;
  int           offset_x, offset_y;  /* the drawable's offsets in the image */
  RestoreImage  image;               /* R'G'B' float, owned */
  RestoreModel *detector;            /* owned */
  float        *prob;                /* [height * width] once computed, or NULL */
} PluginDetectInput;

/**
 * plugin_detect_input_new:
 * Checks that @drawable can be searched (a layer of an RGB or gray
 * image, not a group), loads the installed detector and reads the pixels.
 * Nothing in the image changes.  Returns NULL with @error set.
 */
PluginDetectInput *plugin_detect_input_new  (PluginImage         image,
                                             PluginDrawable      drawable,
                                             GError            **error);
void               plugin_detect_input_free (PluginDetectInput  *input);

/**
 * plugin_detect_apply:
 * Computes the probabilities if @input has none yet (GIMP's progress bar
 * shows it), selects the damage with @settings and, in one undo group,
 * replaces the image's selection with it or adds it to the selection.
 * Returns the number of damaged regions found (0: the selection is emptied
 * by "replace", left as it was by "add"), or -1 with @error set and the
 * image unchanged.
 */
int                plugin_detect_apply      (PluginDetectInput          *input,
                                             const UiDetectSettings     *settings,
                                             GError                    **error);

G_END_DECLS
