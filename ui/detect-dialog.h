/* gimp-restore: the GTK 3 dialog of Filters → Restore → Detect Damage. */
#pragma once

#include <glib.h>

#include "plugin-detect.h"

G_BEGIN_DECLS

/**
 * detect_dialog_run:
 * Shows the dialog for @input with @settings as the start values: the
 * settings, and a preview of the whole drawable with the detected damage
 * over it.  The network runs once, in the background; setting changes only
 * re-select.  On OK, returns TRUE with @settings updated and, when the
 * network has finished (the dialog waits for it, with GIMP's progress),
 * its probabilities in @input->prob, so that plugin_detect_apply() does not
 * run it again.  FALSE when cancelled or GTK cannot start.
 */
gboolean detect_dialog_run (PluginDetectInput    *input,
                            PluginDetectSettings *settings);

G_END_DECLS
