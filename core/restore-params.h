/* gimp-restore: the one parameter table.
 *
 * Name, label, range and default of every user setting are declared once,
 * here, and drive the PDB parameter list (plugin/), the dialog widgets
 * (ui/), the command's options (cli/) and the validation of
 * non-interactive calls.  Labels and blurbs are marked with N_() and
 * translated by the host.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RESTORE_PARAM_MODEL,
  RESTORE_PARAM_DENOISE,
  RESTORE_PARAM_SHARPEN,
  RESTORE_PARAM_COUNT
} RestoreParamId;

typedef enum
{
  RESTORE_PARAM_TYPE_STRING,
  RESTORE_PARAM_TYPE_DOUBLE,
  RESTORE_PARAM_TYPE_COUNT
} RestoreParamType;

typedef struct
{
  const char      *name;      /* PDB name and --option name: "model", "denoise" */
  const char      *label;     /* N_() dialog label with mnemonic */
  const char      *blurb;     /* N_() PDB description and tooltip */
  RestoreParamType type;
  double           min, max, def, step; /* doubles only */
  int              digits;    /* doubles: decimals shown */
} RestoreParamSpec;

extern const RestoreParamSpec restore_params[RESTORE_PARAM_COUNT];

/* TRUE when @value lies in the range of the double parameter @id; else
 * sets @error (RESTORE_ERROR_INVALID) with a message naming the parameter
 * and its range. */
gboolean restore_param_check_double (RestoreParamId id,
                                     double         value,
                                     GError       **error);

G_END_DECLS
