// Kernels run without the GIL when they have enough work, so other Python threads (a data loader,
// a second model) run beside them. Release only after every Python argument has been converted.
#pragma once
#include <optional>
#include <pybind11/pybind11.h>

namespace tg {

// Below this many elements the release and re-acquire (about 0.1 us) would be a visible share of a
// small op's cost, and there is little to overlap.
constexpr int64_t kGilReleaseWork = 1 << 15;

class ReleaseGil {
 public:
  explicit ReleaseGil(int64_t work) {
    if (work >= kGilReleaseWork) release_.emplace();
  }

 private:
  std::optional<pybind11::gil_scoped_release> release_;
};

}  // namespace tg
