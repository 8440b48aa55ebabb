/* gimp-restore: the dialogs' host interface (see ui-host.h). */
#include "config.h"

#include "ui-host.h"

void
ui_region_free (UiRegion *region)
{
  if (region == NULL)
    return;
  g_free (region->image.data);
  g_free (region->mask);
  g_free (region);
}
