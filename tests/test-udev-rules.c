/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The udev rule generator: the golden output of a sample policy; hostile values built in memory,
 * past the parser, rejected or escaped; and the rules shown to select exactly what policy_decide()
 * selects, first by a small interpreter of the rules (udev-eval.c) on many random uevents, then by
 * the real `udevadm test` (systemd 252) on a fake sysfs in a private mount namespace. */
#include <alloca.h>
#include <check.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "match.h"
#include "strv.h"
#include "testutil.h"
#include "udev-eval.h"
#include "udev-rules.h"
#include "validate.h"

/* ck_assert() records its location at every call (a write to a file without CK_FORK), which makes
 * the loops below slow: must() only checks. */
#define must(cond, ...)                                         \
        do {                                                    \
                if (_unlikely_(!(cond)))                        \
                        ck_abort_msg(__VA_ARGS__);              \
        } while (0)
#define must_ok(cond) must(cond, "failed: %s", #cond)

/* --- generating --- */

static char *generate(const Policy *p, Diagnostics *d, int *ret) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&buf, &n);

        must(f, "out of memory");
        *ret = udev_rules_generate(p, f, d);
        must_ok(fclose(f) == 0);
        return buf;
}

static char *generate_ok(const Policy *p) {
        Diagnostics d = {};
        char *text;
        int r;

        text = generate(p, &d, &r);
        if (r < 0 || diagnostics_failed(&d)) {
                _cleanup_free_ char *msg = tu_diag_string(&d);
                ck_abort_msg("generation failed (%d): %s", r, msg);
        }
        diagnostics_clear(&d);
        return text;
}

/* A policy built in memory, past the parser and its checks. */
static Rule *add_rule(Policy *p, const char *name, RuleAction action, const char *driver) {
        Rule *r = calloc(1, sizeof(Rule));
        Rule **rules = reallocarray(p->rules, p->n_rules + 1, sizeof(Rule *));

        must(r, "out of memory");
        must(rules, "out of memory");
        p->rules = rules;
        if (!p->files)
                must_ok(strv_extend(&p->files, "evil.conf") == 0);
        *r = (Rule) {
                .name = strdup(name),
                .file = p->files[0],
                .line = 10 * (p->n_rules + 1),
                .index = p->n_rules,
                .action = action,
                .driver = driver ? strdup(driver) : NULL,
        };
        must(r->name, "out of memory");
        p->rules[p->n_rules++] = r;
        return r;
}

static void add_pattern(Rule *r, MatchKey k, const char *value, bool glob) {
        Pattern *pats = reallocarray(r->patterns[k], r->n_patterns[k] + 1, sizeof(Pattern));

        must(pats, "out of memory");
        r->patterns[k] = pats;
        pats[r->n_patterns[k]++] = (Pattern) { .value = strdup(value), .glob = glob, .line = r->line + 1 };
}

/* --- the small udev of udev-eval.c, failing the test on its errors --- */

typedef UdevRules Rules;
typedef UdevEvent Event;
typedef UdevOutcome Outcome;

static void outcome_done(Outcome *o) {
        udev_eval_outcome_done(o);
}

static void rules_done(Rules *rs) {
        udev_eval_rules_done(rs);
}

static void rules_parse(const char *text, Rules *ret) {
        _cleanup_free_ char *error = NULL;
        int r = udev_eval_parse(text, ret, &error);

        must(r == 0, "%s", r == -ENOMEM ? "out of memory" : strna(error));
}

static void rules_run(const Rules *rs, const Event *ev, Outcome *out) {
        _cleanup_free_ char *error = NULL;
        int r = udev_eval_run(rs, ev, out, &error);

        must(r == 0, "%s", r == -ENOMEM ? "out of memory" : strna(error));
}

/* policy_decide() on the daemon's view of the event. */
static Decision decide_event(const Policy *p, const Event *ev) {
        Decision dec;

        must_ok(udev_eval_decide(p, ev, &dec) == 0);
        return dec;
}

/* What the rules must do: what policy_decide() says, for add and change events on the buses. */
static void expected_outcome(const Policy *p, const Event *ev, Outcome *ret) {
        must(udev_eval_expected(p, ev, ret) == 0, "out of memory");
}

static void assert_same_outcome(const Outcome *a, const Outcome *b, const Event *ev, const char *what) {
        _cleanup_free_ char *props = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&props, &n);

        STRV_FOREACH(s, ev->props)
                fprintf(f, " %s", *s);
        fclose(f);
        must(streq_ptr(a->override, b->override) && streq_ptr(a->module, b->module) &&
                      streq_ptr(a->probe_bus, b->probe_bus) && streq_ptr(a->probe, b->probe),
                      "%s: device %s (%s %s%s): expected override=%s module=%s probe=%s:%s, got %s %s %s:%s",
                      what, ev->name, ev->action, ev->subsystem, props, strna(a->override), strna(a->module),
                      strna(a->probe_bus), strna(a->probe), strna(b->override), strna(b->module),
                      strna(b->probe_bus), strna(b->probe));
}

static void check_events(const Policy *p, const char *rules_text, const Event *evs, size_t n) {
        Rules rs;

        rules_parse(rules_text, &rs);
        for (size_t i = 0; i < n; i++) {
                Outcome want, got;

                expected_outcome(p, &evs[i], &want);
                rules_run(&rs, &evs[i], &got);
                assert_same_outcome(&want, &got, &evs[i], "interpreter");
                outcome_done(&want);
                outcome_done(&got);
        }
        rules_done(&rs);
}

/* --- random policies and devices --- */

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n) {
        /* xorshift32: the same sequence with every libc */
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 17;
        rnd_state ^= rnd_state << 5;
        return rnd_state % n;
}

#define PICK(a) ((a)[rnd(ELEMENTSOF(a))])

static const char * const device_values[] = {
        "a003e00.virtio_mmio", "9000000.uart", "soc:gpio-keys", "a!b", "x\"y,z",
        "a00[0-3]*", "*.isp", "?003e00.*", "[!a]*", "*uart", "a[!!]b", "*!*", "[a!]*", "32e10000.*",
};
static const char * const path_values[] = {
        "/soc@0/isp@32e10000", "/s", "/soc@0/bus@0/uart@1000",
        "/soc@0/*", "/soc@0/*/*", "/*", "/soc@0/bus@0/*", "/*@[0-9a-f]*", "/s*", "/*/[!b]*", "/soc@0/*x*", "/*/*",
};
static const char * const compatible_values[] = {
        "virtio,mmio", "fsl,imx8mq-isp", "arm,primecell", "vendor,dev-v1",
        "fsl,*", "*isp", "vendor,dev-v?", "*", "a*b", "[!v]*", "*,*", "a?b", "[av]*",
};
static const char * const drivers[] = { "vpb-test-a", "vpb-test-b" };

static Policy *random_policy(void) {
        _cleanup_free_ char *text = NULL;
        Diagnostics d = {};
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        Policy *p;

        must(f, "out of memory");
        for (uint32_t i = 0, n = 4 + rnd(10); i < n; i++) {
                uint32_t keys = 1 + rnd(7); /* a non-empty subset of the three keys */

                fprintf(f, "[r%u]\n", i);
                for (MatchKey k = 0; k < _MATCH_KEY_MAX; k++) {
                        if (!(keys & (1u << k)))
                                continue;
                        for (uint32_t j = 0, m = 1 + rnd(3); j < m; j++)
                                fprintf(f, "%s = %s\n", match_key_to_string(k),
                                        k == MATCH_DEVICE ? PICK(device_values)
                                        : k == MATCH_PATH ? PICK(path_values) : PICK(compatible_values));
                }
                if (rnd(5) == 0)
                        fputs("action = ignore\n", f);
                else if (rnd(3) == 0)
                        fprintf(f, "driver = %s\n", PICK(drivers));
        }
        fclose(f);

        p = policy_new();
        must(p, "out of memory");
        must_ok(policy_parse_string(p, text, len, "random.conf", &d) == 0);
        must_ok(policy_finalize(p, &d) == 0);
        /* Repeated values and shadowed rules only warn. */
        must(d.n_errors == 0, "%s", text);
        diagnostics_clear(&d);
        return p;
}

static const char * const names[] = {
        "a003e00.virtio_mmio", "a001e00.virtio_mmio", "a004e00.virtio_mmio", "9000000.uart", "soc:gpio-keys",
        "32e10000.isp", "b003e00.isp", "a!b", "c!d", "x\"y,z", "9020000.fw-cfg",
};
static const char * const path_parts[] = { "soc@0", "bus@0", "isp@32e10000", "uart@1000", "s", "bx" };
static const char * const compatibles[] = {
        "virtio,mmio", "fsl,imx8mq-isp", "fsl,imx8mp-isp", "arm,pl011", "arm,primecell", "vendor,dev-v1",
        "vendor,dev-v22", "a*b", "axb", "a|b", "x\"y", "[v]", "has space", "", "caf\xc3\xa9",
        /* longer than COMPATIBLE_MAX: the daemon skips it */
        "fsl,vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv-isp",
};

/* One random uevent. The strings live in @ev->props, freed by strv_free(). */
static void random_event(Event *ev) {
        char buf[2048];
        uint32_t n;

        *ev = (Event) {
                .action = rnd(8) == 0 ? PICK(((const char *[]) { "remove", "bind", "change", "change" })) : "add",
                .subsystem = rnd(10) == 0 ? "i2c" : rnd(3) == 0 ? "amba" : "platform",
                .name = PICK(names),
                .cmdline = rnd(12) == 0 ? "quiet " UDEV_RULES_CMDLINE_KEY "=0"
                           : rnd(12) == 0 ? UDEV_RULES_CMDLINE_KEY "=1" : NULL,
        };
        if (rnd(8) == 0)
                return; /* no device tree node */

        if (rnd(40) == 0) {
                /* Longer than DT_PATH_MAX: the daemon takes it for no path. */
                memset(buf, 'x', sizeof buf - 1);
                buf[sizeof buf - 1] = '\0';
                memcpy(buf, "OF_FULLNAME=/soc@0/", 19);
                buf[1100] = '\0';
        } else {
                int o = snprintf(buf, sizeof buf, "OF_FULLNAME=");
                for (uint32_t i = 0, depth = 1 + rnd(3); i < depth; i++)
                        o += snprintf(buf + o, sizeof buf - o, "/%s", PICK(path_parts));
        }
        must_ok(strv_extend(&ev->props, buf) == 0);

        /* Now and then more compatibles than the daemon reads: the ones past the bound count for none. */
        n = rnd(10) == 0 ? UDEV_RULES_COMPATIBLES_MAX + rnd(4) : rnd(5);
        for (uint32_t i = 0; i < n; i++) {
                snprintf(buf, sizeof buf, "OF_COMPATIBLE_%u=%s", i, i >= 3 && i < UDEV_RULES_COMPATIBLES_MAX ? "filler,x" : PICK(compatibles));
                must_ok(strv_extend(&ev->props, buf) == 0);
        }
        snprintf(buf, sizeof buf, "OF_COMPATIBLE_N=%u", n);
        must_ok(strv_extend(&ev->props, buf) == 0);
}

static void events_free(Event *evs, size_t n) {
        for (size_t i = 0; i < n; i++)
                strv_free(evs[i].props);
}

/* --- the real udev ---
 *
 * `udevadm test` runs in a private mount namespace, over a tmpfs /sys that holds fake devices,
 * with tmpfs over /run, the udev rules directories (only our file is read) and /lib/modules
 * (`kmod load` finds nothing to load). That is done by this program run again as
 * "--udevadm-child DIR", so that the copy of the test process (and valgrind's view of it) does
 * not linger. DIR holds the rules and the events; results come back on stdout, one line each. */

/* a + b, on the stack as systemd's strjoina(): for short paths. */
#define strjoina(a, b)                                                                  \
        ({                                                                              \
                const char *_a = (a), *_b = (b);                                        \
                char *_s = alloca(strlen(_a) + strlen(_b) + 1);                         \
                strcat(strcpy(_s, _a), _b);                                             \
        })

/* "/sys/bus/NAME", on the stack too; a separate macro so that the two can nest. */
#define strjoina_bus(name)                                                              \
        ({                                                                              \
                const char *_n = (name);                                                \
                char *_b = alloca(strlen("/sys/bus/") + strlen(_n) + 1);                \
                strcat(strcpy(_b, "/sys/bus/"), _n);                                    \
        })

/* This program, run again for the child; not /proc/self/exe, which is valgrind under valgrind. */
static char *self_path;

#define SEP "\x1f"
#define NONE "\x01"
#define CHILD_SKIP 77

static void events_write(const char *path, const Event *evs, size_t n) {
        FILE *f = fopen(path, "we");

        must(f, "out of memory");
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s\n%s\n%s\n%s\n%zu\n", evs[i].action, evs[i].subsystem, evs[i].name,
                        evs[i].cmdline ?: NONE, strv_length(evs[i].props));
                STRV_FOREACH(s, evs[i].props)
                        fprintf(f, "%s\n", *s);
        }
        must_ok(fclose(f) == 0);
}

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static int write_file(const char *path, const char *content) {
        FILE *f;

        if (mkdir_parents(path) < 0)
                return -errno;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(content, f);
        return fclose(f) == 0 ? 0 : -EIO;
}

static char *read_file_or_empty(const char *path) {
        char *buf = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");

        if (f) {
                if (getdelim(&buf, &n, '\0', f) < 0) {
                        free(buf);
                        buf = NULL;
                }
                fclose(f);
        }
        return buf ?: strdup("");
}

static bool mount_tmpfs(const char *where, bool required) {
        struct stat st;

        if (stat(where, &st) < 0 || !S_ISDIR(st.st_mode))
                return !required;
        return mount("tmpfs", where, "tmpfs", 0, "mode=0755") == 0;
}

/* The module udev was asked to load, from the debug log of `udevadm test`. */
static char *logged_module(const char *log) {
        const char *s = strstr(log, "builtin command 'kmod load ");

        if (!s)
                return NULL;
        s += strlen("builtin command 'kmod load ");
        return strndup(s, strcspn(s, "'"));
}

static const char *find_udevadm(void) {
        static const char * const candidates[] = { "/usr/bin/udevadm", "/bin/udevadm", "/sbin/udevadm" };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

static int run_udevadm(const char *udevadm, const char *action, const char *cmdline, const char *syspath) {
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                _cleanup_free_ char *arg = NULL;
                int fd = open("/run/udevadm.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0 ||
                    asprintf(&arg, "--action=%s", action) < 0)
                        _exit(EXIT_FAILURE);
                setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1); /* our /sys is a tmpfs */
                setenv("SYSTEMD_PROC_CMDLINE", strempty(cmdline), 1);
                setenv("SYSTEMD_LOG_LEVEL", "debug", 1);
                execl(udevadm, "udevadm", "test", arg, syspath, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) != pid)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* One event: its device in the fake sysfs, `udevadm test`, and what it wrote, on stdout. */
static int child_event(const char *udevadm, size_t i, const char *action, const char *subsystem,
                       const char *name, const char *cmdline, const char *uevent) {
        static const char * const buses[] = { "platform", "amba" };
        _cleanup_free_ char *dir = NULL, *path = NULL, *target = NULL, *override = NULL, *log = NULL,
                            *module = NULL, *probe = NULL;
        const char *probe_bus = NULL;
        int r;

        if (asprintf(&dir, "/sys/devices/vpb%zu/%s", i, name) < 0 ||
            asprintf(&path, "%s/subsystem", dir) < 0 || asprintf(&target, "../../../bus/%s", subsystem) < 0)
                return -ENOMEM;
        r = write_file(strjoina(dir, "/uevent"), uevent);
        if (r >= 0)
                r = write_file(strjoina(dir, "/driver_override"), "");
        if (r >= 0)
                r = mkdir_parents(strjoina(strjoina_bus(subsystem), "/x"));
        if (r >= 0 && symlink(target, path) < 0)
                r = -errno;
        for (size_t b = 0; b < ELEMENTSOF(buses) && r >= 0; b++)
                r = write_file(strjoina(strjoina_bus(buses[b]), "/drivers_probe"), "");
        if (r < 0)
                return r;

        r = run_udevadm(udevadm, action, cmdline, dir);
        if (r < 0) {
                fprintf(stderr, "udevadm test %s failed:\n", dir);
                log = read_file_or_empty("/run/udevadm.log");
                fputs(log, stderr);
                return r;
        }

        override = read_file_or_empty(strjoina(dir, "/driver_override"));
        log = read_file_or_empty("/run/udevadm.log");
        module = logged_module(log);
        for (size_t b = 0; b < ELEMENTSOF(buses); b++) {
                _cleanup_free_ char *v = read_file_or_empty(strjoina(strjoina_bus(buses[b]), "/drivers_probe"));
                if (!isempty(v)) {
                        probe_bus = buses[b];
                        free(probe);
                        probe = TAKE_PTR(v);
                }
        }
        printf("%s" SEP "%s" SEP "%s" SEP "%s\n", isempty(override) ? NONE : override, module ?: NONE,
               probe_bus ?: NONE, probe ?: NONE);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static char *getline_dup(FILE *f) {
        char *line = NULL;
        size_t n = 0;
        ssize_t k = getline(&line, &n, f);

        if (k <= 0) {
                free(line);
                return NULL;
        }
        if (line[k - 1] == '\n')
                line[k - 1] = '\0';
        return line;
}

static int udevadm_child(const char *dir) {
        static const char * const hidden[] = {
                "/etc/udev/rules.d", "/usr/local/lib/udev/rules.d", "/usr/lib/udev/rules.d",
                "/lib/udev/rules.d", "/lib/modules", "/usr/lib/modules",
        };
        _cleanup_free_ char *rules = read_file_or_empty(strjoina(dir, "/rules"));
        _cleanup_fclose_ FILE *in = fopen(strjoina(dir, "/events"), "re");
        const char *udevadm = find_udevadm();

        if (geteuid() != 0 || !udevadm) {
                fprintf(stderr, "SKIP: udevadm test needs root and udevadm\n");
                return CHILD_SKIP;
        }
        if (!in || isempty(rules))
                return EXIT_FAILURE;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            !mount_tmpfs("/sys", true) || !mount_tmpfs("/run", true)) {
                fprintf(stderr, "SKIP: udevadm test: cannot set up a private mount namespace: %m\n");
                return CHILD_SKIP;
        }
        for (size_t i = 0; i < ELEMENTSOF(hidden); i++)
                if (!mount_tmpfs(hidden[i], false)) {
                        fprintf(stderr, "SKIP: udevadm test: cannot hide %s: %m\n", hidden[i]);
                        return CHILD_SKIP;
                }
        if (write_file("/run/udev/rules.d/" UDEV_RULES_FILE, rules) < 0)
                return EXIT_FAILURE;

        for (size_t i = 0;; i++) {
                _cleanup_free_ char *action = getline_dup(in), *subsystem = getline_dup(in), *name = getline_dup(in),
                                    *cmdline = getline_dup(in), *count = getline_dup(in), *uevent = NULL;
                size_t len = 0;
                FILE *u;

                if (!action)
                        return EXIT_SUCCESS;
                if (!subsystem || !name || !cmdline || !count)
                        return EXIT_FAILURE;
                u = open_memstream(&uevent, &len);
                if (!u)
                        return EXIT_FAILURE;
                for (unsigned long k = strtoul(count, NULL, 10); k > 0; k--) {
                        _cleanup_free_ char *prop = getline_dup(in);
                        if (!prop)
                                return EXIT_FAILURE;
                        fprintf(u, "%s\n", prop);
                }
                if (fclose(u) != 0)
                        return EXIT_FAILURE;
                if (child_event(udevadm, i, action, subsystem, name, streq(cmdline, NONE) ? NULL : cmdline, uevent) < 0)
                        return EXIT_FAILURE;
        }
}

static char *field(char **s) {
        char *f = strsep(s, SEP "\n");

        must(f, "out of memory");
        return streq(f, NONE) ? NULL : strdup(f);
}

/* Runs the real udev on @evs and compares with policy_decide(). False when it had to skip. */
static bool check_events_udevadm(const Policy *p, const char *rules_text, const Event *evs, size_t n) {
        _cleanup_free_ char *dir = tu_mkdtemp(), *line = NULL;
        int pipefd[2], status;
        size_t len = 0, i = 0;
        FILE *in;
        pid_t pid;

        tu_write(dir, "rules", rules_text);
        events_write(strjoina(dir, "/events"), evs, n);
        must_ok(pipe2(pipefd, O_CLOEXEC) == 0);
        fflush(NULL);
        pid = fork();
        must_ok(pid >= 0);
        if (pid == 0) {
                if (dup2(pipefd[1], STDOUT_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                execl(self_path, self_path, "--udevadm-child", dir, (char *) NULL);
                _exit(127);
        }
        close(pipefd[1]);
        in = fdopen(pipefd[0], "r");
        must(in, "out of memory");
        while (getline(&line, &len, in) > 0) {
                char *s = line;
                Outcome want, got;

                must((i) < (n), "too many results");
                got = (Outcome) { .override = field(&s), .module = field(&s), .probe_bus = field(&s), .probe = field(&s) };
                expected_outcome(p, &evs[i], &want);
                assert_same_outcome(&want, &got, &evs[i], "udevadm test");
                outcome_done(&want);
                outcome_done(&got);
                i++;
        }
        fclose(in);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        tu_rm_rf(dir);
        must_ok(WIFEXITED(status));
        if (WEXITSTATUS(status) == CHILD_SKIP)
                return false;
        must_ok(WEXITSTATUS(status) == 0);
        ck_assert_uint_eq(i, n);
        return true;
}

/* --- the tests --- */

static Policy *load_sample(void) {
        _cleanup_free_ char *path = NULL;
        Diagnostics d = {};
        Policy *p = policy_new();
        FILE *f;

        must(p, "out of memory");
        must_ok(asprintf(&path, "%s/udev-rules/sample.conf", TESTS_SRCDIR) >= 0);
        f = fopen(path, "re");
        must(f, "out of memory");
        must_ok(policy_parse_file(p, f, "sample.conf", &d) == 0);
        fclose(f);
        must_ok(policy_finalize(p, &d) == 0);
        must_ok(!diagnostics_failed(&d));
        diagnostics_clear(&d);
        return p;
}

START_TEST(test_golden) {
        _cleanup_policy_ Policy *p = load_sample();
        _cleanup_free_ char *text = generate_ok(p), *path = NULL, *expected = NULL;

        ck_assert_int_ge(asprintf(&path, "%s/udev-rules/sample.rules", TESTS_SRCDIR), 0);
        expected = tu_read(path);
        if (!streq(text, expected)) {
                fputs(text, stderr);
                ck_abort_msg("the rules differ from %s (printed above)", path);
        }
}
END_TEST

START_TEST(test_empty_policy) {
        _cleanup_policy_ Policy *p = policy_new();
        _cleanup_free_ char *text = generate_ok(p);
        Event ev = { .action = "add", .subsystem = "platform", .name = "a003e00.virtio_mmio" };

        /* The frame alone: every event goes to the end. */
        ck_assert_ptr_null(strstr(text, "ENV{OF_"));
        check_events(p, text, &ev, 1);
}
END_TEST

/* The sample policy on handmade events: the switch, the actions, the buses, first match wins. */
static const char * const props_isp[] = { "OF_FULLNAME=/soc@0/isp@32e10000", "OF_COMPATIBLE_0=fsl,imx8mq-isp",
                                          "OF_COMPATIBLE_N=1", NULL };
static const char * const props_uart[] = { "OF_FULLNAME=/pl011@9000000", "OF_COMPATIBLE_0=arm,pl011",
                                           "OF_COMPATIBLE_1=arm,primecell", "OF_COMPATIBLE_N=2", NULL };
static const char * const props_deep[] = { "OF_FULLNAME=/soc@0/bus@0/isp@1", "OF_COMPATIBLE_0=fsl,imx8mq-isp",
                                           "OF_COMPATIBLE_N=1", NULL };

static const Event sample_events[] = {
        { "add", "platform", "32e10000.isp", (char **) props_isp, NULL },
        { "change", "platform", "32e10000.isp", (char **) props_isp, NULL },
        { "remove", "platform", "32e10000.isp", (char **) props_isp, NULL },
        { "bind", "platform", "32e10000.isp", (char **) props_isp, NULL },
        { "add", "i2c", "32e10000.isp", (char **) props_isp, NULL },
        { "add", "platform", "32e10000.isp", (char **) props_isp, "ro " UDEV_RULES_CMDLINE_KEY "=0 quiet" },
        { "add", "platform", "32e10000.isp", (char **) props_isp, UDEV_RULES_CMDLINE_KEY "=1" },
        { "add", "amba", "9000000.pl011", (char **) props_uart, NULL },
        { "add", "amba", "9040000.pl011", (char **) props_uart, NULL },
        { "add", "platform", "a002e00.virtio_mmio", NULL, NULL },
        { "add", "platform", "a004e00.virtio_mmio", NULL, NULL },
        { "add", "platform", "1.isp", (char **) props_deep, NULL },
        { "add", "platform", "2.isp", (char **) props_deep + 1, NULL },
};

START_TEST(test_sample_events) {
        _cleanup_policy_ Policy *p = load_sample();
        _cleanup_free_ char *text = generate_ok(p);
        Rules rs;
        Outcome o;

        check_events(p, text, sample_events, ELEMENTSOF(sample_events));

        /* And by hand, so that the comparison above is not vacuous. */
        rules_parse(text, &rs);
        rules_run(&rs, &sample_events[0], &o);
        ck_assert_str_eq(o.override, "vfio-platform");
        ck_assert_str_eq(o.module, "vfio-platform");
        ck_assert_str_eq(o.probe_bus, "platform");
        ck_assert_str_eq(o.probe, "32e10000.isp");
        outcome_done(&o);
        rules_run(&rs, &sample_events[5], &o);
        ck_assert_ptr_null(o.override);
        outcome_done(&o);
        rules_run(&rs, &sample_events[7], &o); /* the console: ignored */
        ck_assert_ptr_null(o.override);
        outcome_done(&o);
        rules_run(&rs, &sample_events[8], &o); /* another UART: amba's default driver */
        ck_assert_str_eq(o.override, "vfio-amba");
        ck_assert_str_eq(o.probe_bus, "amba");
        outcome_done(&o);
        rules_run(&rs, &sample_events[9], &o);
        ck_assert_str_eq(o.override, "uio_pdrv_genirq");
        outcome_done(&o);
        rules_run(&rs, &sample_events[11], &o); /* listed by its exact path */
        ck_assert_str_eq(o.override, "vfio-platform");
        outcome_done(&o);
        rules_run(&rs, &sample_events[12], &o); /* no compatible */
        ck_assert_ptr_null(o.override);
        outcome_done(&o);
        rules_done(&rs);
}
END_TEST

/* A policy built past the parser: values that would inject or widen a rule are refused, each
 * with its rule's FILE:LINE, and nothing is written. */
START_TEST(test_hostile_rejected) {
        static const struct {
                MatchKey key;
                const char *value;
                const char *driver;
                const char *message;
        } cases[] = {
                { MATCH_DEVICE, "a|b", NULL,
                  "evil.conf:11: rule 'evil': device 'a|b' cannot be written as a udev rule: it contains '|', which udev reads as a list of alternatives" },
                { MATCH_COMPATIBLE, "vendor,x\"|*", NULL,
                  "evil.conf:11: rule 'evil': compatible 'vendor,x\"|*' cannot be written as a udev rule: it contains '|', which udev reads as a list of alternatives" },
                { MATCH_DEVICE, "x\nKERNEL==\"*\", GOTO=\"vfio_platform_bind_apply\"", NULL,
                  "evil.conf:11: rule 'evil': device 'x\\x0aKERNEL==\"*\", GOTO=\"vfio_platform_bind_apply\"' cannot be written as a udev rule: it contains a space, a control character or a non-ASCII byte" },
                { MATCH_DEVICE, "x\\", NULL,
                  "evil.conf:11: rule 'evil': device 'x\\x5c' cannot be written as a udev rule: it contains a backslash" },
                { MATCH_PATH, "/a\",b", NULL,
                  "evil.conf:11: rule 'evil': path '/a\",b' cannot be written as a udev rule: contains a character that no device tree node name has" },
                { MATCH_PATH, "soc/*", NULL,
                  "evil.conf:11: rule 'evil': path 'soc/*' cannot be written as a udev rule: must be absolute (start with '/')" },
                { MATCH_COMPATIBLE, "", NULL,
                  "evil.conf:11: rule 'evil': compatible '' cannot be written as a udev rule: it is empty" },
                { MATCH_COMPATIBLE, "caf\xc3\xa9", NULL,
                  "evil.conf:11: rule 'evil': compatible 'caf\\xc3\\xa9' cannot be written as a udev rule: it contains a space, a control character or a non-ASCII byte" },
                { MATCH_DEVICE, "..", NULL,
                  "evil.conf:11: rule 'evil': device '..' cannot be written as a udev rule: '.' and '..' are not device names" },
                { MATCH_DEVICE, "x", "a\", RUN+=\"/bin/sh",
                  "evil.conf:10: rule 'evil': driver 'a\", RUN+=\"/bin/sh' cannot be written as a udev rule: not a driver name" },
                { MATCH_DEVICE, "x", "$env{HOME}",
                  "evil.conf:10: rule 'evil': driver '$env{HOME}' cannot be written as a udev rule: not a driver name" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_policy_ Policy *p = policy_new();
                _cleanup_free_ char *text = NULL, *msg = NULL, *want = NULL;
                Diagnostics d = {};
                Rule *r;
                int ret;

                ck_assert_ptr_nonnull(p);
                r = add_rule(p, "evil", RULE_BIND, cases[i].driver);
                add_pattern(r, cases[i].key, cases[i].value, false);
                text = generate(p, &d, &ret);
                msg = tu_diag_string(&d);
                ck_assert_int_eq(ret, -EINVAL);
                ck_assert_str_eq(text, "");
                ck_assert_int_ge(asprintf(&want, "%s\n", cases[i].message), 0);
                ck_assert_str_eq(msg, want);
                diagnostics_clear(&d);
        }
}
END_TEST

START_TEST(test_hostile_rules) {
        _cleanup_policy_ Policy *p = policy_new();
        _cleanup_free_ char *text = NULL, *msg = NULL;
        Diagnostics d = {};
        Rule *r;
        int ret;

        /* No match key: it would select every device. An unknown action. Both reported. */
        add_rule(p, "nokey", RULE_BIND, NULL);
        r = add_rule(p, "badaction", (RuleAction) 7, NULL);
        add_pattern(r, MATCH_DEVICE, "x", false);
        text = generate(p, &d, &ret);
        msg = tu_diag_string(&d);
        ck_assert_int_eq(ret, -EINVAL);
        ck_assert_str_eq(text, "");
        ck_assert_str_eq(msg, "evil.conf:10: rule 'nokey' has no match key: it would select every device\n"
                              "evil.conf:20: rule 'badaction': unknown action 7\n");
        diagnostics_clear(&d);
}
END_TEST

/* Values udev can express once escaped, built in memory, and their events. */
static Policy *hostile_policy(void) {
        Policy *p = policy_new();
        Rule *r;

        ck_assert_ptr_nonnull(p);
        /* An exact name with '"', ',' and '*': must not end the value, nor become a glob. */
        r = add_rule(p, "quote", RULE_BIND, "vpb-test-a");
        add_pattern(r, MATCH_DEVICE, "x\"y,*", false);
        /* An exact compatible with '*' and '?'. */
        r = add_rule(p, "star", RULE_BIND, NULL);
        add_pattern(r, MATCH_COMPATIBLE, "a*b?", false);
        /* '!' in a kernel name is '/' in udev's KERNEL: exact, and a bracket negating '!'. */
        r = add_rule(p, "bang", RULE_IGNORE, NULL);
        add_pattern(r, MATCH_DEVICE, "a!b", false);
        r = add_rule(p, "not-bang", RULE_BIND, NULL);
        add_pattern(r, MATCH_DEVICE, "c[!!]d", true);
        r = add_rule(p, "any-bang", RULE_BIND, "vpb-test-b");
        add_pattern(r, MATCH_DEVICE, "*!*", true);
        /* A glob with '"' and ','; a name and a file name that try to end their comment line. */
        r = add_rule(p, "evil\nKERNEL==\"*\", GOTO=\"vfio_platform_bind_apply\"", RULE_BIND, NULL);
        add_pattern(r, MATCH_DEVICE, "q,\"*", true);
        ck_assert_int_eq(strv_extend(&p->files, "evil\n.conf\\"), 0);
        r->file = p->files[1];
        /* A '$' or '%' in a match is not substituted by udev. */
        r = add_rule(p, "dollar", RULE_BIND, NULL);
        add_pattern(r, MATCH_DEVICE, "d$kernel%k", false);
        return p;
}

static const char * const props_star[] = { "OF_COMPATIBLE_0=x,y", "OF_COMPATIBLE_1=a*b?", "OF_COMPATIBLE_N=2", NULL };
static const char * const props_star_like[] = { "OF_COMPATIBLE_0=axbb", "OF_COMPATIBLE_N=1", NULL };

static const Event hostile_events[] = {
        { "add", "platform", "x\"y,*", NULL, NULL },
        { "add", "platform", "x\"y,z", NULL, NULL },
        { "add", "platform", "x\"y,", NULL, NULL },
        { "add", "platform", "s1", (char **) props_star, NULL },
        { "add", "platform", "s2", (char **) props_star_like, NULL },
        { "add", "platform", "a!b", NULL, NULL },
        { "add", "platform", "aXb", NULL, NULL },
        { "add", "platform", "c!d", NULL, NULL },
        { "add", "platform", "cxd", NULL, NULL },
        { "add", "platform", "e!f", NULL, NULL },
        { "add", "platform", "q,\"", NULL, NULL },
        { "add", "platform", "q,\"\"x", NULL, NULL },
        { "add", "platform", "q", NULL, NULL },
        { "add", "platform", "d$kernel%k", NULL, NULL },
        { "add", "platform", "dd$kernel%k", NULL, NULL },
        { "add", "platform", "d$kernelXk", NULL, NULL },
};

START_TEST(test_hostile_escaped) {
        _cleanup_policy_ Policy *p = hostile_policy();
        _cleanup_free_ char *text = generate_ok(p);
        static const Verdict verdicts[] = {
                VERDICT_BIND, VERDICT_NONE, VERDICT_NONE, VERDICT_BIND, VERDICT_NONE, VERDICT_IGNORE,
                VERDICT_NONE, VERDICT_BIND, VERDICT_BIND, VERDICT_BIND, VERDICT_BIND, VERDICT_BIND,
                VERDICT_NONE, VERDICT_BIND, VERDICT_NONE, VERDICT_NONE,
        };

        ck_assert_ptr_nonnull(strstr(text, "\nKERNEL==\"x\\\"y,\\*\", ENV{.VFIO_PLATFORM_BIND_DRIVER}=\"vpb-test-a\""));
        ck_assert_ptr_nonnull(strstr(text, "\nENV{OF_COMPATIBLE_0}==\"a\\*b\\?\", GOTO="));
        ck_assert_ptr_nonnull(strstr(text, "\nKERNEL==\"a/b\", GOTO=\"vfio_platform_bind_end\"\n"));
        ck_assert_ptr_nonnull(strstr(text, "\nKERNEL==\"c[!/]d\", GOTO="));
        ck_assert_ptr_nonnull(strstr(text, "\nKERNEL==\"q,\\\"*\", GOTO="));
        ck_assert_ptr_nonnull(strstr(text, "\n# [evil\\x0aKERNEL==\"*\", GOTO=\"vfio_platform_bind_apply\"] evil\\x0a.conf\\x5c:60\n"));
        /* The policy's own verdicts, so that the comparison below is not vacuous. */
        ck_assert_uint_eq(ELEMENTSOF(verdicts), ELEMENTSOF(hostile_events));
        for (size_t i = 0; i < ELEMENTSOF(hostile_events); i++)
                ck_assert_msg(decide_event(p, &hostile_events[i]).verdict == verdicts[i], "event %zu", i);
        check_events(p, text, hostile_events, ELEMENTSOF(hostile_events));
}
END_TEST

/* The rule reads as many OF_COMPATIBLE_<i> as the daemon does, no more, no fewer. */
START_TEST(test_compatibles_bound) {
        _cleanup_(device_info_done) DeviceInfo di = {};
        _cleanup_free_ char *text = NULL, *rules = NULL;
        _cleanup_policy_ Policy *p = NULL;
        _cleanup_strv_free_ char **props = NULL;
        Diagnostics d = {};
        size_t n = 0;
        FILE *f = open_memstream(&text, &n);
        char buf[64];

        for (unsigned i = 0; i < UDEV_RULES_COMPATIBLES_MAX + 8; i++) {
                snprintf(buf, sizeof buf, "OF_COMPATIBLE_%u=v,c%u", i, i);
                ck_assert_int_eq(strv_extend(&props, buf), 0);
                fprintf(f, "%s\n", buf);
        }
        snprintf(buf, sizeof buf, "OF_COMPATIBLE_N=%u", UDEV_RULES_COMPATIBLES_MAX + 8);
        ck_assert_int_eq(strv_extend(&props, buf), 0);
        fprintf(f, "%s\n", buf);
        fclose(f);
        ck_assert_int_eq(device_info_parse_uevent(&di, text), 0);
        ck_assert_uint_eq(strv_length(di.compatibles), UDEV_RULES_COMPATIBLES_MAX);

        p = tu_parse("[last-read]\ncompatible = v,c31\n[first-unread]\ncompatible = v,c32\ndriver = vpb-test-a\n"
                     "[glob]\ncompatible = v,c3[2-9]\ndriver = vpb-test-b\n", &d);
        ck_assert(!diagnostics_failed(&d));
        diagnostics_clear(&d);
        rules = generate_ok(p);
        {
                char **only_32 = props + UDEV_RULES_COMPATIBLES_MAX; /* v,c32 and later */
                Event evs[] = {
                        { "add", "platform", "all", props, NULL },
                        { "add", "platform", "late", only_32, NULL },
                };
                check_events(p, rules, evs, ELEMENTSOF(evs));
                ck_assert_int_eq(decide_event(p, &evs[0]).verdict, VERDICT_BIND);
                ck_assert_str_eq(decide_event(p, &evs[0]).rule->name, "last-read");
        }
}
END_TEST

/* Long value lists are split over lines that udev reads whole (it drops lines over 16 KiB). */
START_TEST(test_long_lists) {
        _cleanup_free_ char *text = NULL, *rules = NULL;
        _cleanup_policy_ Policy *p = NULL;
        Diagnostics d = {};
        size_t n = 0, longest = 0;
        FILE *f = open_memstream(&text, &n);
        Event evs[3] = {};

        fputs("[many]\n", f);
        for (int i = 0; i < 1000; i++)
                fprintf(f, "device = %08x.a-rather-long-device-name-%d\npath = /soc@0/node-%d/*\n", i, i, i);
        fputs("compatible = vendor,*\n", f);
        for (int i = 0; i < 1000; i++)
                fprintf(f, "compatible = vendor%d,a-rather-long-compatible-string\n", i);
        fclose(f);
        p = tu_parse(text, &d);
        ck_assert(!diagnostics_failed(&d));
        diagnostics_clear(&d);
        rules = generate_ok(p);
        for (const char *s = rules, *nl; (nl = strchr(s, '\n')); s = nl + 1)
                longest = (size_t) (nl - s) > longest ? (size_t) (nl - s) : longest;
        ck_assert_uint_lt(longest, 16384);
        ck_assert_ptr_nonnull(strstr(rules, "GOTO=\"vfio_platform_bind_r0_device\""));

        ck_assert_int_eq(strv_extend(&evs[0].props, "OF_FULLNAME=/soc@0/node-999/x"), 0);
        ck_assert_int_eq(strv_extend(&evs[0].props, "OF_COMPATIBLE_0=vendor999,a-rather-long-compatible-string"), 0);
        ck_assert_int_eq(strv_extend(&evs[0].props, "OF_COMPATIBLE_N=1"), 0);
        evs[0] = (Event) { "add", "platform", "000003e7.a-rather-long-device-name-999", evs[0].props, NULL };
        evs[1] = (Event) { "add", "platform", "000003e7.a-rather-long-device-name-998", evs[0].props, NULL };
        evs[2] = (Event) { "add", "platform", "00000000.a-rather-long-device-name-0", evs[0].props, NULL };
        check_events(p, rules, evs, ELEMENTSOF(evs));
        ck_assert_int_eq(decide_event(p, &evs[0]).verdict, VERDICT_BIND);
        ck_assert_int_eq(decide_event(p, &evs[1]).verdict, VERDICT_NONE);
        strv_free(evs[0].props);
}
END_TEST

/* Many random policies and devices: the rules and policy_decide() agree on every one. */
START_TEST(test_random_agrees) {
        unsigned verdicts[3] = {};

        rnd_state = 0x1234567u + _i;
        for (int round = 0; round < 10; round++) {
                _cleanup_policy_ Policy *p = random_policy();
                _cleanup_free_ char *text = generate_ok(p);
                Event evs[300];

                for (size_t i = 0; i < ELEMENTSOF(evs); i++) {
                        random_event(&evs[i]);
                        if (bus_from_string(evs[i].subsystem) >= 0)
                                verdicts[decide_event(p, &evs[i]).verdict]++;
                }
                check_events(p, text, evs, ELEMENTSOF(evs));
                events_free(evs, ELEMENTSOF(evs));
        }
        /* Not vacuous: all three verdicts occurred. */
        ck_assert_msg(verdicts[VERDICT_NONE] > 50 && verdicts[VERDICT_BIND] > 50 && verdicts[VERDICT_IGNORE] > 10,
                      "none %u, bind %u, ignore %u", verdicts[VERDICT_NONE], verdicts[VERDICT_BIND], verdicts[VERDICT_IGNORE]);
}
END_TEST

/* The real udev (systemd's `udevadm test`) on a fake sysfs: it reads the rules as the interpreter
 * does, writes driver_override and drivers_probe, asks kmod for the driver, for exactly the
 * devices policy_decide() selects. */
START_TEST(test_udevadm) {
        _cleanup_policy_ Policy *sample = load_sample(), *hostile = hostile_policy(), *random = NULL;
        _cleanup_free_ char *sample_rules = generate_ok(sample), *hostile_rules = generate_ok(hostile),
                            *random_rules = NULL;
        Event evs[120];

        if (!check_events_udevadm(sample, sample_rules, sample_events, ELEMENTSOF(sample_events)))
                return; /* skipped, said why */
        ck_assert(check_events_udevadm(hostile, hostile_rules, hostile_events, ELEMENTSOF(hostile_events)));

        rnd_state = 0xcafe;
        random = random_policy();
        random_rules = generate_ok(random);
        for (size_t i = 0; i < ELEMENTSOF(evs); i++)
                random_event(&evs[i]);
        ck_assert(check_events_udevadm(random, random_rules, evs, ELEMENTSOF(evs)));
        check_events(random, random_rules, evs, ELEMENTSOF(evs));
        events_free(evs, ELEMENTSOF(evs));
}
END_TEST

static Suite *udev_rules_suite(void) {
        Suite *s = suite_create("udev-rules");
        TCase *tc = tcase_create("generate");
        TCase *tr = tcase_create("udevadm");

        tcase_add_test(tc, test_golden);
        tcase_add_test(tc, test_empty_policy);
        tcase_add_test(tc, test_sample_events);
        tcase_add_test(tc, test_hostile_rejected);
        tcase_add_test(tc, test_hostile_rules);
        tcase_add_test(tc, test_hostile_escaped);
        tcase_add_test(tc, test_compatibles_bound);
        tcase_add_test(tc, test_long_lists);
        tcase_add_loop_test(tc, test_random_agrees, 0, 3);
        tcase_set_timeout(tc, 120);
        suite_add_tcase(s, tc);

        tcase_add_test(tr, test_udevadm);
        tcase_set_timeout(tr, 300);
        suite_add_tcase(s, tr);
        return s;
}

int main(int argc, char *argv[]) {
        int r;

        if (argc == 3 && streq(argv[1], "--udevadm-child"))
                return udevadm_child(argv[2]);
        self_path = realpath(argv[0], NULL);
        if (!self_path)
                return EXIT_FAILURE;
        r = tu_run(udev_rules_suite());
        free(self_path);
        return r;
}
