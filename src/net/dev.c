/* What every struct dev_ops shares: a closed device, and closing one. */
#include "src/net/dev.h"

#include <string.h>

void
dev_init(struct dev *d, enum dev_kind kind, const struct dev_ops *ops,
    void *arg)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->arg = arg;
	d->kind = kind;
	d->fd = -1;
}

void
dev_close(struct dev *d)
{
	if (!dev_is_open(d))
		return;
	d->ops->close(d);
	d->fd = -1;
	d->ifindex = 0;
	d->priv = NULL;
	memset(&d->offl, 0, sizeof(d->offl));
}
