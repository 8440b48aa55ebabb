/* gimp-restore: the dialogs' values (see ui-settings.h). */
#include "config.h"

#include <string.h>

#include "restore-engine.h"
#include "restore-params.h"
#include "ui-settings.h"

void
ui_restore_settings_defaults (UiRestoreSettings *settings)
{
  memset (settings, 0, sizeof (*settings));
  settings->denoise = restore_params[RESTORE_PARAM_DENOISE].def;
  settings->sharpen = restore_params[RESTORE_PARAM_SHARPEN].def;
}

gboolean
ui_restore_settings_check (const UiRestoreSettings *settings,
                           GError                 **error)
{
  return restore_param_check_double (RESTORE_PARAM_DENOISE, settings->denoise, error)
         && restore_param_check_double (RESTORE_PARAM_SHARPEN, settings->sharpen, error);
}

void
ui_detect_settings_defaults (UiDetectSettings *settings)
{
  memset (settings, 0, sizeof (*settings));
  settings->sensitivity = restore_detect_params[RESTORE_DETECT_PARAM_SENSITIVITY].def;
  settings->operation = (int) restore_detect_params[RESTORE_DETECT_PARAM_OPERATION].def;
  settings->min_size = (int) restore_detect_params[RESTORE_DETECT_PARAM_MIN_SIZE].def;
  settings->max_size = (int) restore_detect_params[RESTORE_DETECT_PARAM_MAX_SIZE].def;
  settings->grow = (int) restore_detect_params[RESTORE_DETECT_PARAM_GROW].def;
  settings->scale = (int) restore_detect_params[RESTORE_DETECT_PARAM_SCALE].def;
}

gboolean
ui_detect_settings_check (const UiDetectSettings *settings,
                          GError                **error)
{
  RestoreDetectOptions options;

  ui_detect_settings_to_options (settings, &options);
  return restore_detect_param_check (RESTORE_DETECT_PARAM_OPERATION, settings->operation, error)
         && restore_detect_options_check (&options, error);
}

void
ui_detect_settings_to_options (const UiDetectSettings *settings,
                               RestoreDetectOptions   *options)
{
  restore_detect_options_init (options);
  options->sensitivity = settings->sensitivity;
  options->min_size = settings->min_size;
  options->max_size = settings->max_size;
  options->grow = settings->grow;
  options->scale = settings->scale;
}
