/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Paths resolved beneath a directory (src/fs-util.c): relative links inside it are followed,
 * links that leave it (absolute, or climbing above it) are refused, with openat2() and with the
 * fallback that resolves by hand. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "macro.h"
#include "testutil.h"

/* DIR/REL in one of a few static buffers: enough for one call's arguments. */
static const char *path_in(const char *dir, const char *rel) {
        static char bufs[4][4096];
        static unsigned next;
        char *b = bufs[next++ % ELEMENTSOF(bufs)];

        snprintf(b, sizeof bufs[0], "%s/%s", dir, rel);
        return b;
}

typedef int (*open_fn)(int dirfd, const char *path, int flags, mode_t mode);
static const open_fn fns[] = { openat_beneath, openat_beneath_by_hand };

static char *tree(int *ret_fd) {
        char *dir = tu_mkdtemp(), *p = NULL;

        /* dir/sys: bus/platform/devices/{good,up,abs,loop} and devices/platform/good/attr;
         * dir/outside/attr is what a write must never reach. */
        tu_write(dir, "sys/devices/platform/good/attr", "in\n");
        tu_write(dir, "outside/attr", "out\n");
        tu_mkdir_p(dir, "sys/bus/platform/devices");
        ck_assert_int_ge(asprintf(&p, "%s/sys/bus/platform/devices", dir), 0);
        ck_assert_int_eq(symlink("../../../devices/platform/good", path_in(p, "good")), 0);
        ck_assert_int_eq(symlink("../../../../outside", path_in(p, "up")), 0);
        ck_assert_int_eq(symlink(path_in(dir, "outside"), path_in(p, "abs")), 0);
        ck_assert_int_eq(symlink("loop", path_in(p, "loop")), 0);
        ck_assert_int_eq(symlink("good/../../../devices/platform/good", path_in(p, "dotdot")), 0);
        free(p);
        ck_assert_int_ge(asprintf(&p, "%s/sys", dir), 0);
        *ret_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(*ret_fd, 0);
        free(p);
        return dir;
}

START_TEST(test_beneath) {
        _cleanup_close_ int sys = -EBADF;
        _cleanup_free_ char *dir = tree(&sys);
        open_fn f = fns[_i];
        int fd;

        fd = f(sys, "bus/platform/devices/good", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        close(fd);
        fd = f(sys, "bus/platform/devices/good/attr", O_WRONLY | O_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        close(fd);
        fd = f(sys, "bus/platform/devices/dotdot/attr", O_RDONLY | O_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        close(fd);

        ck_assert_int_eq(f(sys, "bus/platform/devices/up/attr", O_WRONLY | O_CLOEXEC, 0), -EXDEV);
        ck_assert_int_eq(f(sys, "bus/platform/devices/abs/attr", O_WRONLY | O_CLOEXEC, 0), -EXDEV);
        ck_assert_int_eq(f(sys, "../outside/attr", O_WRONLY | O_CLOEXEC, 0), -EXDEV);
        ck_assert_int_eq(f(sys, "bus/platform/devices/loop", O_RDONLY | O_CLOEXEC, 0), -ELOOP);
        ck_assert_int_eq(f(sys, "bus/platform/devices/none", O_RDONLY | O_CLOEXEC, 0), -ENOENT);
        tu_rm_rf(dir);
}
END_TEST

START_TEST(test_mkdir_p_beneath) {
        _cleanup_close_ int sys = -EBADF;
        _cleanup_free_ char *dir = tree(&sys);
        struct stat st;

        ck_assert_int_eq(mkdir_p_beneath(sys, "a/b/c"), 0);
        ck_assert_int_eq(fstatat(sys, "a/b/c", &st, 0), 0);
        ck_assert(S_ISDIR(st.st_mode));
        /* Through a link out of it: refused, nothing created outside. */
        ck_assert_int_eq(mkdir_p_beneath(sys, "bus/platform/devices/up/new"), -EXDEV);
        ck_assert_int_eq(access(path_in(dir, "outside/new"), F_OK), -1);
        tu_rm_rf(dir);
}
END_TEST

int main(void) {
        Suite *s = suite_create("fs-util");
        TCase *tc = tcase_create("beneath");

        tcase_add_loop_test(tc, test_beneath, 0, ELEMENTSOF(fns));
        tcase_add_test(tc, test_mkdir_p_beneath);
        suite_add_tcase(s, tc);
        return tu_run(s);
}
