/* gimp-restore plug-in for GIMP 2.10: saved settings (the last values),
 * versioned (GIMP 3 keeps them in each procedure's GimpProcedureConfig). */
#pragma once

#include <glib.h>

#include "ui-settings.h"

G_BEGIN_DECLS

#define PLUGIN_SETTINGS_VERSION 3

/* Reads the last values saved in this GIMP session; keeps the defaults and
 * returns FALSE when there are none.  Older versions are migrated. */
gboolean plugin_settings_load     (UiRestoreSettings       *settings);
void     plugin_settings_save     (const UiRestoreSettings *settings);

/* The last values saved in this GIMP session (defaults and FALSE when none). */
gboolean plugin_detect_settings_load     (UiDetectSettings       *settings);
void     plugin_detect_settings_save     (const UiDetectSettings *settings);

G_END_DECLS
