/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fk-daemon.h"
#include "macro.h"

#define POLICY_DIR "etc/vfio-platform-bind.d"

/* The end of what @pid printed: Check refuses messages longer than a few kB. */
static const char *output_tail(FakeKernel *fk, pid_t pid) {
        const char *out = fk_output(fk, pid);
        size_t n = strlen(out);

        return n > 3000 ? out + n - 3000 : out;
}

void fkd_write_policy(FakeKernel *fk, const char *text) {
        _cleanup_free_ char *tmp = NULL, *path = NULL, *dir = NULL;
        FILE *f;

        ck_assert_int_ge(asprintf(&dir, "%s/etc", fk_root(fk)), 0);
        (void) mkdir(dir, 0755);
        free(dir);
        ck_assert_int_ge(asprintf(&dir, "%s/" POLICY_DIR, fk_root(fk)), 0);
        (void) mkdir(dir, 0755);
        ck_assert_int_ge(asprintf(&path, "%s/test.conf", dir), 0);
        ck_assert_int_ge(asprintf(&tmp, "%s.tmp", path), 0);
        f = fopen(tmp, "we");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fputs(text, f) < 0, 0);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(rename(tmp, path), 0);
}

pid_t fkd_spawn(FakeKernel *fk, const char *const *extra, const char *const *env) {
        _cleanup_free_ char *root = NULL, *policy = NULL, *bin = NULL;
        const char *argv[32];
        const char *vg = getenv("VALGRIND");
        bool timeout = false;
        size_t n = 0;
        pid_t pid;

        ck_assert_int_ge(asprintf(&root, "--root=%s", fk_root(fk)), 0);
        ck_assert_int_ge(asprintf(&policy, "--policy=%s/" POLICY_DIR "/test.conf", fk_root(fk)), 0);
        ck_assert_int_ge(asprintf(&bin, "%s/vfio-platform-bindd", getenv("top_builddir") ?: "."), 0);
        if (vg && *vg)
                argv[n++] = vg;
        argv[n++] = bin;
        argv[n++] = root;
        argv[n++] = policy;
        argv[n++] = "--no-load-modules";
        argv[n++] = "--log-level=debug";
        for (; extra && *extra && n < ELEMENTSOF(argv) - 2; extra++) {
                timeout |= strncmp(*extra, "--write-timeout=", 16) == 0;
                argv[n++] = *extra;
        }
        if (!timeout)
                argv[n++] = "--write-timeout=2";
        argv[n] = NULL;
        pid = fk_spawn(fk, argv, env, 0);
        ck_assert_int_gt(pid, 0);
        return pid;
}

pid_t fkd_start(FakeKernel *fk, const char *const *extra, const char *const *env) {
        pid_t pid = fkd_spawn(fk, extra, env);

        ck_assert_msg(fk_wait_notify(fk, "READY=1", FKD_T), "no READY=1; output:\n%s", output_tail(fk, pid));
        return pid;
}

void fkd_stop(FakeKernel *fk, pid_t pid) {
        int status = fk_stop(fk, pid, FKD_T);

        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d; output:\n%s", status,
                      output_tail(fk, pid));
}

void fkd_assert_on(FakeKernel *fk, const char *dev, const char *driver, const char *override) {
        ck_assert_msg(streq_ptr(fk_device_driver(fk, dev), driver), "%s: driver %s, expected %s", dev,
                      strna(fk_device_driver(fk, dev)), strna(driver));
        ck_assert_msg(streq_ptr(fk_device_override(fk, dev), override), "%s: override %s, expected %s", dev,
                      strna(fk_device_override(fk, dev)), strna(override));
}

void fkd_wait_on(FakeKernel *fk, const char *dev, const char *driver) {
        ck_assert_msg(fk_wait_driver(fk, dev, driver, FKD_T) == 1, "%s: driver %s, expected %s", dev,
                      strna(fk_device_driver(fk, dev)), strna(driver));
}

void fkd_wait_output(FakeKernel *fk, pid_t pid, const char *needle) {
        ck_assert_msg(fk_wait_output(fk, pid, needle, FKD_T) == 1, "no \"%s\" in:\n%s", needle, output_tail(fk, pid));
}

pid_t fkd_spawn_tool(FakeKernel *fk, const char *prog, const char *const *args) {
        _cleanup_free_ char *root = NULL, *bin = NULL;
        const char *argv[32];
        size_t n = 0;
        pid_t pid;

        ck_assert_int_ge(asprintf(&root, "--root=%s", fk_root(fk)), 0);
        ck_assert_int_ge(asprintf(&bin, "%s/%s", getenv("top_builddir") ?: ".", prog), 0);
        argv[n++] = bin;
        argv[n++] = root;
        for (; *args && n < ELEMENTSOF(argv) - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        pid = fk_spawn(fk, argv, NULL, FK_SPAWN_MAY_EXIT);
        ck_assert_int_gt(pid, 0);
        return pid;
}

int fkd_run_tool(FakeKernel *fk, const char *prog, const char *const *args, pid_t *ret_pid) {
        pid_t pid = fkd_spawn_tool(fk, prog, args);
        int status = 0;

        ck_assert_int_eq(fk_wait_exit(fk, pid, FKD_T, &status, NULL), 1);
        if (ret_pid)
                *ret_pid = pid;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

unsigned fkd_count_output(FakeKernel *fk, pid_t pid, const char *needle) {
        unsigned n = 0;

        for (const char *p = fk_output(fk, pid); (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}
