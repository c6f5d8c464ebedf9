/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/cdi-check {cdi|prom} FILE|-: the checkers of cdi-check.h for the shell tests. A valid CDI
 * spec prints its device names, one a line; a valid metrics file its number of samples. Exit 1
 * with the problem on stderr when invalid, 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-check.h"

static char *slurp(FILE *f) {
        size_t n = 0, size = 4096;
        char *buf = malloc(size);

        while (buf) {
                n += fread(buf + n, 1, size - n - 1, f);
                if (n + 1 < size)
                        break;
                size *= 2;
                buf = realloc(buf, size);
        }
        if (buf)
                buf[n] = '\0';
        return buf;
}

int main(int argc, char *argv[]) {
        char err[512] = "", **names = NULL, *text;
        unsigned samples = 0;
        FILE *f;
        int r;

        if (argc != 3 || (strcmp(argv[1], "cdi") && strcmp(argv[1], "prom"))) {
                fprintf(stderr, "Usage: %s {cdi|prom} FILE|-\n", argv[0]);
                return 2;
        }
        f = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "re");
        if (!f) {
                perror(argv[2]);
                return 2;
        }
        text = slurp(f);
        if (!text)
                return 2;
        if (strcmp(argv[1], "cdi") == 0)
                r = cdi_spec_check(text, err, sizeof err, &names);
        else
                r = prom_check(text, err, sizeof err, &samples);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", argv[2], err);
                return 1;
        }
        for (size_t i = 0; names && names[i]; i++) {
                puts(names[i]);
                free(names[i]);
        }
        free(names);
        if (strcmp(argv[1], "prom") == 0)
                printf("%u\n", samples);
        free(text);
        return 0;
}
