/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CDI specs and metrics: names and their mapping, clashes, the spec against golden files and
 * against an independent checker of the CDI specification (tests/cdi-check.c), the node lookup,
 * the files (atomic, mode, removal), the cdi-name= key, the metrics against a golden file and a
 * checker of Prometheus' text format. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cdi-check.h"
#include "cdi.h"
#include "fs-util.h"
#include "metrics.h"
#include "strv.h"
#include "testutil.h"

static char *golden(const char *name) {
        char path[512];

        snprintf(path, sizeof path, "%s/cdi/%s", TESTS_SRCDIR, name);
        return tu_read(path);
}

/* The output equals tests/cdi/NAME; with UPDATE_GOLDEN=1 it becomes it. */
static void assert_golden(const char *name, const char *text) {
        _cleanup_free_ char *want = NULL;

        if (getenv("UPDATE_GOLDEN")) {
                char dir[512];

                snprintf(dir, sizeof dir, "%s/cdi", TESTS_SRCDIR);
                tu_write(dir, name, text);
        }
        want = golden(name);
        ck_assert_ptr_nonnull(want);
        ck_assert_str_eq(text, want);
}

static void assert_valid_spec(const char *text, const char *const *names) {
        char err[512] = "", **got = NULL;

        ck_assert_msg(cdi_spec_check(text, err, sizeof err, &got) == 0, "%s\n%s", err, text);
        for (size_t i = 0; names[i] || got[i]; i++) {
                ck_assert_ptr_nonnull(names[i]);
                ck_assert_ptr_nonnull(got[i]);
                ck_assert_str_eq(got[i], names[i]);
        }
        strv_free(got);
}

START_TEST(test_grammar) {
        static const char *const good[] = { "a", "0", "a003e00.virtio_mmio", "soc:gpio-keys", "uart2", "A_b.c:d-e" };
        static const char *const bad[] = { "", "-a", "a-", "_a", "a_", "a b", "a/b", "a=b", "a@b", ".a", "a:" };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                ck_assert_msg(cdi_device_name_is_valid(good[i]), "%s", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(!cdi_device_name_is_valid(bad[i]), "%s", bad[i]);
        ck_assert(cdi_vendor_or_class_is_valid("vfio-platform-bindd.io"));
        ck_assert(cdi_vendor_or_class_is_valid("fsl-mc"));
        ck_assert(!cdi_vendor_or_class_is_valid("9p"));
        ck_assert(!cdi_vendor_or_class_is_valid("a:b"));
        /* Every bus we know makes a valid kind. */
        for (Bus b = 0; b < _BUS_MAX; b++) {
                char kind[128];
                ck_assert_int_eq(cdi_kind(b, kind, sizeof kind), 0);
                ck_assert(strncmp(kind, CDI_VENDOR "/", strlen(CDI_VENDOR) + 1) == 0);
        }
}
END_TEST

START_TEST(test_name_mapping) {
        static const struct { const char *sysfs, *cdi; } map[] = {
                { "a003e00.virtio_mmio", "a003e00.virtio_mmio" },
                { "soc:gpio-keys", "soc:gpio-keys" },
                { "9020000.fw-cfg", "9020000.fw-cfg" },
                { "gpio@12", "gpio_12" },
                { "a b+c,d", "a_b_c_d" },
                { "_x", "x_x" },
                { "x-", "x-x" },
                { ":", "x:x" },
                { "ü", "x__x" },
        };

        for (size_t i = 0; i < ELEMENTSOF(map); i++) {
                _cleanup_free_ char *s = NULL;

                ck_assert_int_eq(cdi_name_from_sysfs(map[i].sysfs, &s), 0);
                ck_assert_str_eq(s, map[i].cdi);
                ck_assert(cdi_device_name_is_valid(s));
        }
        /* The longest sysfs name too. */
        {
                char name[256];
                _cleanup_free_ char *s = NULL;

                memset(name, 'a', 255);
                name[255] = '\0';
                name[100] = '@';
                ck_assert_int_eq(cdi_name_from_sysfs(name, &s), 0);
                ck_assert_uint_eq(strlen(s), 255);
                ck_assert_int_eq(s[100], '_');
        }
        /* Whatever sysfs holds, the result is a valid name. */
        srand(1);
        for (int k = 0; k < 2000; k++) {
                char name[16];
                size_t n = 1 + (size_t) rand() % 15;
                _cleanup_free_ char *s = NULL;

                for (size_t i = 0; i < n; i++)
                        name[i] = (char) (1 + rand() % 255);
                name[n] = '\0';
                ck_assert_int_eq(cdi_name_from_sysfs(name, &s), 0);
                ck_assert_msg(cdi_device_name_is_valid(s), "%s -> %s", name, s);
        }
}
END_TEST

START_TEST(test_assign_names) {
        /* Out of order on purpose: claims go by sysfs name. */
        const CdiDevice devs[] = {
                { .name = "b.dev", .cdi_name = "uart" },        /* loses "uart" to a.dev */
                { .name = "a.dev", .cdi_name = "uart" },
                { .name = "uart", .cdi_name = NULL },           /* its own name is taken: uart-2 */
                { .name = "x@1" },                              /* x_1 */
                { .name = "x_1" },                              /* after x@1 (sorted: '@' < '_'): x_1-2 */
                { .name = "c.dev", .cdi_name = "b.dev" },       /* an explicit name beats b.dev's derived one */
        };
        const char *const want[] = { "b.dev-2", "uart", "uart-2", "x_1", "x_1-2", "b.dev" };
        char **names = NULL;

        ck_assert_int_eq(cdi_assign_names(devs, ELEMENTSOF(devs), &names), 0);
        for (size_t i = 0; i < ELEMENTSOF(devs); i++)
                ck_assert_msg(streq(names[i], want[i]), "%s: %s, wanted %s", devs[i].name, names[i], want[i]);
        strv_free(names);
}
END_TEST

static const CdiNode container = { .path = "/dev/vfio/vfio", .type = 'c', .major = 10, .minor = 196 };

/* Two devices share group 7: each lists the group's node. */
static const CdiDevice sample[] = {
        { .bus = BUS_PLATFORM, .name = "a003e00.virtio_mmio", .group = "7",
          .node = { "/dev/vfio/7", 'c', 243, 7 } },
        { .bus = BUS_PLATFORM, .name = "9020000.fw-cfg", .cdi_name = "fwcfg", .group = "7",
          .node = { "/dev/vfio/7", 'c', 243, 7 } },
        { .bus = BUS_PLATFORM, .name = "soc:gpio-keys", .group = "noiommu-0",
          .node = { "/dev/vfio/noiommu-0" } },
        { .bus = BUS_PLATFORM, .name = "no-group" },
        { .bus = BUS_AMBA, .name = "9000000.pl011", .group = "3", .node = { "/dev/vfio/3", 'c', 243, 3 } },
};

START_TEST(test_spec_golden) {
        _cleanup_free_ char *platform = NULL, *amba = NULL, *none = NULL;

        ck_assert_int_eq(cdi_spec_format(BUS_PLATFORM, sample, ELEMENTSOF(sample), &container, &platform), 0);
        assert_golden("platform.json", platform);
        /* Sorted by sysfs name; the device without a group is left out. */
        assert_valid_spec(platform, (const char *const[]) { "fwcfg", "a003e00.virtio_mmio", "soc:gpio-keys", NULL });
        /* No name starts with a digit: the oldest version will do. */
        ck_assert_int_eq(cdi_spec_format(BUS_AMBA, sample, ELEMENTSOF(sample), &container, &amba), 0);
        assert_golden("amba.json", amba);
        assert_valid_spec(amba, (const char *const[]) { "9000000.pl011", NULL });
        ck_assert_int_eq(cdi_spec_format(BUS_AMBA, sample, 3, &container, &none), 0);
        ck_assert_ptr_null(none);
}
END_TEST

START_TEST(test_checker_refuses) {
        static const char *const bad[] = {
                "",
                "{",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": []}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}},]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\"}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}]}",
                "{\"cdiVersion\": \"9.9.9\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}]}",
                "{\"cdiVersion\": \"0.3.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"9x\", \"containerEdits\": {}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x-\", \"containerEdits\": {}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}, {\"name\": \"x\", \"containerEdits\": {}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {\"env\": [\"=x\"]}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {\"deviceNodes\": [{\"path\": \"/d\", \"type\": \"x\"}]}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {\"deviceNodes\": [{\"path\": \"/d\", \"major\": 1.5}]}}]}",
                "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}]} x",
                "{\"cdiVersion\": \"0.5.0\", \"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}]}",
        };
        const char *good = "{\"cdiVersion\": \"0.5.0\", \"kind\": \"a.io/b\", \"devices\": [{\"name\": \"x\", \"containerEdits\": {}}]}";
        char err[512];

        ck_assert_int_eq(cdi_spec_check(good, err, sizeof err, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(cdi_spec_check(bad[i], err, sizeof err, NULL) < 0, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(test_lookup_nodes) {
        _cleanup_free_ char *root = tu_mkdtemp();
        _cleanup_close_ int fd = -EBADF;
        char path[512];
        CdiNode n;

        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        /* Nothing known: the path only, the runtime fills in the rest. */
        cdi_lookup_group_node(fd, "7", &n);
        ck_assert_str_eq(n.path, "/dev/vfio/7");
        ck_assert_int_eq(n.type, 0);
        cdi_lookup_container_node(fd, &n);
        ck_assert_str_eq(n.path, "/dev/vfio/vfio");
        ck_assert_int_eq(n.type, 0);
        /* The kernel's record in sysfs (the daemon's sandbox has no /dev/vfio). */
        tu_write(root, "sys/class/vfio/7/dev", "243:7\n");
        tu_write(root, "sys/class/vfio/noiommu-0/dev", "243:0\n");
        tu_write(root, "sys/class/misc/vfio/dev", "10:196\n");
        cdi_lookup_group_node(fd, "7", &n);
        ck_assert(n.type == 'c' && n.major == 243 && n.minor == 7);
        cdi_lookup_group_node(fd, "0", &n);
        ck_assert_str_eq(n.path, "/dev/vfio/noiommu-0");
        ck_assert(n.type == 'c' && n.major == 243 && n.minor == 0);
        cdi_lookup_container_node(fd, &n);
        ck_assert(n.type == 'c' && n.major == 10 && n.minor == 196);
        /* The node itself wins over sysfs (as root only: mknod). */
        tu_mkdir_p(root, "dev/vfio");
        snprintf(path, sizeof path, "%s/dev/vfio/7", root);
        if (mknod(path, S_IFCHR | 0600, makedev(240, 70)) == 0) {
                cdi_lookup_group_node(fd, "7", &n);
                ck_assert(n.type == 'c' && n.major == 240 && n.minor == 70);
        } else
                ck_assert_int_eq(errno, EPERM);
        /* A plain file is no node. */
        tu_write(root, "dev/vfio/vfio", "");
        cdi_lookup_container_node(fd, &n);
        ck_assert(n.type == 'c' && n.major == 10);
        tu_rm_rf(root);
}
END_TEST

START_TEST(test_write_specs) {
        _cleanup_free_ char *root = tu_mkdtemp(), *spec = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *file = "run/cdi/" CDI_VENDOR "-platform.json";
        struct stat st1, st2;
        char path[512];
        mode_t old;

        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        /* No parent: nothing, and it says so. */
        ck_assert_int_eq(cdi_write_specs(fd, CDI_DIR, sample, ELEMENTSOF(sample), &container), -ENOENT);
        tu_mkdir_p(root, "run");
        old = umask(0077); /* the unit's UMask=: runtimes must still read the spec */
        ck_assert_int_eq(cdi_write_specs(fd, CDI_DIR, sample, ELEMENTSOF(sample), &container), 0);
        umask(old);
        ck_assert_int_eq(cdi_spec_format(BUS_PLATFORM, sample, ELEMENTSOF(sample), &container, &text), 0);
        spec = tu_read_at(root, file);
        ck_assert_str_eq(spec, text);
        snprintf(path, sizeof path, "%s/%s", root, file);
        ck_assert_int_eq(stat(path, &st1), 0);
        ck_assert_int_eq(st1.st_mode & 07777, 0644);
        free(spec);
        spec = tu_read_at(root, "run/cdi/" CDI_VENDOR "-amba.json");
        ck_assert_ptr_nonnull(spec);
        /* The same text again: not rewritten (a runtime watching the directory sees nothing). */
        ck_assert_int_eq(cdi_write_specs(fd, CDI_DIR, sample, ELEMENTSOF(sample), &container), 0);
        ck_assert_int_eq(stat(path, &st2), 0);
        ck_assert_uint_eq(st1.st_ino, st2.st_ino);
        /* The amba device is gone: its spec too; no temporary file left behind. */
        ck_assert_int_eq(cdi_write_specs(fd, CDI_DIR, sample, 3, &container), 0);
        free(spec);
        spec = tu_read_at(root, "run/cdi/" CDI_VENDOR "-amba.json");
        ck_assert_ptr_null(spec);
        snprintf(path, sizeof path, "ls -A '%s/run/cdi' | grep -qv '^" CDI_VENDOR "-platform.json$'", root);
        ck_assert_int_ne(system(path), 0);
        tu_rm_rf(root);
}
END_TEST

/* A reader never sees a mix of two versions, nor a partial one. The writer is a thread (not a
 * process: valgrind follows threads without fuss). */
typedef struct Writer {
        int dirfd;
        const char *a, *b;
        int result;
        volatile int done;
} Writer;

static void *writer(void *userdata) {
        Writer *w = userdata;

        for (int i = 0; i < 100 && w->result >= 0; i++)
                w->result = write_file_atomic_at(w->dirfd, "f", i % 2 ? w->a : w->b, 1 << 20, 0644);
        __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
        return NULL;
}

START_TEST(test_atomic_write) {
        _cleanup_free_ char *root = tu_mkdtemp(), *a = malloc(1 << 20), *b = malloc(1 << 20);
        _cleanup_free_ char *buf = malloc((1 << 20) + 1);
        _cleanup_close_ int fd = -EBADF;
        unsigned reads = 0, torn = 0;
        char path[512];
        pthread_t t;
        Writer w;

        ck_assert(a && b && buf);
        memset(a, 'a', 1 << 20);
        memset(b, 'b', 1 << 20);
        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_eq(write_file_atomic_at(fd, "f", a, 1 << 20, 0644), 0);
        w = (Writer) { .dirfd = fd, .a = a, .b = b };
        ck_assert_int_eq(pthread_create(&t, NULL, writer, &w), 0);
        snprintf(path, sizeof path, "%s/f", root);
        while (!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST)) {
                int rfd = open(path, O_RDONLY | O_CLOEXEC);
                size_t n = 0;
                ssize_t k;

                ck_assert_int_ge(rfd, 0);
                while ((k = read(rfd, buf + n, (1 << 20) + 1 - n)) > 0)
                        n += (size_t) k;
                close(rfd);
                reads++;
                torn += n != 1 << 20 || (memcmp(buf, a, n) != 0 && memcmp(buf, b, n) != 0);
        }
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_int_eq(w.result, 0);
        ck_assert_uint_gt(reads, 0);
        ck_assert_uint_eq(torn, 0);
        tu_rm_rf(root);
}
END_TEST

START_TEST(test_policy_key) {
        Diagnostics d = {};
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_free_ char *msgs = NULL;
        char *dump = NULL;
        size_t size = 0;
        FILE *f;

        p = tu_parse("[a]\ndevice = x\ncdi-name = uart2\n\n[b]\ndevice = y\ncdi-name = passthrough/uart2\n\n"
                     "[c]\ndevice = z\ncdi-name = one\ncdi-name = two\n", &d);
        msgs = tu_diag_string(&d);
        ck_assert_str_eq(p->rules[0]->cdi_name, "uart2");
        ck_assert_msg(strstr(msgs, "t.conf:7: invalid cdi-name 'passthrough/uart2'"), "%s", msgs);
        ck_assert_msg(strstr(msgs, "t.conf:12: 'cdi-name' set twice in rule 'c' (first at line 11)"), "%s", msgs);
        f = open_memstream(&dump, &size);
        policy_dump(p, f);
        fclose(f);
        ck_assert_msg(strstr(dump, "[a]\n") && strstr(dump, "cdi-name = uart2\n"), "%s", dump);
        /* What check prints reads back the same. */
        {
                Diagnostics d2 = {};
                _cleanup_policy_ Policy *back = tu_parse(dump, &d2);

                ck_assert_str_eq(back->rules[0]->cdi_name, "uart2");
                ck_assert_ptr_null(back->rules[1]->cdi_name);
                diagnostics_clear(&d2);
        }
        free(dump);
        diagnostics_clear(&d);
}
END_TEST

/* Prometheus' own checker and linter too, when $PROMTOOL or promtool is there (Debian ships it only
 * inside the "prometheus" package: not a build dependency). Any output is a finding. */
static void promtool_check(const char *text) {
        const char *tool = getenv("PROMTOOL") ?: "promtool";
        _cleanup_free_ char *dir = NULL;
        char cmd[1024], out[1024] = "";
        FILE *p;
        int status;

        snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", tool);
        if (system(cmd) != 0)
                return;
        dir = tu_mkdtemp();
        tu_write(dir, "m.prom", text);
        snprintf(cmd, sizeof cmd, "'%s' check metrics <'%s/m.prom' 2>&1", tool, dir);
        p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        (void) !fread(out, 1, sizeof out - 1, p);
        status = pclose(p);
        tu_rm_rf(dir);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && out[0] == '\0', "promtool: %s", out);
}

static const char *const states[] = { "unselected", "ignored", "bound", "failed" };

START_TEST(test_metrics) {
        unsigned devices[_BUS_MAX * 4] = {};
        Metrics m = {
                .version = "1.2.3",
                .states = states,
                .n_states = 4,
                .devices = devices,
                .bind_failures = { [FAILURE_PROBE] = 2, [FAILURE_TIMEOUT] = 1 },
                .refused = { [GUARD_CONSOLE] = 1, [GUARD_SUPPLIER] = 1 },
                .abandoned_writes = 1,
                .reloads_success = 3,
                .reloads_failure = 1,
                .last_reload_success = true,
                .last_reload_usec = 1764800000123456ULL,
        };
        _cleanup_free_ char *text = NULL;
        char err[512] = "";
        unsigned samples;

        devices[BUS_PLATFORM * 4 + 2] = 5;
        devices[BUS_PLATFORM * 4 + 3] = 1;
        devices[BUS_AMBA * 4 + 1] = 1;
        text = metrics_format(&m);
        ck_assert_ptr_nonnull(text);
        assert_golden("metrics.prom", text);
        ck_assert_msg(prom_check(text, err, sizeof err, &samples) == 0, "%s", err);
        ck_assert_uint_eq(samples, 1 + _BUS_MAX * 4 + _FAILURE_REASON_MAX + _GUARD_REASON_MAX + 1 + 2 + 1 + 1);
        ck_assert(prom_value(text, "vfio_platform_bindd_devices{bus=\"platform\",state=\"bound\"}") == 5);
        promtool_check(text);
        ck_assert(prom_value(text, "vfio_platform_bindd_policy_last_reload_timestamp_seconds") == 1764800000.123);
        /* The checker can say no. */
        ck_assert_int_lt(prom_check("# TYPE x_count counter\nx_count 1\n", err, sizeof err, NULL), 0);
        ck_assert_int_lt(prom_check("x{a=\"1\"} 1\nx{a=\"1\"} 2\n", err, sizeof err, NULL), 0);
        ck_assert_int_lt(prom_check("x{a=\"\\t\"} 1\n", err, sizeof err, NULL), 0);
        ck_assert_int_lt(prom_check("x 1\n# TYPE x gauge\n", err, sizeof err, NULL), 0);
        ck_assert_int_lt(prom_check("x one\n", err, sizeof err, NULL), 0);
        ck_assert_int_lt(prom_check("x 1", err, sizeof err, NULL), 0);
        /* A label value is escaped. */
        m.version = "a\"b\\c\nd";
        free(text);
        text = metrics_format(&m);
        ck_assert_msg(strstr(text, "version=\"a\\\"b\\\\c\\nd\""), "%s", text);
        ck_assert_msg(prom_check(text, err, sizeof err, NULL) == 0, "%s", err);
}
END_TEST

START_TEST(test_failure_reasons) {
        BindReport rep = { .status = BIND_FAILED };

        ck_assert_int_eq(failure_reason_of(-ENOMEM, &rep), FAILURE_ERROR);
        ck_assert_int_eq(failure_reason_of(0, &rep), FAILURE_PROBE);
        rep.error = -EBUSY;
        ck_assert_int_eq(failure_reason_of(0, &rep), FAILURE_WRITE);
        rep.status = BIND_TIMEOUT;
        ck_assert_int_eq(failure_reason_of(0, &rep), FAILURE_TIMEOUT);
        for (FailureReason r = 0; r < _FAILURE_REASON_MAX; r++)
                ck_assert_ptr_nonnull(failure_reason_to_string(r));
}
END_TEST

int main(void) {
        Suite *s = suite_create("cdi");
        TCase *tc = tcase_create("cdi");

        tcase_add_test(tc, test_grammar);
        tcase_add_test(tc, test_name_mapping);
        tcase_add_test(tc, test_assign_names);
        tcase_add_test(tc, test_spec_golden);
        tcase_add_test(tc, test_checker_refuses);
        tcase_add_test(tc, test_lookup_nodes);
        tcase_add_test(tc, test_write_specs);
        tcase_add_test(tc, test_atomic_write);
        tcase_add_test(tc, test_policy_key);
        tcase_add_test(tc, test_metrics);
        tcase_add_test(tc, test_failure_reasons);
        tcase_set_timeout(tc, 120);
        suite_add_tcase(s, tc);
        return tu_run(s);
}
