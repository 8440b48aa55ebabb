/* gimp-restore plug-in: saved settings (the last values), versioned. */
#pragma once

#include <glib.h>

#include "ui-settings.h"

G_BEGIN_DECLS

#define PLUGIN_SETTINGS_VERSION 1

/* Reads the last values saved in this GIMP session; keeps the defaults and
 * returns FALSE when there are none.  Older versions are migrated. */
gboolean plugin_settings_load     (UiRestoreSettings       *settings);
void     plugin_settings_save     (const UiRestoreSettings *settings);

G_END_DECLS
