// Persistent CPU thread pool. parallel_for splits [begin, end) into chunks of at
// least `grain` items; the calling thread takes part, so a one-thread pool is
// just a loop. Work smaller than one grain runs inline with no synchronization.
#pragma once
#include <cstdint>
#include <functional>

namespace tg::cpu {

int get_num_threads();
void set_num_threads(int n);  // n >= 1; takes effect for the next parallel_for

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace tg::cpu
