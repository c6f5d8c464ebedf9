/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "testutil.h"

char *tu_mkdtemp(void) {
        char *t = strdup("/tmp/vpb-test-XXXXXX");

        ck_assert_ptr_nonnull(t);
        ck_assert_ptr_nonnull(mkdtemp(t));
        return t;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                return rmdir(path);
        return unlink(path);
}

void tu_rm_rf(const char *path) {
        if (path)
                nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_mkdir_p(const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(p, 0755) < 0)
                        ck_assert_int_eq(errno, EEXIST);
                *s = '/';
        }
        if (mkdir(p, 0755) < 0)
                ck_assert_int_eq(errno, EEXIST);
}

void tu_write(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *p = NULL, *parent = NULL;
        FILE *f;
        char *slash;

        parent = strdup(rel);
        ck_assert_ptr_nonnull(parent);
        slash = strrchr(parent, '/');
        if (slash) {
                *slash = '\0';
                tu_mkdir_p(dir, parent);
        }
        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        f = fopen(p, "we");
        ck_assert_msg(f, "cannot write %s: %s", p, strerror(errno));
        fputs(content, f);
        ck_assert_int_eq(fclose(f), 0);
}

char *tu_read(const char *path) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");
        ssize_t k;

        ck_assert_msg(f, "cannot read %s: %s", path, strerror(errno));
        k = getdelim(&buf, &n, '\0', f);
        fclose(f);
        if (k < 0) {
                free(buf);
                return strdup("");
        }
        return buf;
}

char *tu_diag_string(const Diagnostics *d) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        ck_assert_ptr_nonnull(f);
        diagnostics_print(d, f);
        fclose(f);
        return buf;
}

Policy *tu_parse(const char *text, Diagnostics *d) {
        Policy *p = policy_new();

        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(policy_parse_string(p, text, strlen(text), "t.conf", d), 0);
        ck_assert_int_eq(policy_finalize(p, d), 0);
        return p;
}

int tu_run(Suite *s) {
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void tu_symlink(const char *target, const char *root, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        unlink(p);
        ck_assert_msg(symlink(target, p) == 0, "symlink %s: %s", p, strerror(errno));
}

void tu_sysfs_bus(const char *root, const char *bus) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "sys/bus/%s/devices", bus), 0);
        tu_mkdir_p(root, p);
        free(p);
        ck_assert_int_ge(asprintf(&p, "sys/bus/%s/drivers_probe", bus), 0);
        tu_write(root, p, "");
}

void tu_sysfs_driver(const char *root, const char *bus, const char *driver) {
        _cleanup_free_ char *p = NULL;

        tu_sysfs_bus(root, bus);
        ck_assert_int_ge(asprintf(&p, "sys/bus/%s/drivers/%s/bind", bus, driver), 0);
        tu_write(root, p, "");
        free(p);
        ck_assert_int_ge(asprintf(&p, "sys/bus/%s/drivers/%s/unbind", bus, driver), 0);
        tu_write(root, p, "");
}

void tu_sysfs_device(const char *root, const char *bus, const char *name, const char *uevent, const char *driver,
                     int iommu_group) {
        _cleanup_free_ char *dir = NULL, *p = NULL, *t = NULL;

        tu_sysfs_bus(root, bus);
        ck_assert_int_ge(asprintf(&dir, "sys/devices/platform/%s", name), 0);
        ck_assert_int_ge(asprintf(&p, "%s/uevent", dir), 0);
        tu_write(root, p, uevent);
        free(p);
        ck_assert_int_ge(asprintf(&p, "%s/driver_override", dir), 0);
        tu_write(root, p, "(null)\n");
        free(p);
        ck_assert_int_ge(asprintf(&p, "sys/bus/%s/devices/%s", bus, name), 0);
        ck_assert_int_ge(asprintf(&t, "../../../devices/platform/%s", name), 0);
        tu_symlink(t, root, p);
        if (driver) {
                free(p);
                free(t);
                tu_sysfs_driver(root, bus, driver);
                ck_assert_int_ge(asprintf(&p, "%s/driver", dir), 0);
                ck_assert_int_ge(asprintf(&t, "../../../bus/%s/drivers/%s", bus, driver), 0);
                tu_symlink(t, root, p);
        }
        if (iommu_group >= 0) {
                free(p);
                free(t);
                ck_assert_int_ge(asprintf(&p, "sys/kernel/iommu_groups/%d", iommu_group), 0);
                tu_mkdir_p(root, p);
                free(p);
                ck_assert_int_ge(asprintf(&p, "%s/iommu_group", dir), 0);
                ck_assert_int_ge(asprintf(&t, "../../../kernel/iommu_groups/%d", iommu_group), 0);
                tu_symlink(t, root, p);
                /* The group lists its members, as /sys/kernel/iommu_groups/N/devices/NAME. */
                free(p);
                free(t);
                ck_assert_int_ge(asprintf(&p, "sys/kernel/iommu_groups/%d/devices", iommu_group), 0);
                tu_mkdir_p(root, p);
                free(p);
                ck_assert_int_ge(asprintf(&p, "sys/kernel/iommu_groups/%d/devices/%s", iommu_group, name), 0);
                ck_assert_int_ge(asprintf(&t, "../../../../devices/platform/%s", name), 0);
                tu_symlink(t, root, p);
        }
}

char *tu_read_at(const char *root, const char *rel) {
        _cleanup_free_ char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
        if (access(p, F_OK) < 0)
                return NULL;
        return tu_read(p);
}
