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

#include <libgimp/gimp.h>

#include "restore-detect.h"
#include "restore-registry.h"

G_BEGIN_DECLS

/* The settings of a detection, as saved between runs. */
typedef struct
{
  double sensitivity;  /* 0..1 */
  int    operation;    /* RestoreDetectOperation */
  int    min_size;     /* px */
  int    max_size;     /* px */
  int    grow;         /* px */
  int    scale;        /* the network looks at the picture reduced this many times */
} PluginDetectSettings;

/* A drawable read for detection. */
typedef struct
{
  gint32        image_ID, drawable_ID;
  int           offset_x, offset_y;  /* the drawable's offsets in the image */
  RestoreImage  image;               /* R'G'B' float, owned */
  RestoreModel *detector;            /* owned */
  float        *prob;                /* [height * width] once computed, or NULL */
} PluginDetectInput;

/* Fills @settings with the parameter table's defaults. */
void     plugin_detect_settings_defaults (PluginDetectSettings       *settings);
/* TRUE when every value lies in its range (and min_size <= max_size);
 * else sets @error naming the value. */
gboolean plugin_detect_settings_check    (const PluginDetectSettings *settings,
                                          GError                    **error);
/* The last values saved in this GIMP session (defaults and FALSE when none). */
gboolean plugin_detect_settings_load     (PluginDetectSettings       *settings);
void     plugin_detect_settings_save     (const PluginDetectSettings *settings);
/* Copies @settings into core detection options (no progress, no cancel). */
void     plugin_detect_settings_to_options (const PluginDetectSettings *settings,
                                            RestoreDetectOptions       *options);

/**
 * plugin_detect_input_new:
 * Checks that @drawable_ID can be searched (a layer of an RGB or gray
 * image, not a group), loads the installed detector and reads the pixels.
 * Nothing in the image changes.  Returns NULL with @error set.
 */
PluginDetectInput *plugin_detect_input_new  (gint32              image_ID,
                                             gint32              drawable_ID,
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
                                             const PluginDetectSettings *settings,
                                             GError                    **error);

G_END_DECLS
