/* test-trace.c - WEFT_TRACE=path.json: a child runs a small workload with
 * tracing on and exits; the file must hold run slices per vCPU with their
 * threads' names and how they ended, wakeups, lane names, and be valid
 * JSON (checked with python3 when there is one); tools/weft-trace-plot must
 * draw it. Without WEFT_TRACE no file appears. */
#include "runner.h"

#include <sys/stat.h>

#ifndef WEFT_SOURCE_DIR
#define WEFT_SOURCE_DIR "."
#endif

static char trace_path[256];

static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        WT_OK(weft_sleep(2 * WT_MS));
    return NULL;
}

static atomic_int started;

/* The spawner's children wait (yielding) until all 8 have started: then
 * one vCPU holds at least 4 of them, so their yields are real switches. */
static void *yielder(void *arg)
{
    atomic_fetch_add(&started, 1);
    while (arg && atomic_load(&started) < 8)
        WT_OK(weft_yield());
    for (int i = 0; i < 100; i++)
        WT_OK(weft_yield());
    return NULL;
}

/* Runs on a vCPU: its children queue there, so the other vCPU may steal. */
static void *spawner(void *arg)
{
    (void)arg;
    weft_t t[8];
    for (int i = 0; i < 8; i++)
        WT_OK(weft_create(&t[i], NULL, yielder, (void *)1));
    for (int i = 0; i < 8; i++)
        WT_OK(weft_join(t[i], NULL));
    return NULL;
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

static void traced_child(void *arg)
{
    if (arg)
        setenv("WEFT_TRACE", trace_path, 1);
    else
        unsetenv("WEFT_TRACE");
    wt_start(2, WEFT_DEADLOCK_ABORT);
    weft_t a = spawn_named("tr-sleeper", sleeper);
    weft_t b = spawn_named("tr-yielder", yielder);
    weft_t c = spawn_named("tr-spawner", spawner);
    WT_OK(weft_join(a, NULL));
    WT_OK(weft_join(b, NULL));
    WT_OK(weft_join(c, NULL));
    exit(0); /* the trace is written by an atexit handler */
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        wt_fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    WT_EQ(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int have_python(void)
{
    return system("python3 -c 'import json' >/dev/null 2>&1") == 0;
}

WT_TEST(records_events)
{
    snprintf(trace_path, sizeof trace_path, "/tmp/weft-test-trace-%d.json", (int)getpid());
    unlink(trace_path);
    struct wt_child c;
    wt_fork(&c, 60, traced_child, (void *)1);
    printf("----- child stderr -----\n%s------------------------\n", c.err);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s", wt_child_describe(&c));
    WT_NOT_CONTAINS(c.err, "Sanitizer");
    wt_child_free(&c);

    char *t = slurp(trace_path);
    printf("trace: %zu bytes\n", strlen(t));
    WT_CONTAINS(t, "\"traceEvents\":[");
    WT_CONTAINS(t, "\"name\":\"thread_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"vCPU 0\"}");
    WT_CONTAINS(t, "\"args\":{\"name\":\"vCPU 1\"}");
    WT_CONTAINS(t, "\"args\":{\"name\":\"host threads\"}");
    WT_CONTAINS(t, "\"ph\":\"X\",\"cat\":\"run\"");
    WT_CONTAINS(t, "\"name\":\"tr-sleeper\",\"args\":{\"thread\":");
    WT_CONTAINS(t, "\"end\":\"sleep\"");   /* the sleeper blocked in weft_sleep */
    WT_CONTAINS(t, "\"end\":\"yield\"");
    WT_CONTAINS(t, "\"end\":\"join\"");    /* the spawner waited for its children */
    WT_CONTAINS(t, "\"end\":\"exit\"");
    WT_CONTAINS(t, "\"cat\":\"wake\"");
    WT_CONTAINS(t, "\"weft_dropped\":0");
    /* An unnamed thread on a reused record is weft-<id>, not its
     * predecessor's name. */
    const char *pat = "\"name\":\"tr-yielder\",\"args\":{\"thread\":";
    unsigned long long first_id = 0;
    for (const char *p = t; (p = strstr(p, pat)); p += strlen(pat)) {
        unsigned long long id = strtoull(p + strlen(pat), NULL, 10);
        if (!first_id)
            first_id = id;
        WT_EQ(id, first_id);
    }
    WT_NE(first_id, 0);
    printf("steals recorded: %s\n", strstr(t, "\"cat\":\"steal\"") ? "yes" : "none this run");
    free(t);

    if (!have_python()) {
        printf("no python3: JSON validation and the plot not checked\n");
        unlink(trace_path);
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
             "x=[e for e in d[\"traceEvents\"] if e[\"ph\"]==\"X\"]; "
             "assert x and all(e[\"dur\"]>=0 and e[\"tid\"] in (0,1) for e in x), x[:3]; "
             "print(len(d[\"traceEvents\"]), \"events,\", len(x), \"slices\")' %s",
             trace_path);
    WT_EQ(system(cmd), 0);
    char svg[300];
    snprintf(svg, sizeof svg, "%s.svg", trace_path);
    snprintf(cmd, sizeof cmd, "python3 %s/tools/weft-trace-plot %s -o %s", WEFT_SOURCE_DIR,
             trace_path, svg);
    WT_EQ(system(cmd), 0);
    char *s = slurp(svg);
    WT_CONTAINS(s, "<svg");
    WT_CONTAINS(s, ">vCPU 0</text>");
    WT_CONTAINS(s, ">vCPU 1</text>");
    WT_CONTAINS(s, "tr-sleeper");
    WT_CONTAINS(s, "</svg>");
    free(s);
    unlink(svg);
    unlink(trace_path);
}

WT_TEST(off_without_variable)
{
    snprintf(trace_path, sizeof trace_path, "/tmp/weft-test-notrace-%d.json", (int)getpid());
    unlink(trace_path);
    struct wt_child c;
    wt_fork(&c, 60, traced_child, NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s\n%s", wt_child_describe(&c), c.err);
    WT_NOT_CONTAINS(c.err, "WEFT_TRACE");
    wt_child_free(&c);
    struct stat st;
    WT_NE(stat(trace_path, &st), 0);
}

WT_MAIN(WT_ENTRY(records_events, WT_FRESH, 120),
        WT_ENTRY(off_without_variable, WT_FRESH, 60))
