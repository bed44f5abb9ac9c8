// scatter_reduce's combining kernel (prod, amax, amin; assign and sum run as index_put).
#pragma once
#include "../core/iterator.h"

namespace tg {

enum class ScatterReduce { assign, sum, prod, amax, amin };

namespace cpu {
// Operand 0 is the destination (restrided to the index's shape, 0 stride on the scatter dim), 1 the
// source, 2 the int64 index, which moves the destination by index * index_stride bytes. Serial, so
// repeated indices combine in order; amax/amin propagate NaN.
void scatter_reduce(ElementwiseIter& it, int64_t index_stride, ScatterReduce op);
}  // namespace cpu
}  // namespace tg
