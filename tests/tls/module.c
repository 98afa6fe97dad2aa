/* module.c - a library the TLS tests load with dlopen: its __thread
 * variables live in dynamic TLS, reached through __tls_get_addr and the
 * thread's DTV (general-dynamic model, -fPIC). */
#include <stdint.h>

__thread int mod_value = 42;
__thread char mod_zeroed[256];

int *mod_value_addr(void)
{
    return &mod_value;
}

int mod_zeroed_sum(void)
{
    int s = 0;
    for (unsigned i = 0; i < sizeof mod_zeroed; i++)
        s += mod_zeroed[i];
    return s;
}

void mod_fill(char c)
{
    for (unsigned i = 0; i < sizeof mod_zeroed; i++)
        mod_zeroed[i] = c;
}

/* The pattern reported against M:N libraries: the compiler computes the
 * address of a TLS variable once (one __tls_get_addr call, hoisted out of
 * the loop: it is a const function to GCC) and keeps it across a call that
 * switches threads. After a migration, a thread on its vCPU's TLS would
 * then count into another thread's variable. Returns the final value. */
int mod_count_across(void (*yield)(void *), void *arg, int n)
{
    for (int i = 0; i < n; i++) {
        mod_value++;
        yield(arg);
    }
    return mod_value;
}
