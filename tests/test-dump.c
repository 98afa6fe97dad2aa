/* test-dump.c - weft_dump shows every thread (name, id, state, wait
 * channel) and a section per vCPU.
 *
 * The format is not specified beyond its contents; the checks look for each
 * thread's line (the line that holds its name) and the words on it. */
#include "runner.h"

static weft_sem_t sem;
static atomic_int spin_stop, exited_flag;

static void *wait_sem(void *arg)
{
    WT_OK(weft_sem_wait(&sem));
    return arg;
}

static weft_t sem_thread;

static void *join_it(void *arg)
{
    WT_OK(weft_join(sem_thread, NULL));
    return arg;
}

static void *sleep_long(void *arg)
{
    WT_OK(weft_sleep(600 * 1000 * WT_MS));
    return arg;
}

static void *ends_now(void *arg)
{
    atomic_store(&exited_flag, 1);
    return arg;
}

static void *spin(void *arg)
{
    while (!atomic_load(&spin_stop))
        __asm__ __volatile__("" ::: "memory");
    return arg;
}

static weft_t spawn_named(const char *name, void *(*fn)(void *))
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, name));
    WT_OK(weft_create(&t, &a, fn, NULL));
    WT_OK(weft_attr_destroy(&a));
    return t;
}

/* The line of the dump that names `name` (static buffer). */
static const char *line_of(const char *dump, const char *name)
{
    static char line[1024];
    const char *p = strstr(dump, name);
    if (!p)
        wt_fail(__FILE__, __LINE__, "\"%s\" is not in the dump:\n%s", name,
                dump);
    const char *b = p, *e = p;
    while (b > dump && b[-1] != '\n')
        b--;
    while (*e && *e != '\n')
        e++;
    size_t n = (size_t)(e - b) < sizeof line - 1 ? (size_t)(e - b)
                                                 : sizeof line - 1;
    memcpy(line, b, n);
    line[n] = '\0';
    return line;
}

static void expect_on_line(const char *dump, const char *name,
                           const char *word)
{
    const char *l = line_of(dump, name);
    if (!strstr(l, word))
        wt_fail(__FILE__, __LINE__,
                "the line of \"%s\" lacks \"%s\":\n  %s\nwhole dump:\n%s", name,
                word, l, dump);
}

static void expect_id_on_line(const char *dump, const char *name, weft_t t)
{
    uint64_t id;
    char buf[32];
    WT_OK(weft_getid(t, &id));
    snprintf(buf, sizeof buf, "%" PRIu64, id);
    expect_on_line(dump, name, buf);
}

/* Case-insensitive: a line mentioning "vcpu" and the number n. */
static int has_vcpu_section(const char *dump, int n)
{
    char num[16];
    snprintf(num, sizeof num, "%d", n);
    const char *p = dump;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[512];
        size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        for (size_t i = 0; i < k; i++)
            line[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
        line[k] = '\0';
        char *v = strstr(line, "vcpu");
        if (v) {
            /* the number right after "vcpu", skipping punctuation */
            char *q = v + 4;
            while (*q && !(*q >= '0' && *q <= '9') && q - v < 8)
                q++;
            if (strncmp(q, num, strlen(num)) == 0 &&
                !(q[strlen(num)] >= '0' && q[strlen(num)] <= '9'))
                return 1;
        }
        p += len + (e ? 1 : 0);
    }
    return 0;
}

WT_TEST(blocked_states)
{
    WT_OK(weft_sem_init(&sem, 0));
    atomic_store(&exited_flag, 0);
    sem_thread = spawn_named("dump-semwait", wait_sem);
    weft_t joiner = spawn_named("dump-joiner", join_it);
    weft_t sleeper = spawn_named("dump-sleeper", sleep_long);
    weft_t ended = spawn_named("dump-ended", ends_now);
    WT_OK(weft_setname(weft_self(), "dump-main"));
    WT_WAIT_UNTIL(atomic_load(&exited_flag), 10);
    weft_sleep(100 * WT_MS); /* all of them settle */

    char *d = wt_dump_string();
    printf("----- dump -----\n%s----------------\n", d);
    expect_on_line(d, "dump-semwait", "blocked");
    expect_on_line(d, "dump-semwait", "sem");
    expect_id_on_line(d, "dump-semwait", sem_thread);
    expect_on_line(d, "dump-joiner", "blocked");
    expect_on_line(d, "dump-joiner", "join");
    expect_id_on_line(d, "dump-joiner", joiner);
    expect_on_line(d, "dump-sleeper", "blocked");
    expect_on_line(d, "dump-sleeper", "sleep");
    expect_id_on_line(d, "dump-sleeper", sleeper);
    expect_on_line(d, "dump-ended", "exited");
    expect_id_on_line(d, "dump-ended", ended);
    expect_on_line(d, "dump-main", "running"); /* it is printing the dump */
    for (int c = 0; c < weft_vcpu_count(); c++)
        WT_ASSERTF(has_vcpu_section(d, c), "no section for vCPU %d:\n%s", c,
                   d);
    free(d);

    WT_OK(weft_sem_post(&sem));
    WT_OK(weft_join(joiner, NULL));
    WT_OK(weft_join(ended, NULL));
    /* the joined ones are no longer in the dump */
    d = wt_dump_string();
    WT_NOT_CONTAINS(d, "dump-semwait");
    WT_NOT_CONTAINS(d, "dump-joiner");
    WT_NOT_CONTAINS(d, "dump-ended");
    WT_CONTAINS(d, "dump-sleeper");
    free(d);
    WT_OK(weft_detach(sleeper)); /* it ends in ten minutes; nobody waits */
}

/* On one vCPU, two spinning threads: one running, the other runnable. */
WT_TEST(running_runnable)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    atomic_store(&spin_stop, 0);
    weft_t a = spawn_named("spin-a", spin);
    weft_t b = spawn_named("spin-b", spin);
    weft_sleep(50 * WT_MS);
    char *d = wt_dump_string();
    printf("----- dump -----\n%s----------------\n", d);
    const char *la = line_of(d, "spin-a");
    int a_running = strstr(la, "running") != NULL;
    int a_runnable = strstr(la, "runnable") != NULL;
    char lb[1024];
    snprintf(lb, sizeof lb, "%s", line_of(d, "spin-b"));
    int b_running = strstr(lb, "running") != NULL;
    int b_runnable = strstr(lb, "runnable") != NULL;
    /* "runnable" contains no "running", and vice versa */
    WT_ASSERTF((a_running && b_runnable) || (a_runnable && b_running),
               "expected one running and one runnable:\n%s", d);
    WT_ASSERT(has_vcpu_section(d, 0));
    free(d);
    atomic_store(&spin_stop, 1);
    WT_OK(weft_join(a, NULL));
    WT_OK(weft_join(b, NULL));
}

/* Group 0's daemons show in every dump; the dump goes to the FILE given. */
WT_TEST(daemons_and_file)
{
    (void)weft_self();
    FILE *f = tmpfile();
    WT_ASSERT(f);
    weft_dump(f);
    long len = ftell(f);
    WT_GT(len, 0);
    rewind(f);
    char *buf = calloc(1, (size_t)len + 1);
    WT_EQ(fread(buf, 1, (size_t)len, f), len);
    fclose(f);
    weft_group_info_t g0;
    WT_OK(weft_group_info(0, &g0));
    WT_GE(g0.nthreads, 1);
    /* at least one line per thread of group 0 and main */
    long lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    WT_GE(lines, (long)g0.nthreads + 1);
    free(buf);
}

WT_MAIN(WT_ENTRY(blocked_states, 0, 60),
        WT_ENTRY(running_runnable, WT_FRESH, 60),
        WT_ENTRY(daemons_and_file, 0, 60))
