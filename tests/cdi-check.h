/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Checkers written from the specifications, independent of the code they check, for the
 * tests (no network, no Go, no promtool needed):
 *
 * cdi_spec_check(): a strict JSON parser (RFC 8259: no trailing commas, no leading zeros, no
 * duplicate keys, nothing after the value) and the rules of the Container Device Interface
 * specification and its schema (schema/schema.json, schema/defs.json, pkg/parser, specs-go/
 * version.go of cncf-tags/container-device-interface): cdiVersion one of the known versions and
 * at least the one that the spec's content requires, kind "vendor/class" with their grammars,
 * devices a non-empty array of {name, containerEdits} with unique names in the device name
 * grammar, env entries "KEY=VALUE", device nodes with an absolute path, a known type, int64
 * major/minor, "rwm" permissions.
 *
 * prom_check(): Prometheus' text exposition format 0.0.4 (HELP and TYPE lines, metric and label
 * name grammars, label value escapes, Go float values, TYPE before the samples of its family and
 * once, no duplicate series) plus the naming rules promtool's linter applies to counters
 * (a counter's name ends in "_total"). */

/* 0 when valid; else -1 with the first problem in @err. @ret_names (optional, NULL-terminated,
 * free each and the array) gets the device names in order. */
int cdi_spec_check(const char *text, char *err, size_t errsize, char ***ret_names);

/* 0 when valid; else -1 with the first problem in @err. @ret_samples (optional) gets the number
 * of samples. */
int prom_check(const char *text, char *err, size_t errsize, unsigned *ret_samples);
/* The value of the sample whose line starts with @series ("name{labels}" exactly as written),
 * or -1 when there is none. */
double prom_value(const char *text, const char *series);
