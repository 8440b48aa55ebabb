/* gimp-restore: the GTK 3 dialog of Filters → Restore → Inpaint Selection. */
#pragma once

#include <glib.h>

#include "ui-host.h"
#include "ui-settings.h"

G_BEGIN_DECLS

/**
 * restore_dialog_run:
 * Shows the dialog with @settings as the start values: the model choice,
 * denoise, sharpen, grain, texture and a before / after preview of a crop around the
 * selection (read once through @host; the models are loaded once).
 * Transient for the host's window when it has one.  Returns TRUE on OK
 * with @settings updated, FALSE when cancelled or GTK cannot start.
 */
gboolean restore_dialog_run (UiHost            *host,
                             UiRestoreSettings *settings);

G_END_DECLS
