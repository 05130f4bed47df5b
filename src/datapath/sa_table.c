/* SPI hash table (see sa_table.h). */
#include "src/datapath/sa_table.h"

#include <stdlib.h>

/* Explicitly configured SPIs may be sequential; a multiplicative
 * (Fibonacci) hash spreads them: the top bits of the product index. */
static size_t
sa_hash(const struct sa_table *t, uint32_t spi)
{
	return (size_t)((uint32_t)(spi * 2654435761u) >> t->shift) & t->mask;
}

int
sa_table_init(struct sa_table *t, size_t nsa)
{
	size_t size = 4;
	unsigned bits = 2;

	while (size < 2 * nsa && bits < 31) {
		size <<= 1;
		bits++;
	}
	t->slots = calloc(size, sizeof(*t->slots));
	if (t->slots == NULL)
		return -1;
	t->mask = size - 1;
	t->shift = 32 - bits;
	t->n = 0;
	return 0;
}

int
sa_table_insert(struct sa_table *t, uint32_t spi, void *val)
{
	size_t i;

	if (spi == 0 || t->n + 1 > t->mask)
		return -1;
	for (i = sa_hash(t, spi); t->slots[i].spi != 0; i = (i + 1) & t->mask)
		if (t->slots[i].spi == spi)
			return -1;
	t->slots[i].spi = spi;
	t->slots[i].val = val;
	t->n++;
	return 0;
}

void *
sa_table_lookup(const struct sa_table *t, uint32_t spi)
{
	size_t i;

	if (spi == 0 || t->slots == NULL)
		return NULL;
	for (i = sa_hash(t, spi); t->slots[i].spi != 0; i = (i + 1) & t->mask)
		if (t->slots[i].spi == spi)
			return t->slots[i].val;
	return NULL;
}

void
sa_table_free(struct sa_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->n = 0;
}
