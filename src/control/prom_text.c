/* The Prometheus text exposition format, version 0.0.4: a family is its
 * HELP and TYPE lines and then its samples, `name{label="value",...} v`.
 * HELP text escapes backslash and newline, label values also the double
 * quote; names are ours and checked by the unit test, not here. */
#include "src/control/monitor.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

/* s with each byte of `special` written as backslash and its letter
 * (the newline as "\n"). */
static void
add_escaped(struct evbuffer *out, const char *s, const char *special)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (strchr(special, *s) == NULL)
			continue;
		evbuffer_add(out, run, (size_t)(s - run));
		evbuffer_add(out, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" :
		    "\\\\", 2);
		run = s + 1;
	}
	evbuffer_add(out, run, (size_t)(s - run));
}

void
prom_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s ", name);
	add_escaped(out, help, "\\\n");
	evbuffer_add_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void
add_labels(struct evbuffer *out, const struct prom_label *labels, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	evbuffer_add(out, "{", 1);
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(out, "%s%s=\"", i > 0 ? "," : "",
		    labels[i].name);
		add_escaped(out, labels[i].value != NULL ? labels[i].value :
		    "", "\\\"\n");
		evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, "}", 1);
}

void
prom_sample(struct evbuffer *out, const char *name,
    const struct prom_label *labels, size_t nlabels, uint64_t value)
{
	evbuffer_add_printf(out, "%s", name);
	add_labels(out, labels, nlabels);
	evbuffer_add_printf(out, " %" PRIu64 "\n", value);
}

void
prom_sample_f(struct evbuffer *out, const char *name,
    const struct prom_label *labels, size_t nlabels, double value)
{
	evbuffer_add_printf(out, "%s", name);
	add_labels(out, labels, nlabels);
	if (isnan(value))
		evbuffer_add_printf(out, " NaN\n");
	else if (isinf(value))
		evbuffer_add_printf(out, " %sInf\n", value < 0 ? "-" : "+");
	else
		evbuffer_add_printf(out, " %.9g\n", value);
}
