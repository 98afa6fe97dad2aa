/* weft.h - lightweight threads on virtual CPUs.
 *
 * The umbrella header: include this one. Each concept has its own header
 * under weft/, included here.
 *
 * Conventions (hold for every function unless its comment says otherwise):
 * - Thread and sync calls return 0 or a positive errno value, like pthreads.
 * - "May switch": the call may switch the calling weft thread off its vCPU.
 *   "May block the host thread": a bound thread (an adopted host thread such
 *   as main) waits in the host kernel instead of switching.
 * - Every function may be called from a foreign host thread; the first call
 *   adopts it as a bound weft thread. No function is async-signal-safe unless
 *   it says so.
 */
#ifndef WEFT_H
#define WEFT_H

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0

#include <weft/runtime.h>
#include <weft/thread.h>
#include <weft/sync.h>
#include <weft/io.h>
#include <weft/preempt.h>
#include <weft/signal.h>

#endif
