/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy parser on arbitrary files. Beyond "no crash, no leak, no UB": a policy that parses
 * without errors, dumped and parsed again, must give the same rules (the dump is the effective
 * policy that "check" prints, so it must mean what the original meant). */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "policy.h"

static char *dump(const Policy *p) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        if (!f)
                abort();
        policy_dump(p, f);
        fclose(f);
        return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Policy *p = policy_new(), *q = NULL;
        Diagnostics d = {}, e = {};
        char *first = NULL, *second = NULL;
        char *compat[] = { (char *) "virtio,mmio", (char *) "arm,pl011", NULL };
        DeviceInfo dev = { .name = (char *) "a003e00.virtio_mmio", .of_fullname = (char *) "/soc/virtio_mmio@a003e00",
                           .compatibles = compat };
        Decision dec;

        if (!p || policy_parse_string(p, (const char *) data, size, "fuzz.conf", &d) < 0)
                goto finish;
        if (policy_finalize(p, &d) < 0)
                goto finish;
        policy_decide(p, &dev, &dec);
        if (diagnostics_failed(&d))
                goto finish;

        first = dump(p);
        q = policy_new();
        if (!q || policy_parse_string(q, first, strlen(first), "fuzz.conf", &e) < 0 || policy_finalize(q, &e) < 0)
                goto finish;
        if (diagnostics_failed(&e) || q->n_rules != p->n_rules)
                abort();
        second = dump(q);
        /* Origins differ (line numbers); the rules themselves must not. */
        for (size_t i = 0; i < p->n_rules; i++)
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                        if (p->rules[i]->n_patterns[k] != q->rules[i]->n_patterns[k])
                                abort();
                        for (size_t j = 0; j < p->rules[i]->n_patterns[k]; j++)
                                if (strcmp(p->rules[i]->patterns[k][j].value, q->rules[i]->patterns[k][j].value) != 0)
                                        abort();
                }
finish:
        free(first);
        free(second);
        policy_free(p);
        policy_free(q);
        diagnostics_clear(&d);
        diagnostics_clear(&e);
        return 0;
}
