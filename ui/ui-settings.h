/* gimp-restore: the values the dialogs show and return.
 *
 * Front-end neutral: the GIMP front ends store them between runs in their
 * own way.  The numbers live in the core's own option structs, so the
 * parameter table (restore-params.h) reaches each by its field offset:
 * its defaults, ranges, the cross-field checks and the dialogs' widgets
 * all come from the table.  Only what the engine does not take (the
 * model's name, the selection operation) has a field of its own.
 */
#pragma once

#include <glib.h>

#include "restore-detect.h"
#include "restore-engine.h"
#include "restore-params.h"

G_BEGIN_DECLS

#define UI_MODEL_NAME_MAX 128

/* Inpaint Selection. */
typedef struct
{
  char           model[UI_MODEL_NAME_MAX];  /* "" = automatic */
  RestoreOptions options;                   /* the restore_params fields */
} UiRestoreSettings;

/* Detect Damage. */
typedef struct
{
  RestoreDetectOptions options;    /* the restore_detect_params fields */
  int                  operation;  /* RestoreDetectOperation */
} UiDetectSettings;

/* The parameter table's defaults. */
void     ui_restore_settings_defaults (UiRestoreSettings      *settings);
/* TRUE when every value lies in its range; else sets @error. */
gboolean ui_restore_settings_check    (const UiRestoreSettings *settings,
                                       GError                 **error);

void     ui_detect_settings_defaults  (UiDetectSettings       *settings);
/* TRUE when every value lies in its range and min_size <= max_size; else
 * sets @error (RESTORE_ERROR_INVALID) naming the value. */
gboolean ui_detect_settings_check     (const UiDetectSettings *settings,
                                       GError                **error);
/* Core detection options with these values (no progress, no cancel). */
void     ui_detect_settings_to_options (const UiDetectSettings *settings,
                                        RestoreDetectOptions   *options);

/* The value a widget of @spec shows for @value: a whole number for an
 * int parameter (a slider's position may fall between two). */
double   ui_param_widget_value        (const RestoreParamSpec *spec,
                                       double                  value);

G_END_DECLS
