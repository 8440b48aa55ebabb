/* gimp-restore: the parameters' widgets (see ui-widgets.h). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ui-settings.h"
#include "ui-widgets.h"

GtkAdjustment *
ui_param_row_attach (GtkGrid                *grid,
                     int                     row,
                     const RestoreParamSpec *spec,
                     GtkWidget             **spin_out)
{
  GtkAdjustment *adj = gtk_adjustment_new (spec->def, spec->min, spec->max,
                                           spec->step, spec->step * 10, 0);
  GtkWidget     *label = gtk_label_new_with_mnemonic (_(spec->label));
  GtkWidget     *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj);
  GtkWidget     *spin = gtk_spin_button_new (adj, spec->step, spec->digits);

  gtk_widget_set_halign (label, GTK_ALIGN_START);
  gtk_scale_set_draw_value (GTK_SCALE (scale), FALSE);
  gtk_scale_set_digits (GTK_SCALE (scale), spec->digits);
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_widget_set_size_request (scale, 200, -1);
  gtk_entry_set_activates_default (GTK_ENTRY (spin), TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), scale);
  gtk_widget_set_tooltip_text (scale, _(spec->blurb));
  gtk_widget_set_tooltip_text (spin, _(spec->blurb));
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, scale, 1, row, 1, 1);
  gtk_grid_attach (grid, spin, 2, row, 1, 1);
  if (spin_out != NULL)
    *spin_out = spin;
  return adj;
}

void
ui_params_from_widgets (const RestoreParamSpec *table,
                        const int              *ids,
                        int                     n,
                        GtkAdjustment *const   *adj,
                        gpointer                options)
{
  for (int i = 0; i < n; i++)
    {
      const RestoreParamSpec *spec = &table[ids[i]];

      restore_param_set (spec, options,
                         ui_param_widget_value (spec, gtk_adjustment_get_value (adj[ids[i]])),
                         NULL);
    }
}

void
ui_params_to_widgets (const RestoreParamSpec *table,
                      const int              *ids,
                      int                     n,
                      GtkAdjustment *const   *adj,
                      gconstpointer           options)
{
  for (int i = n - 1; i >= 0; i--)
    gtk_adjustment_set_value (adj[ids[i]], restore_param_get (&table[ids[i]], options));
}
