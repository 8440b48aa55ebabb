/* gimp-restore plug-in: saved settings (see plugin-settings.h).
 *
 * Stored with gimp_set_data() under "plug-in-restore" as a versioned blob:
 *   u32 version, then the fields of that version.
 * Version 1: char model[128], double denoise, double sharpen.
 * A blob of an unknown (newer) version or wrong size is ignored; a future
 * version 2 reads version 1 blobs through settings_migrate().
 */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>

#include "restore-params.h"
#include "plugin-settings.h"

#define SETTINGS_KEY "plug-in-restore"

typedef struct
{
  guint32           version;
  UiRestoreSettings v1;
} SettingsBlob;

/* Brings a blob of an older version up to the current one. */
static gboolean
settings_migrate (const SettingsBlob *blob,
                  gint                size,
                  UiRestoreSettings  *settings)
{
  if (blob->version == 1 && size == (gint) sizeof (SettingsBlob))
    {
      *settings = blob->v1;
      settings->model[UI_MODEL_NAME_MAX - 1] = '\0';
      return TRUE;
    }
  return FALSE;
}

gboolean
plugin_settings_load (UiRestoreSettings *settings)
{
  SettingsBlob      blob;
  gint              size = gimp_get_data_size (SETTINGS_KEY);
  UiRestoreSettings loaded;

  ui_restore_settings_defaults (settings);
  if (size <= 0 || size > (gint) sizeof (blob))
    return FALSE;
  memset (&blob, 0, sizeof (blob));
  if (! gimp_get_data (SETTINGS_KEY, &blob) || ! settings_migrate (&blob, size, &loaded))
    return FALSE;
  if (! ui_restore_settings_check (&loaded, NULL))
    return FALSE;
  *settings = loaded;
  return TRUE;
}

void
plugin_settings_save (const UiRestoreSettings *settings)
{
  SettingsBlob blob;

  memset (&blob, 0, sizeof (blob));
  blob.version = PLUGIN_SETTINGS_VERSION;
  blob.v1 = *settings;
  gimp_set_data (SETTINGS_KEY, &blob, sizeof (blob));
}
