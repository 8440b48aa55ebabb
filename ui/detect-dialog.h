/* gimp-restore: the GTK 3 dialog of Filters → Restore → Detect Damage. */
#pragma once

#include <glib.h>

#include "ui-host.h"
#include "ui-settings.h"

G_BEGIN_DECLS

/**
 * detect_dialog_run:
 * @image: the drawable as the detector reads it (R'G'B' float, 3 channels)
 * @detector: the detector (used by one pass at a time, never freed here)
 * @prob: (out): on OK, the network's probabilities for the chosen scale
 *        when the pass finished (g_free() them), else NULL
 * Shows the dialog with @settings as the start values: the settings, and a
 * preview of the whole drawable with the detected damage over it.  The
 * network runs once, in the background; setting changes only re-select.
 * After OK a running pass goes on under the host's progress bar.  Returns
 * TRUE on OK with @settings updated, FALSE when cancelled or GTK cannot
 * start.
 */
gboolean detect_dialog_run (UiHost             *host,
                            const RestoreImage *image,
                            RestoreModel       *detector,
                            UiDetectSettings   *settings,
                            float             **prob);

G_END_DECLS
