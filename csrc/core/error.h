// Errors. TG_CHECK(cond, "op: ", a.sizes(), ...) throws with a message built
// from its arguments; each exception class maps to the Python exception
// PyTorch raises for the same mistake (see bindings/module.cpp).
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tg {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};  // RuntimeError
struct IndexError : Error {
  using Error::Error;
};
struct ValueError : Error {
  using Error::Error;
};
struct TypeError : Error {
  using Error::Error;
};
struct NotImplementedError : Error {
  using Error::Error;
};
// Shape mismatch in broadcasting: RuntimeError for torch users, ValueError for numpy users.
struct ShapeError : Error {
  using Error::Error;
};
// Integer division by zero: RuntimeError (torch) that is also a ZeroDivisionError.
struct ZeroDivError : Error {
  using Error::Error;
};
// A device allocation failed even after the allocator's cache was given back: torch.cuda.OutOfMemoryError
// (tinygrad_ext.cuda.OutOfMemoryError, a RuntimeError).
struct OutOfMemoryError : Error {
  using Error::Error;
};

inline std::ostream& operator<<(std::ostream& os, const std::vector<int64_t>& v) {
  os << '[';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return os << ']';
}

template <class... Args> std::string str_cat(const Args&... args) {
  std::ostringstream ss;
  (ss << ... << args);
  return ss.str();
}

}  // namespace tg

#define TG_CHECK_AS(kind, cond, ...)                           \
  do {                                                         \
    if (!(cond)) throw ::tg::kind(::tg::str_cat(__VA_ARGS__)); \
  } while (0)
#define TG_CHECK(cond, ...) TG_CHECK_AS(Error, cond, __VA_ARGS__)
#define TG_CHECK_INDEX(cond, ...) TG_CHECK_AS(IndexError, cond, __VA_ARGS__)
#define TG_CHECK_VALUE(cond, ...) TG_CHECK_AS(ValueError, cond, __VA_ARGS__)
#define TG_CHECK_TYPE(cond, ...) TG_CHECK_AS(TypeError, cond, __VA_ARGS__)
