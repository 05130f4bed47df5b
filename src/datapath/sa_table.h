/* Inbound SA lookup by SPI in O(1): open addressing with linear probing,
 * sized at load to a power of two at least twice the number of SAs so a
 * probe sequence stays short and always ends at an empty slot. SPI 0 is
 * reserved (RFC 4303 2.1) and marks an empty slot. */
#ifndef VPNTUND_SA_TABLE_H
#define VPNTUND_SA_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct sa_slot {
	uint32_t spi;
	void    *val;
};

struct sa_table {
	struct sa_slot *slots;
	size_t          mask;           /* size - 1 */
	unsigned        shift;          /* 32 - log2(size) */
	size_t          n;
};

int   sa_table_init(struct sa_table *t, size_t nsa);
/* -1 if spi is 0, already present, or the table is full. */
int   sa_table_insert(struct sa_table *t, uint32_t spi, void *val);
void *sa_table_lookup(const struct sa_table *t, uint32_t spi);
void  sa_table_free(struct sa_table *t);

#endif
