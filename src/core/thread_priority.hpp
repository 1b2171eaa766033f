#pragma once
// Background work that must never slow the work users wait for (the payment sync beside the
// transfers, issue 16): the calling thread gives way on the CPU.

namespace hs {

// Lowers the calling thread's scheduling priority (Linux: policy SCHED_IDLE and nice 19). Best
// effort: false when the system refused both, which changes nothing else.
bool LowerThisThreadsPriority();

}  // namespace hs
