/* gimp-restore: the dialogs' widgets for the parameters of the table
 * (restore-params.h): one row of label, slider and spin button each, and
 * their values read from and written to the core's option structs by
 * field offset.
 */
#pragma once

#include <gtk/gtk.h>

#include "restore-params.h"

G_BEGIN_DECLS

/* Label (with its mnemonic), slider and spin button of @spec in columns
 * 0, 1 and 2 of @row, tooltips from its blurb.  Returns the adjustment
 * they share (owned by the widgets); *@spin (may be NULL) the spin button. */
GtkAdjustment *ui_param_row_attach   (GtkGrid                *grid,
                                      int                     row,
                                      const RestoreParamSpec *spec,
                                      GtkWidget             **spin);

/* The parameters @ids (@n of @table; adj[id] their adjustments) into the
 * fields of @options (the struct @table's offsets refer to). */
void           ui_params_from_widgets (const RestoreParamSpec *table,
                                       const int              *ids,
                                       int                     n,
                                       GtkAdjustment *const   *adj,
                                       gpointer                options);
/* The fields of @options into the adjustments, the last of @ids first. */
void           ui_params_to_widgets   (const RestoreParamSpec *table,
                                       const int              *ids,
                                       int                     n,
                                       GtkAdjustment *const   *adj,
                                       gconstpointer           options);

G_END_DECLS
