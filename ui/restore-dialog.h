/* gimp-restore: the GTK 3 dialog of Filters → Restore → Inpaint Selection. */
#pragma once

#include <gtk/gtk.h>

#include "plugin-settings.h"

G_BEGIN_DECLS

/**
 * restore_dialog_run:
 * Shows the dialog for @drawable_ID with @settings as the start values
 * (transient for GIMP's image window when there is one).  Returns TRUE on
 * OK with @settings updated, FALSE when cancelled or GTK cannot start.
 */
gboolean restore_dialog_run (gint32          image_ID,
                             gint32          drawable_ID,
                             PluginSettings *settings);

/* Keeps @dialog (realized here) above GIMP's image window when there is
 * one (none from a batch call).  Shared by the plug-in's dialogs. */
void     restore_dialog_set_transient (GtkWidget *dialog);

G_END_DECLS
